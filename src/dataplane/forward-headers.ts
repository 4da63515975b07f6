/**
 * Header rewriting between client and upstream, done on flat `[name, value, ...]` arrays
 * (`req.rawHeaders` in, undici's flat array out) so each request's headers are copied once.
 * Names are compared case-insensitively without lower-casing them (no allocation per header).
 */

import { equalsLower as eq } from './ascii-case.ts';

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

/** Hop-by-hop headers (RFC 9110 §7.6.1 plus the legacy Proxy-* and Keep-Alive). `expect` is
 * answered by Pier's server itself (100-continue, see RequestBody), never forwarded; `http2-settings`
 * belongs to an h2c upgrade. TE is dropped entirely: Pier does not relay trailers. */
function classify(name: string): number {
  switch (name.length) {
    case 2: return eq(name, 'te') ? HOP : FORWARD;
    case 4: return eq(name, 'host') ? HOST : FORWARD;
    case 6: return eq(name, 'expect') ? EXPECT : FORWARD;
    case 7: return eq(name, 'trailer') || eq(name, 'upgrade') ? HOP : FORWARD;
    case 9: return eq(name, 'x-real-ip') ? REPLACED : FORWARD;
    case 10:
      if (eq(name, 'connection')) return CONNECTION;
      return eq(name, 'keep-alive') ? HOP : FORWARD;
    case 14:
      if (eq(name, 'content-length')) return CONTENT_LENGTH;
      return eq(name, 'http2-settings') ? HOP : FORWARD;
    case 15: return eq(name, 'x-forwarded-for') ? XFF : FORWARD;
    case 16:
      if (eq(name, 'proxy-connection')) return HOP;
      return eq(name, 'x-forwarded-host') || eq(name, 'x-forwarded-port') ? REPLACED : FORWARD;
    case 17:
      if (eq(name, 'transfer-encoding')) return TRANSFER_ENCODING;
      return eq(name, 'x-forwarded-proto') ? REPLACED : FORWARD;
    case 18: return eq(name, 'proxy-authenticate') ? HOP : FORWARD;
    case 19: return eq(name, 'proxy-authorization') ? HOP : FORWARD;
    default: return FORWARD;
  }
}


/** The facts about a request's headers the proxy needs before it can route it. */
export interface RequestHeaderFacts {
  /** First Host header value. */
  host: string | undefined;
  /** Lower-case names listed in Connection (other than close/keep-alive/upgrade), if any. */
  connectionNames: Set<string> | undefined;
  /** The request has a body: Content-Length above 0 or a Transfer-Encoding. */
  hasBody: boolean;
  /** `Expect: 100-continue`: the client waits to be invited before sending the body. */
  expectContinue: boolean;
}

/** Fills `facts` from `raw` (one pass, no allocation unless Connection names extra headers). */
export function scanRequestHeaders(raw: readonly string[], facts: RequestHeaderFacts): void {
  facts.host = undefined;
  facts.connectionNames = undefined;
  facts.hasBody = false;
  facts.expectContinue = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const kind = classify(name);
    if (kind === HOST) facts.host ??= raw[i + 1];
    else if (kind === TRANSFER_ENCODING) facts.hasBody = true;
    else if (kind === CONTENT_LENGTH) facts.hasBody ||= raw[i + 1] !== '0';
    else if (kind === CONNECTION) facts.connectionNames = connectionTokens(raw[i + 1]!, facts.connectionNames);
    else if (kind === EXPECT) facts.expectContinue ||= raw[i + 1]!.length === 12 && eq(raw[i + 1]!, '100-continue');
  }
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
}

/**
 * The headers to send upstream: the client's, minus hop-by-hop ones (and those its Connection
 * header names), with X-Forwarded-For appended to and X-Forwarded-Proto/Host/Port and
 * X-Real-IP set by Pier (incoming values for those four are dropped, not trusted). The Host
 * header is passed through unchanged.
 */
export function upstreamRequestHeaders(raw: readonly string[], facts: RequestHeaderFacts, fwd: ForwardedFor): string[] {
  const out: string[] = [];
  let xff: string | undefined;
  const named = facts.connectionNames;
  let sawHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const kind = classify(name);
    if (kind === FORWARD || kind === CONTENT_LENGTH) {
      if (named !== undefined && named.has(name.toLowerCase())) continue;
      out.push(name, raw[i + 1]!);
    } else if (kind === HOST) {
      if (sawHost) continue; // undici refuses duplicates; the first one routed the request
      sawHost = true;
      out.push(name, raw[i + 1]!);
    } else if (kind === XFF) {
      xff = xff === undefined ? raw[i + 1] : `${xff}, ${raw[i + 1]}`;
    }
  }
  const host = facts.host;
  out.push(
    'x-forwarded-for', xff === undefined ? fwd.clientAddress : `${xff}, ${fwd.clientAddress}`,
    'x-forwarded-proto', fwd.proto,
    'x-forwarded-port', fwd.port,
    'x-real-ip', fwd.clientAddress,
  );
  if (host !== undefined) out.push('x-forwarded-host', host);
  return out;
}

/** responseHeaderFate: copied to the client. */
export const RESPONSE_COPY = 0;
/** responseHeaderFate: hop-by-hop, dropped. */
export const RESPONSE_DROP = 1;
/** responseHeaderFate: Connection, dropped; if it names other headers, those go too. */
export const RESPONSE_CONNECTION = 2;

/** What becomes of an upstream response header (by name) on its way to the client, in
 * downstreamResponseHeaders' terms, for callers that filter while they write. */
export function responseHeaderFate(name: string): number {
  const kind = classify(name);
  if (kind === CONNECTION) return RESPONSE_CONNECTION;
  return kind === HOP || kind === TRANSFER_ENCODING || kind === EXPECT ? RESPONSE_DROP : RESPONSE_COPY;
}

/** A Connection value that names no other header (`keep-alive`, `close`: nearly all of them). */
export function namesNoHeader(connectionValue: string): boolean {
  return connectionTokens(connectionValue, undefined) === undefined;
}

/**
 * The response headers for the client: the upstream's raw ones (latin1 strings or Buffers, as on the wire) minus
 * hop-by-hop ones and those its Connection header names. `close` adds `Connection: close`
 * (draining), which also makes node:http close the connection after this response.
 */
export function downstreamResponseHeaders(raw: readonly (Buffer | string)[], close: boolean): string[] {
  const out: string[] = [];
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]!);
    const kind = classify(name);
    if (kind === FORWARD || kind === CONTENT_LENGTH || kind === HOST || kind === XFF || kind === REPLACED) {
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
