import type { Socket } from 'node:net';
import type { ClientErrorStatus } from '../../error-response.ts';
import type { ClientConnection } from './client-connection.ts';
import type { ProxyRequest } from './proxy-request.ts';
import type { ProxyResponse } from './proxy-response.ts';

/** What a connection needs from its server (Http1Server). */
export interface ConnectionHost {
  readonly handler: Http1Handler;
  /** Draining: every response closes its connection. */
  readonly draining: boolean;
  /** `connection: keep-alive` and `keep-alive: timeout=N` lines (node:http sent the hint too);
   * empty when keepalive is off (timeout 0): every response closes its connection. */
  readonly keepAliveLines: string;
  /** Request head and body limits (431, 413). */
  readonly limits: RequestLimits;
  /** The cached `Date` header value. */
  date(): string;
  /** The connection is gone (closed, or handed off as an upgrade). */
  forget(conn: ClientConnection): void;
}

/** What a request may be, checked by the connection before anything is routed. */
export interface RequestLimits {
  /** Request line and headers (trailers too), in bytes: llhttp answers HPE_HEADER_OVERFLOW past it → 431. */
  readonly maxHeaderSize: number;
  /** Header lines in a request head → 431 past it (never dropped: a dropped header is a
   * request the backend reads differently from Pier). */
  readonly maxHeaders: number;
  /** Body bytes (Infinity: no limit) → 413: a declared length before any body is read, a
   * chunked body as it arrives. A request's own limit may be lowered (ProxyRequest.bodyLimit). */
  readonly maxBodySize: number;
}

/** Where requests go (the dataplane). */
export interface Http1Handler {
  request(req: ProxyRequest, res: ProxyResponse): void;
  /** An `Upgrade:` request: the socket is the handler's now, `head` the bytes after the head. */
  upgrade(req: ProxyRequest, socket: Socket, head: Buffer): void;
  /** A cleartext connection opened with the HTTP/2 preface (prior knowledge, h2c): the socket
   * is the handler's now; `head` is the preface and every byte read after it; `source` the
   * client address a PROXY header gave. Without this method such a connection is answered 400
   * as any malformed request. */
  preface?(socket: Socket, head: Buffer, port: string, source?: string): void;
  /** The connection answered `status` itself (malformed request, timeout, CONNECT) and closes. */
  rejected(status: ClientErrorStatus): void;
}
