import type { Server as NetServer, Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { CidrSet } from '../../cidr-set.ts';
import { ClientConnection, plainAddress } from './client-connection.ts';
import { trimSpareParsers } from './connection-events.ts';
import type { ConnectionHost, Http1Front, Http1Handler, RequestLimits } from './http1-handler.ts';
import { readProxyHeader } from './proxy-protocol.ts';
import { listenerPort } from '../listener-port.ts';

/** Connection-level limits (nginx keepalive_timeout, node:http headersTimeout). */
export interface Http1Options extends Partial<RequestLimits> {
  /** Close a connection idle this long after a response. Default 75 s. */
  readonly keepaliveTimeoutMs?: number;
  /** Answer 408 and close when a request head takes longer than this to arrive. Default 60 s. */
  readonly headersTimeoutMs?: number;
  /** Answer 408 and close when a request body stops arriving for this long (nginx
   * client_body_timeout: between two reads, not charged while Pier holds the body back because
   * the upstream is not taking it). Default 60 s. */
  readonly bodyTimeoutMs?: number;
  /** `--trusted-proxies`: connections from these get `trustedProxies` (client-address.ts). */
  readonly trustedProxies?: readonly string[];
  /** `--proxy-protocol`: every connection starts with a PROXY header (proxy-protocol.ts). */
  readonly proxyProtocol?: boolean;
  /** `--hsts`: the Strict-Transport-Security value of responses over TLS ('' or absent: none). */
  readonly hsts?: string;
}

const MAX_SWEEP_MS = 1_000;
/** How often spare parsers above the usual number are trimmed. */
const TRIM_PARSERS_MS = 60_000;
/** node:http's (and llhttp's) 16 KiB head limit. */
export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;
/** Envoy's 100 (HAProxy: 101). */
export const DEFAULT_MAX_HEADERS = 100;

/**
 * Serves HTTP/1.1 on any number of listeners (a net.Server, a tls.Server's secure
 * connections) with ClientConnection, and owns what spans connections: the set of live
 * connections (drain, close), one sweep timer for every connection's timeouts (no timer per
 * request or per connection: each connection keeps timestamps the sweep compares) and the
 * cached `Date` header.
 */
export class Http1Server implements ConnectionHost, Http1Front {
  readonly handler: Http1Handler;
  draining = false;
  readonly keepAliveLines: string;
  readonly stsLine: string;
  readonly limits: RequestLimits;
  readonly #connections = new Set<ClientConnection>();
  readonly #keepaliveMs: number;
  readonly #headersMs: number;
  readonly #bodyMs: number;
  readonly #sweep: NodeJS.Timeout;
  readonly #trusted: CidrSet | undefined;
  readonly proxyProtocol: boolean;
  #date: string | undefined;
  #dateSecond = 0;
  #trimmedAt = Date.now();

  constructor(handler: Http1Handler, options: Http1Options = {}) {
    this.handler = handler;
    this.#keepaliveMs = options.keepaliveTimeoutMs ?? 75_000;
    this.#headersMs = options.headersTimeoutMs ?? 60_000;
    this.#bodyMs = options.bodyTimeoutMs ?? 60_000;
    this.#trusted = options.trustedProxies === undefined || options.trustedProxies.length === 0 ? undefined : new CidrSet(options.trustedProxies);
    this.proxyProtocol = options.proxyProtocol === true;
    this.limits = {
      maxHeaderSize: options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE,
      maxHeaders: options.maxHeaders ?? DEFAULT_MAX_HEADERS,
      maxBodySize: options.maxBodySize === undefined || options.maxBodySize <= 0 ? Infinity : options.maxBodySize,
    };
    // A timeout of 0 turns keepalive off, as nginx's `keepalive_timeout 0`: every response says
    // `connection: close` (rather than `keep-alive: timeout=0` and a close the client does not expect).
    this.keepAliveLines = this.#keepaliveMs > 0 ? `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(this.#keepaliveMs / 1000)}\r\n` : '';
    this.stsLine = options.hsts ? `strict-transport-security: ${options.hsts}\r\n` : '';
    // A quarter of the shortest timeout keeps each one within 25 % of its value (keepalive off
    // leaves no idle connection to time: it does not shorten the sweep).
    const period = Math.max(10, Math.min(MAX_SWEEP_MS, (this.#keepaliveMs || MAX_SWEEP_MS * 4) / 4, this.#headersMs / 4, this.#bodyMs / 4));
    this.#sweep = setInterval(sweep, period, this);
    this.#sweep.unref();
  }

  /** Serves `server`'s connections (plain TCP), after their PROXY header with `--proxy-protocol`. */
  listenOn(server: NetServer): void {
    const listener = new Listener(this, server);
    if (this.proxyProtocol) {
      server.on('connection', (socket: Socket) => readProxyHeader(socket, this.#headersMs, (s, source) => {
        listener.accept(s, source);
        // The parser consumes the handle natively (nothing was put back) or reads 'data' events,
        // which need the stream flowing again.
        if (!s.destroyed && (s as unknown as { _handle?: { _consumed?: boolean } })._handle?._consumed !== true) s.resume();
      }));
    } else {
      server.on('connection', (socket: Socket) => listener.accept(socket));
    }
  }

  /** Serves `server`'s connections once their TLS handshake is done; `sourceOf` gives the
   * client address a PROXY header named (tls-listener.ts). */
  listenOnTls(server: TlsServer, sourceOf?: (socket: TLSSocket) => string | undefined, listening: NetServer = server): void {
    const listener = new Listener(this, listening);
    server.on('secureConnection', (socket: TLSSocket) => listener.accept(socket, sourceOf?.(socket)));
  }

  /** Live connections (upgraded ones leave the set when handed off). */
  get size(): number {
    return this.#connections.size;
  }

  date(): string {
    return (this.#date ??= new Date().toUTCString());
  }

  forget(conn: ClientConnection): void {
    this.#connections.delete(conn);
  }

  /** Closes connections with no request in flight or queued (drain, after its grace period). */
  closeIdle(): void {
    for (const conn of this.#connections) if (conn.idle) conn.socket.destroy();
  }

  /** Destroys every connection and stops the sweep. */
  closeAll(): void {
    clearInterval(this.#sweep);
    for (const conn of this.#connections) conn.socket.destroy();
  }

  /** The sweep: refresh the Date string each second, check timeouts. */
  tick(): void {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.#dateSecond) {
      this.#dateSecond = second;
      this.#date = undefined;
      if (now - this.#trimmedAt >= TRIM_PARSERS_MS) {
        this.#trimmedAt = now;
        trimSpareParsers();
      }
    }
    for (const conn of this.#connections) conn.checkTimeouts(now, this.#keepaliveMs, this.#headersMs, this.#bodyMs);
  }

  /** Serves `socket`, accepted on a listener bound to `port` (X-Forwarded-Port); `source` is the
   * client address a PROXY header gave (else the socket's peer counts). */
  accept(socket: Socket, port: string, source?: string): void {
    const address = source ?? plainAddress(socket.remoteAddress);
    const trusted = this.#trusted !== undefined && this.#trusted.has(address) ? this.#trusted : undefined;
    this.#connections.add(new ClientConnection(socket, this, port, source, trusted));
  }

  /** How long a PROXY header may take to arrive (the request head's timeout). */
  get headersTimeoutMs(): number {
    return this.#headersMs;
  }
}

/**
 * One listening server: its port, read once (an accepted socket's local port is the listener's;
 * asking each socket would cost a getsockname per connection).
 */
class Listener {
  readonly #http: Http1Server;
  readonly #server: NetServer | TlsServer;
  #port: string | undefined;

  constructor(http: Http1Server, server: NetServer | TlsServer) {
    this.#http = http;
    this.#server = server;
  }

  accept(socket: Socket, source?: string): void {
    this.#http.accept(socket, (this.#port ??= listenerPort(this.#server, socket)), source);
  }
}

function sweep(server: Http1Server): void {
  server.tick();
}
