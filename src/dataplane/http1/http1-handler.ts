import type { Socket } from 'node:net';
import type { ClientErrorStatus } from '../error-response.ts';
import type { ClientConnection } from './client-connection.ts';
import type { ProxyRequest } from './proxy-request.ts';
import type { ProxyResponse } from './proxy-response.ts';

/** What a connection needs from its server (Http1Server). */
export interface ConnectionHost {
  readonly handler: Http1Handler;
  /** Draining: every response closes its connection. */
  readonly draining: boolean;
  /** `connection: keep-alive` and `keep-alive: timeout=N` lines (node:http sent the hint too). */
  readonly keepAliveLines: string;
  /** The cached `Date` header value. */
  date(): string;
  /** The connection is gone (closed, or handed off as an upgrade). */
  forget(conn: ClientConnection): void;
}

/** Where requests go (the dataplane). */
export interface Http1Handler {
  request(req: ProxyRequest, res: ProxyResponse): void;
  /** An `Upgrade:` request: the socket is the handler's now, `head` the bytes after the head. */
  upgrade(req: ProxyRequest, socket: Socket, head: Buffer): void;
  /** A cleartext connection opened with the HTTP/2 preface (prior knowledge, h2c): the socket
   * is the handler's now; `head` is the preface and every byte read after it. Without this
   * method such a connection is answered 400 as any malformed request. */
  preface?(socket: Socket, head: Buffer, port: string): void;
  /** The connection answered `status` itself (malformed request, timeout, CONNECT) and closes. */
  rejected(status: ClientErrorStatus): void;
}
