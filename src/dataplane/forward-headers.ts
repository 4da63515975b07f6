/**
 * Header rewriting between client and upstream, done on flat `[name, value, ...]` arrays
 * (`req.rawHeaders` in, undici's flat array out) so each request's headers are copied once.
 * Names are compared case-insensitively without lower-casing them (no allocation per header).
 */

import { equalsLower as eq } from './ascii-case.ts';
import { isAuthority } from './authority.ts';
import type { CidrSet } from './cidr-set.ts';
import { forwardedForValue, readsXForwardedFor, rightmostUntrusted } from './client-address.ts';
import { clientPort, clientScheme, trustedOrigin } from './forwarded-origin.ts';
import { requestIdOf } from './request-id.ts';

// What a header means to the proxy (plain numbers: erasable syntax has no enums).
const FORWARD = 0;
const HOP = 1;
const HOST = 2;
const XFF = 3;
const REPLACED = 4;
const CONNECTION = 5;
const CONTENT_LENGTH = 6;
const TRANSFER_ENCODING = 7;
/** Hop-by-hop too; its value matters to the server side (100-continue). */
const EXPECT = 8;
/** Hop-by-hop too; its value matters to the server side (an h2c offer is not a tunnel). */
const UPGRADE = 9;
/** X-Request-ID: read into the facts, sent upstream once as the request's id (request-id.ts). */
const REQUEST_ID = 10;
/** X-Forwarded-Host: replaced, and passed on as X-Original-Forwarded-Host. */
const XFH = 11;
/** `Proxy`: never sent upstream (see classify); a response's is the client's business. */
const HTTPOXY = 12;

/** Hop-by-hop headers (RFC 9110 §7.6.1 plus the legacy Proxy-* and Keep-Alive). `expect` is
 * answered by Pier's server itself (100-continue, see RequestBody), never forwarded; `http2-settings`
 * belongs to an h2c upgrade. TE is dropped entirely: Pier does not relay trailers. `Proxy` is
 * dropped as ingress-nginx drops it (httpoxy, CVE-2016-5385: CGI-style backends read it as
 * their HTTP_PROXY setting). */
function classify(name: string): number {
  switch (name.length) {
    case 2: return eq(name, 'te') ? HOP : FORWARD;
    case 4: return eq(name, 'host') ? HOST : FORWARD;
    case 5: return eq(name, 'proxy') ? HTTPOXY : FORWARD;
    case 6: return eq(name, 'expect') ? EXPECT : FORWARD;
    case 8: return eq(name, 'x-scheme') ? REPLACED : FORWARD;
    case 7:
      if (eq(name, 'upgrade')) return UPGRADE;
      return eq(name, 'trailer') ? HOP : FORWARD;
    case 9: return eq(name, 'x-real-ip') ? REPLACED : FORWARD;
    case 12: return eq(name, 'x-request-id') ? REQUEST_ID : FORWARD;
    case 10:
      if (eq(name, 'connection')) return CONNECTION;
      return eq(name, 'keep-alive') ? HOP : FORWARD;
    case 14:
      if (eq(name, 'content-length')) return CONTENT_LENGTH;
      return eq(name, 'http2-settings') ? HOP : FORWARD;
    case 15: return eq(name, 'x-forwarded-for') ? XFF : FORWARD;
    case 16:
      if (eq(name, 'proxy-connection')) return HOP;
      if (eq(name, 'x-forwarded-host')) return XFH;
      return eq(name, 'x-forwarded-port') ? REPLACED : FORWARD;
    case 17:
      if (eq(name, 'transfer-encoding')) return TRANSFER_ENCODING;
      return eq(name, 'x-forwarded-proto') ? REPLACED : FORWARD;
    case 18:
      if (eq(name, 'proxy-authenticate')) return HOP;
      return eq(name, 'x-forwarded-scheme') ? REPLACED : FORWARD;
    case 19: return eq(name, 'proxy-authorization') ? HOP : FORWARD;
    case 24: return eq(name, 'x-original-forwarded-for') ? REPLACED : FORWARD;
    case 25: return eq(name, 'x-original-forwarded-host') ? REPLACED : FORWARD;
    default: return FORWARD;
  }
}


/** The facts about a request's headers the proxy needs before it can route it. */
export interface RequestHeaderFacts {
  /** The authority the request names: its Host header, or the authority of an absolute-form
   * target, which replaces it (RFC 9112 §3.2.2; set by the connection). Forwarded as Host. */
  host: string | undefined;
  /** Lower-case names listed in Connection (other than close/keep-alive/upgrade), if any. */
  connectionNames: Set<string> | undefined;
  /** The request has a body: Content-Length above 0 or a Transfer-Encoding. */
  hasBody: boolean;
  /** `Expect: 100-continue`: the client waits to be invited before sending the body. */
  expectContinue: boolean;
  /** The declared Content-Length; -1 when there is none (no body, or a chunked one). */
  contentLength: number;
  /** The body is chunked (a Transfer-Encoding the parser accepted: `chunked` last). */
  chunked: boolean;
  /** The Upgrade header's value, if any (the protocols an upgrade request offers). */
  upgrade: string | undefined;
  /** The client's X-Request-ID (a non-empty one), or the id Pier made for the request once
   * something needed it (request-id.ts). */
  requestId: string | undefined;
}

/** Facts of a request not scanned yet. */
export function emptyFacts(): RequestHeaderFacts {
  return { host: undefined, connectionNames: undefined, hasBody: false, expectContinue: false, contentLength: -1, chunked: false, upgrade: undefined, requestId: undefined };
}

/**
 * Fills `facts` from `raw` (one pass, no allocation unless Connection names extra headers) and
 * says whether the request may go on: 0, or the status to refuse it with. 400: a second Host
 * header, or a Host that is not `uri-host[:port]` (RFC 9112 §3.2: either would let two parties
 * disagree on which site the request is for); a Transfer-Encoding whose final coding is not
 * chunked, or chunked twice (§6.3: the body's end cannot be known). 501: a transfer coding
 * before chunked (`gzip, chunked`): Pier decodes only chunked, and removing a coding it does
 * not implement would hand the backend a body other than the one sent (§6.1). The parser
 * refuses the other framing conflicts (Content-Length with Transfer-Encoding, differing lengths).
 */
export function scanRequestHeaders(raw: readonly string[], facts: RequestHeaderFacts): number {
  facts.host = undefined;
  facts.connectionNames = undefined;
  facts.hasBody = false;
  facts.expectContinue = false;
  facts.contentLength = -1;
  facts.chunked = false;
  facts.upgrade = undefined;
  facts.requestId = undefined;
  let status = 0;
  let codings: TransferCodings | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const kind = classify(name);
    if (kind === FORWARD) continue;
    const value = raw[i + 1]!;
    if (kind === HOST) {
      if (facts.host !== undefined || !isAuthority(value)) status = 400;
      facts.host ??= value;
    } else if (kind === TRANSFER_ENCODING) {
      facts.hasBody = true;
      facts.chunked = true;
      (codings ??= new TransferCodings()).add(value);
    } else if (kind === CONTENT_LENGTH) {
      facts.hasBody ||= value !== '0';
      facts.contentLength = Number(value);
    } else if (kind === CONNECTION) {
      facts.connectionNames = connectionTokens(value, facts.connectionNames);
    } else if (kind === EXPECT) {
      facts.expectContinue ||= value.length === 12 && eq(value, '100-continue');
    } else if (kind === UPGRADE) {
      facts.upgrade ??= value;
    } else if (kind === REQUEST_ID) {
      if (value !== '') facts.requestId ??= value;
    }
  }
  if (codings !== undefined && status === 0) status = codings.status;
  return status;
}

/** The codings of a request's Transfer-Encoding lines, in order (RFC 9112 §6.1, §6.3). */
class TransferCodings {
  chunked = 0;
  other = false;
  lastChunked = false;

  add(value: string): void {
    if (value.length === 7 && eq(value, 'chunked')) return this.#token(true);
    for (const token of value.split(',')) {
      const t = token.trim();
      if (t !== '') this.#token(t.length === 7 && eq(t, 'chunked'));
    }
  }

  /** 0 (chunked alone); 400: chunked not last or twice (the body's end is unknowable, §6.3);
   * 501: another coding before chunked (Pier implements none). */
  get status(): number {
    if (!this.lastChunked || this.chunked > 1) return 400;
    return this.other ? 501 : 0;
  }

  #token(chunked: boolean): void {
    if (chunked) this.chunked++;
    else this.other = true;
    this.lastChunked = chunked;
  }
}

/** An Upgrade value offering `h2c` (HTTP/2 over cleartext by upgrade, RFC 7540 §3.2; removed
 * by RFC 9113 §3.1). Relayed, it would open a tunnel to the backend's own HTTP/2 server that no
 * route or policy of Pier's sees (h2c smuggling): such a request is served as a plain request. */
export function offersH2c(upgrade: string | undefined): boolean {
  if (upgrade === undefined) return false;
  for (const token of upgrade.split(',')) {
    const t = token.trim();
    if (t.length === 3 && eq(t, 'h2c')) return true;
  }
  return false;
}

function connectionTokens(value: string, into: Set<string> | undefined): Set<string> | undefined {
  // The common values name no header: skip the split (it runs on most requests and responses).
  if ((value.length === 10 && eq(value, 'keep-alive')) || (value.length === 5 && eq(value, 'close'))) return into;
  for (const token of value.split(',')) {
    const t = token.trim().toLowerCase();
    if (t === '' || t === 'close' || t === 'keep-alive' || t === 'upgrade') continue;
    (into ??= new Set()).add(t);
  }
  return into;
}

/** The X-Forwarded-* values Pier sets (from the client connection and the listener). */
export interface ForwardedFor {
  readonly clientAddress: string;
  readonly proto: string;
  readonly port: string;
  /** Set when the connection comes from one of `--trusted-proxies` (forwarded-origin.ts). */
  readonly trustedProxies?: CidrSet | undefined;
  /** The port the client connected to on the load balancer, from a plain connection's PROXY
   * header (`--proxy-protocol`; forwarded-origin.ts). */
  readonly proxyDestinationPort?: string | undefined;
}

/** Request headers whose names hold `_` are not forwarded (see acceptUnderscoredHeaders). */
let dropUnderscored = true;

/**
 * `--enable-underscores-in-headers` (ingress-nginx's ConfigMap key; nginx's underscores_in_headers):
 * by default a request header whose name holds `_` is not forwarded, as nginx ignores it. A
 * backend that maps names to CGI-style variables (WSGI, Rack, PHP) cannot tell `X_Real_IP` from
 * `X-Real-IP`, so a client could otherwise smuggle a value in under the name of a header Pier
 * sets. Process-wide, as the worker's flags are: set once at start.
 */
export function acceptUnderscoredHeaders(on: boolean): void {
  dropUnderscored = !on;
}

/**
 * The headers to send upstream, as ingress-nginx's location sets them: the client's, minus
 * hop-by-hop ones (and those its Connection header names), `Proxy` (httpoxy) and those whose
 * names hold `_` (acceptUnderscoredHeaders); Pier's own
 * X-Forwarded-For, -Proto, -Scheme, -Host, -Port, X-Scheme and X-Real-IP in place of the
 * client's; the client's X-Forwarded-For and X-Forwarded-Host, when it sent them, as
 * X-Original-Forwarded-For / -Host; and one X-Request-ID: the client's, else a new one
 * (ingress-nginx's `$req_id`). Host is `facts.host`: the client's Host, or the authority of an
 * absolute-form target, which replaces it (RFC 9112 §3.2.2); one Host line, where the client's
 * was, or first when it sent none.
 *
 * X-Forwarded-For is the client's address alone (ingress-nginx's `$remote_addr`: a client cannot
 * put addresses in front of its own). From a trusted proxy (`fwd.trustedProxies`,
 * ingress-nginx's use-forwarded-headers) it is the proxy's X-Forwarded-For with the proxy's
 * address appended (its compute-full-forwarded-for), its X-Forwarded-Proto and -Port are passed
 * on, its first X-Forwarded-Host becomes X-Forwarded-Host and Host (nginx's `$best_http_host`),
 * and X-Real-IP is the client its X-Forwarded-For names (the right-most untrusted entry, as
 * access control sees it; nginx's `$remote_addr` after realip).
 */
export function upstreamRequestHeaders(raw: readonly string[], facts: RequestHeaderFacts, fwd: ForwardedFor): string[] {
  const out: string[] = [];
  let xff: string | undefined;
  let xfh: string | undefined;
  const named = facts.connectionNames;
  const host = facts.host;
  let sawHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const kind = classify(name);
    if (kind === FORWARD || kind === CONTENT_LENGTH) {
      if (named !== undefined && named.has(name.toLowerCase())) continue;
      if (dropUnderscored && name.includes('_')) continue;
      out.push(name, raw[i + 1]!);
    } else if (kind === HOST) {
      if (sawHost || host === undefined) continue; // the connection refuses a second Host
      sawHost = true;
      out.push(name, host);
    } else if (kind === XFF) {
      xff = xff === undefined ? raw[i + 1] : `${xff}, ${raw[i + 1]}`;
    } else if (kind === XFH) {
      xfh = xfh === undefined ? raw[i + 1] : `${xfh}, ${raw[i + 1]}`;
    }
  }
  if (!sawHost && host !== undefined) out.unshift('host', host);
  const trusted = fwd.trustedProxies;
  if (trusted !== undefined || fwd.proxyDestinationPort !== undefined) return proxiedForwarding(out, raw, facts, fwd, trusted, xff, xfh);
  const proto = fwd.proto;
  out.push(
    'x-forwarded-for', fwd.clientAddress,
    'x-forwarded-proto', proto,
    'x-forwarded-scheme', proto,
    'x-scheme', proto,
    'x-forwarded-port', fwd.port,
    'x-real-ip', fwd.clientAddress,
    'x-request-id', requestIdOf(facts),
  );
  if (host !== undefined) out.push('x-forwarded-host', host);
  if (xff !== undefined || xfh !== undefined) pushOriginals(out, xff, xfh);
  return out;
}

/**
 * upstreamRequestHeaders' ending for a connection from a trusted proxy, or one whose PROXY
 * header named the balancer's port (see there and forwarded-origin.ts): as lua_ingress.lua, the
 * PROXY header's port is X-Forwarded-Port and 443 there means https, over a trusted proxy's
 * own X-Forwarded-Proto.
 */
function proxiedForwarding(out: string[], raw: readonly string[], facts: RequestHeaderFacts, fwd: ForwardedFor, trusted: CidrSet | undefined, xff: string | undefined, xfh: string | undefined): string[] {
  const origin = trustedOrigin(raw, fwd);
  let host = facts.host;
  if (origin?.host !== undefined) {
    host = origin.host;
    for (let i = 0; i < out.length; i += 2) {
      if (out[i]!.length === 4 && eq(out[i]!, 'host')) {
        out[i + 1] = host;
        break;
      }
    }
  }
  const scheme = clientScheme(fwd, fwd.proto, origin);
  out.push(
    'x-forwarded-for', xff === undefined || trusted === undefined ? fwd.clientAddress : `${xff}, ${fwd.clientAddress}`,
    'x-forwarded-proto', scheme,
    'x-forwarded-scheme', scheme,
    'x-scheme', scheme,
    'x-forwarded-port', clientPort(fwd, fwd.port, origin),
    'x-real-ip', trusted === undefined ? fwd.clientAddress : realIp(raw, xff, trusted, fwd.clientAddress),
    'x-request-id', requestIdOf(facts),
  );
  if (host !== undefined) out.push('x-forwarded-host', host);
  if (xff !== undefined || xfh !== undefined) pushOriginals(out, xff, xfh);
  return out;
}

/** The client a trusted proxy names (clientAddressOf's walk, on X-Forwarded-For or
 * `--forwarded-for-header`). */
function realIp(raw: readonly string[], xff: string | undefined, trusted: CidrSet, peer: string): string {
  const value = readsXForwardedFor() ? xff : forwardedForValue(raw);
  return value === undefined ? peer : rightmostUntrusted(value, trusted, peer);
}

/** The client's own X-Forwarded-For / -Host, as ingress-nginx passes them on (sent only when the
 * client sent them, as nginx leaves out a header set to an empty value). */
function pushOriginals(out: string[], xff: string | undefined, xfh: string | undefined): void {
  if (xff !== undefined) out.push('x-original-forwarded-for', xff);
  if (xfh !== undefined) out.push('x-original-forwarded-host', xfh);
}

/** responseHeaderFate: copied to the client. */
export const RESPONSE_COPY = 0;
/** responseHeaderFate: hop-by-hop or hidden, dropped. */
export const RESPONSE_DROP = 1;
/** responseHeaderFate: Connection, dropped; if it names other headers, those go too. */
export const RESPONSE_CONNECTION = 2;

/** What becomes of an upstream response header (by name) on its way to the client, in
 * downstreamResponseHeaders' terms, for callers that filter while they write. */
export function responseHeaderFate(name: string): number {
  const kind = classify(name);
  if (kind === FORWARD) return hiddenResponseHeader(name) ? RESPONSE_DROP : RESPONSE_COPY;
  if (kind === CONNECTION) return RESPONSE_CONNECTION;
  return kind === HOP || kind === TRANSFER_ENCODING || kind === EXPECT || kind === UPGRADE ? RESPONSE_DROP : RESPONSE_COPY;
}

/** A Connection value that names no other header (`keep-alive`, `close`: nearly all of them). */
export function namesNoHeader(connectionValue: string): boolean {
  return connectionTokens(connectionValue, undefined) === undefined;
}

/** `--allow-backend-server-header`: an upstream's Server header reaches clients. */
let passServer = false;
/** `--hide-headers` (lower-case); undefined when none. */
let hidden: ReadonlySet<string> | undefined;

/**
 * Which upstream response headers clients never see, as ingress-nginx: nginx's proxy_hide_header
 * defaults (`Server`, which ingress-nginx's server-tokens off clears as well, unless
 * allow-backend-server-header; `X-Pad`; `X-Accel-*`, a backend's instructions to nginx) plus its
 * ConfigMap's hide-headers. Process-wide, as the worker's flags are: set once at start.
 */
export function hideResponseHeaders(allowBackendServer: boolean, names: readonly string[]): void {
  passServer = allowBackendServer;
  hidden = names.length === 0 ? undefined : new Set(names.map((n) => n.toLowerCase()));
}

/** An end-to-end response header hideResponseHeaders keeps from clients (eq compares the
 * first `lower.length` characters: a prefix test where the length is not checked first). */
export function hiddenResponseHeader(name: string): boolean {
  const n = name.length;
  if (n === 6) {
    if (!passServer && eq(name, 'server')) return true;
  } else if (n === 5) {
    if (eq(name, 'x-pad')) return true;
  } else if (n > 8 && eq(name, 'x-accel-')) {
    return true;
  }
  return hidden !== undefined && hidden.has(name.toLowerCase());
}

/**
 * The response headers for the client: the upstream's raw ones (latin1 strings or Buffers, as on the wire) minus
 * hop-by-hop ones, those its Connection header names and the hidden ones (hideResponseHeaders). `close` adds `Connection: close`
 * (draining), which also makes node:http close the connection after this response.
 */
export function downstreamResponseHeaders(raw: readonly (Buffer | string)[], close: boolean): string[] {
  const out: string[] = [];
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]!);
    const kind = classify(name);
    if (kind === FORWARD) {
      if (!hiddenResponseHeader(name)) out.push(name, latin1(raw[i + 1]!));
    } else if (kind === CONTENT_LENGTH || kind === HOST || kind === XFF || kind === REPLACED || kind === REQUEST_ID || kind === XFH || kind === HTTPOXY) {
      out.push(name, latin1(raw[i + 1]!));
    } else if (kind === CONNECTION) {
      named = connectionTokens(latin1(raw[i + 1]!), named);
    }
  }
  if (named !== undefined) removeNamed(out, named);
  if (close) out.push('connection', 'close');
  return out;
}

/** H1Pool hands headers over as strings already; undici's Buffers are decoded. */
function latin1(v: Buffer | string): string {
  return typeof v === 'string' ? v : v.toString('latin1');
}

function removeNamed(out: string[], named: Set<string>): void {
  let w = 0;
  for (let r = 0; r < out.length; r += 2) {
    if (named.has(out[r]!.toLowerCase())) continue;
    out[w++] = out[r]!;
    out[w++] = out[r + 1]!;
  }
  out.length = w;
}
