import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHeaderFacts } from '../../forward-headers.ts';
import type { DownstreamRequest } from '../downstream.ts';
import type { ClientConnection } from './client-connection.ts';
import type { RequestBody } from './request-body.ts';

/**
 * One request as the parser delivered it: the request line and headers exactly as received
 * (flat latin1 `[name, value, ...]`), the facts routing needs (scanned once, here), and the body
 * stream when the request has one. Built by ClientConnection, read by the request handler.
 */
export class ProxyRequest implements DownstreamRequest {
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
  /** Body bytes received so far (counted by the connection against bodyLimit). */
  bodyBytes = 0;
  /**
   * The most body bytes this request may carry (Infinity: no limit). Starts at the server's
   * `maxBodySize` (`--max-body-size`); a route's proxy-body-size replaces it (raising or
   * lowering) before the body is read. The request handler refuses a declared
   * `facts.contentLength` above it with 413 before reading; the connection counts the bytes of
   * a chunked body against it and answers 413 and closes past it (cutting the connection if
   * the response already started).
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

  get httpVersion(): string {
    return this.versionMinor === 0 ? '1.0' : '1.1';
  }

  /**
   * Lower-case names → values, built on first use only (balancers that hash on a header or a
   * cookie, the access log). Repeated headers are joined as node:http joins them.
   */
  get headers(): IncomingHttpHeaders {
    return (this.#headers ??= headerObject(this.rawHeaders));
  }
}

/** Lower-case names → values, repeats joined as node:http joins them (cookie with `; `, a
 * second Host dropped). Shared with the public-API front, so both give filters one view. */
export function headerObject(raw: readonly string[]): IncomingHttpHeaders {
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
