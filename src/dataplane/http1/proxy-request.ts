import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHeaderFacts } from '../forward-headers.ts';
import type { ClientConnection } from './client-connection.ts';
import type { RequestBody } from './request-body.ts';

/**
 * One request as the parser delivered it: the request line and headers exactly as received
 * (flat latin1 `[name, value, ...]`), the facts routing needs (scanned once, here), and the body
 * stream when the request has one. Built by ClientConnection, read by the request handler.
 */
export class ProxyRequest {
  /** The connection it arrived on (its record: client address, X-Forwarded-*, request count). */
  readonly conn: ClientConnection;
  readonly method: string;
  /** The request target in origin-form (`/a?b`; `*` for `OPTIONS *`): an absolute-form target
   * was resolved by the connection, its authority is `facts.host` (request-target.ts). */
  readonly url: string;
  readonly rawHeaders: string[];
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** llhttp's keep-alive verdict (HTTP version and the client's Connection header). */
  readonly keepAlive: boolean;
  /** Host (the effective authority), Connection names, body framing: filled when the head completes. */
  readonly facts: RequestHeaderFacts;
  /** Only when the request has a body (Content-Length above 0 or Transfer-Encoding). */
  body: RequestBody | null = null;
  /** The whole message (head and body) was received. */
  complete = false;
  /**
   * The most body bytes this request may carry (Infinity: no limit): the hook for a per-route
   * limit (proxy-body-size). Starts at the server's `maxBodySize` (`--max-body-size`), to which
   * the connection already held a declared Content-Length (413 before any body is read). The
   * handler may set it once the route is known, before it reads the body: the connection counts
   * body bytes as they arrive against this value and answers 413 and closes past it (cutting
   * the connection instead if the response already started). A declared `facts.contentLength`
   * above it is the handler's to refuse at once (413 before reading). Raising it above the
   * server's limit only helps chunked bodies (the Content-Length check ran first): a route
   * allowed more than the global needs the server's maxBodySize at Infinity and the global
   * applied as this field's default instead.
   */
  bodyLimit: number;
  #headers: IncomingHttpHeaders | undefined;

  constructor(conn: ClientConnection, method: string, url: string, rawHeaders: string[], major: number, minor: number, keepAlive: boolean, facts: RequestHeaderFacts, bodyLimit: number) {
    this.conn = conn;
    this.facts = facts;
    this.bodyLimit = bodyLimit;
    this.method = method;
    this.url = url;
    this.rawHeaders = rawHeaders;
    this.versionMajor = major;
    this.versionMinor = minor;
    this.keepAlive = keepAlive;
  }

  /**
   * Lower-case names → values, built on first use only (balancers that hash on a header or a
   * cookie, the access log). Repeated headers are joined as node:http joins them.
   */
  get headers(): IncomingHttpHeaders {
    return (this.#headers ??= headerObject(this.rawHeaders));
  }
}

function headerObject(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (name === 'cookie') out[name] = `${seen}; ${value}`;
    else if (name !== 'host') out[name] = `${seen}, ${value}`;
  }
  return out;
}
