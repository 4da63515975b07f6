import type { Server as NetServer, Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { ClientErrorStatus } from '../../error-response.ts';
import type { DownstreamRequest, DownstreamResponse } from '../downstream.ts';
import type { ClientConnection } from './client-connection.ts';

/** What a connection needs from its server (Http1Server). */
export interface ConnectionHost {
  readonly handler: Http1Handler;
  /** Draining: every response closes its connection. */
  readonly draining: boolean;
  /** `connection: keep-alive` and `keep-alive: timeout=N` lines (node:http sent the hint too);
   * empty when keepalive is off (timeout 0): every response closes its connection. */
  readonly keepAliveLines: string;
  /** The `strict-transport-security` line responses over TLS carry ('' for none: `--hsts off`). */
  readonly stsLine: string;
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

/** Where requests go (the dataplane), from either HTTP/1.1 front (Http1Front). */
export interface Http1Handler {
  request(req: DownstreamRequest, res: DownstreamResponse): void;
  /** An `Upgrade:` request: the socket is the handler's now, `head` the bytes after the head. */
  upgrade(req: DownstreamRequest, socket: Socket, head: Buffer): void;
  /** A cleartext connection opened with the HTTP/2 preface (prior knowledge, h2c): the socket
   * is the handler's now; `head` is the preface and every byte read after it; `source` the
   * client address a PROXY header gave. Without this method such a connection is answered 400
   * as any malformed request. */
  preface?(socket: Socket, head: Buffer, port: string, source?: string): void;
  /** The connection answered `status` itself (malformed request, timeout, CONNECT) and closes. */
  rejected(status: ClientErrorStatus): void;
}

/**
 * An HTTP/1.1 front as the dataplane drives it: Pier's lean server (Http1Server, on Node's
 * llhttp binding and direct handle writes) or the public-API one (front/public-http1/, on
 * node:http), chosen once at start (node-internals.ts). Both turn connections into
 * DownstreamRequest / DownstreamResponse pairs for the same Http1Handler.
 */
export interface Http1Front {
  /** Draining: every response closes its connection. */
  draining: boolean;
  /** Connections served now (upgraded ones leave when handed off). */
  readonly size: number;
  /** Serves `server`'s connections (plain TCP), after their PROXY header with `--proxy-protocol`. */
  listenOn(server: NetServer): void;
  /** Serves `server`'s connections once their TLS handshake is done; `sourceOf` gives the
   * client address a PROXY header named. */
  listenOnTls(server: TlsServer, sourceOf?: (socket: TLSSocket) => string | undefined, listening?: NetServer): void;
  /** Serves `socket`, accepted on a listener bound to `port`; `source`: a PROXY header's client address. */
  accept(socket: Socket, port: string, source?: string): void;
  /** Closes connections with no request in flight (drain, after its grace period). */
  closeIdle(): void;
  /** Destroys every connection and stops the front's timers. */
  closeAll(): void;
}
