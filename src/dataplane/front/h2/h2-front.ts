import { constants, createServer, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { CidrSet } from '../../cidr-set.ts';
import type { DownstreamRequest, DownstreamResponse } from '../downstream.ts';
import { plainAddress } from '../http1/client-connection.ts';
import { H2Connection } from './h2-connection.ts';
import { H2Request } from './h2-request.ts';
import { H2Response, type ResponseOwner } from './h2-response.ts';

/** Where HTTP/2 requests go (the dataplane), and what it decides per host. */
export interface H2Handler {
  request(req: DownstreamRequest, res: DownstreamResponse): void;
  /** Whether a request for `host` (lower-case, no port) must be refused with 421 on a
   * connection made for `servername` (TLS SNI, null in the clear): the host opted out of
   * HTTP/2, or the connection's certificate is not the one Pier serves for it (coalescing). */
  misdirected(host: string, servername: string | null): boolean;
}

/** HTTP/2 limits (defaults as nginx's http2 module where it has one). */
export interface H2FrontOptions {
  /** SETTINGS_MAX_CONCURRENT_STREAMS (nginx http2_max_concurrent_streams). Default 128. */
  readonly maxConcurrentStreams?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE, bytes (nginx: large_client_header_buffers, 4 × 8k). Default 32 KiB. */
  readonly maxHeaderListSize?: number;
  /** A connection with no activity this long gets GOAWAY (nginx keepalive_timeout). Default 75 s. */
  readonly idleTimeoutMs?: number;
  /** Request body bytes (`--max-body-size`; Infinity: none): 413 past it, as HTTP/1.1. */
  readonly maxBodySize?: number;
  /** `--trusted-proxies`: connections from these read X-Forwarded-For (client-address.ts). */
  readonly trustedProxies?: readonly string[];
  /** `--hsts`: the Strict-Transport-Security value of responses over TLS ('' or absent: none). */
  readonly hsts?: string;
}

/** Per-stream receive window: what one request body may hold while its upstream is slow. */
const STREAM_WINDOW = 64 * 1024;
/** Header fields per request (node's default, 128, is below what the HTTP/1.1 front takes). */
const MAX_HEADER_PAIRS = 256;
/**
 * Rapid reset (CVE-2023-44487): nghttp2 counts streams the client resets and ends a connection
 * whose resets exceed a burst of `streamResetBurst`, refilled at `streamResetRate` per second
 * (GOAWAY INTERNAL_ERROR). A client opening and cancelling streams cannot make Pier start
 * upstream work faster than that rate.
 */
const STREAM_RESET_BURST = 1000;
const STREAM_RESET_RATE = 100;
/** Malformed frames and refused streams tolerated per connection before it is closed. */
const MAX_INVALID_FRAMES = 100;
const MAX_REJECTED_STREAMS = 100;

const kConn = Symbol('pier.h2.conn');
type TaggedSession = ServerHttp2Session & { [kConn]?: H2Connection };

/**
 * The HTTP/2 front (RFC 9113) on node:http2: TLS connections that chose `h2` by ALPN, and
 * cleartext ones that opened with the HTTP/2 preface (prior knowledge; the HTTP/1.1 front
 * hands those over). One Http2Server is used as a session factory only: sockets come from
 * Pier's own listeners (`accept`). Each stream becomes an H2Request / H2Response pair for the
 * same pipeline as HTTP/1.1, so every route filter applies unchanged.
 *
 * nghttp2 enforces the message rules: pseudo-headers present, valid and not repeated,
 * connection-specific fields refused, header list size, CONTINUATION sequences (node bundles
 * nghttp2 ≥ 1.61, whose fix for the 2024 CONTINUATION flood closes a connection that sends
 * too many). Flow control keeps memory per stream bounded (STREAM_WINDOW plus one buffer).
 *
 * Drain: `drain()` sends GOAWAY with the last stream id on every connection; streams in flight
 * finish, the connection then closes. A table swap touches no connection.
 */
export class H2Front implements ResponseOwner {
  readonly #handler: H2Handler;
  readonly #server: Http2Server;
  readonly #sessions = new Set<TaggedSession>();
  readonly #maxStreams: number;
  readonly #maxBody: number;
  readonly #trusted: CidrSet | undefined;
  readonly #hsts: string;
  #accepting: H2Connection | null = null;
  #draining = false;

  constructor(handler: H2Handler, options: H2FrontOptions = {}) {
    this.#handler = handler;
    this.#maxStreams = options.maxConcurrentStreams ?? 128;
    this.#maxBody = options.maxBodySize ?? Infinity;
    this.#hsts = options.hsts ?? '';
    this.#trusted = options.trustedProxies === undefined || options.trustedProxies.length === 0 ? undefined : new CidrSet(options.trustedProxies);
    this.#server = createServer({
      settings: {
        maxConcurrentStreams: this.#maxStreams,
        maxHeaderListSize: options.maxHeaderListSize ?? 32 * 1024,
        initialWindowSize: STREAM_WINDOW,
        enablePush: false,
      },
      maxHeaderListPairs: MAX_HEADER_PAIRS,
      maxSessionInvalidFrames: MAX_INVALID_FRAMES,
      maxSessionRejectedStreams: MAX_REJECTED_STREAMS,
      streamResetBurst: STREAM_RESET_BURST,
      streamResetRate: STREAM_RESET_RATE,
    });
    this.#server.setTimeout(options.idleTimeoutMs ?? 75_000);
    this.#server.on('session', (session: TaggedSession) => this.#session(session));
    this.#server.on('stream', (stream: ServerHttp2Stream, _headers: unknown, _flags: number, raw: string[]) => this.#stream(stream, raw));
    // The server's own 'timeout' closes the idle session gracefully (GOAWAY, streams finish).
    this.#server.on('timeout', (session: ServerHttp2Session) => session.close());
  }

  /** Connections open (tests, metrics). */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Serves `socket` as HTTP/2: a TLS socket that negotiated `h2`, or a cleartext one whose
   * first bytes (`head`, read by the HTTP/1.1 front: the preface and what followed it) are put
   * back for nghttp2 to read. `source`: the client address a PROXY header gave
   * (`--proxy-protocol`), else the socket's peer is the client.
   */
  accept(socket: Socket, port: string, head?: Buffer, source?: string): void {
    if (this.#draining) {
      socket.destroy();
      return;
    }
    const clientAddress = source ?? plainAddress(socket.remoteAddress);
    const trustedProxies = this.#trusted !== undefined && this.#trusted.has(clientAddress) ? this.#trusted : undefined;
    this.#accepting = new H2Connection(socket, clientAddress, port, trustedProxies, this.#hsts);
    // node:http2 reads what is buffered in the socket first (never resume it here: flowing
    // with no reader would drop those bytes).
    if (head !== undefined && head.length > 0) socket.unshift(head);
    try {
      this.#server.emit('connection', socket);
    } finally {
      this.#accepting = null;
    }
  }

  /** GOAWAY on every connection (last stream id); they close once their streams finish. */
  drain(): void {
    this.#draining = true;
    for (const session of this.#sessions) if (!session.closed) session.close();
  }

  /** Closes connections with no stream in flight (after a drain's grace period). */
  closeIdle(): void {
    for (const session of this.#sessions) if ((session[kConn]?.active ?? 0) === 0) session.destroy();
  }

  /** Destroys every connection. */
  closeAll(): void {
    for (const session of this.#sessions) session.destroy();
  }

  closeSession(res: H2Response): void {
    const session = res.req.stream.session;
    if (session !== undefined && !session.closed) session.close();
  }

  streamClosed(res: H2Response): void {
    res.req.conn.active--;
  }

  #session(session: TaggedSession): void {
    const conn = this.#accepting;
    if (conn === null) {
      session.destroy();
      return;
    }
    session[kConn] = conn;
    this.#sessions.add(session);
    session.on('close', () => this.#sessions.delete(session));
    // A protocol error is the client's; the session closes, nothing to report.
    session.on('error', ignore);
    session.on('connect', () => {
      // The connection window covers every stream's window: one stalled upload never blocks
      // the other streams of its connection.
      session.setLocalWindowSize(STREAM_WINDOW * this.#maxStreams);
    });
    if (this.#draining) session.close();
  }

  #stream(stream: ServerHttp2Stream, raw: string[]): void {
    stream.on('error', ignore);
    const session = stream.session as TaggedSession | undefined;
    const conn = session?.[kConn];
    if (conn === undefined) {
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    conn.active++;
    const req = new H2Request(stream, conn, raw, this.#maxBody);
    const res = new H2Response(this, req);
    if (req.method === 'CONNECT') {
      // Not a forward proxy, and no extended CONNECT (RFC 8441) tunnels yet.
      answer(res, 405);
      return;
    }
    if (req.refusal !== 0) {
      answer(res, 400);
      return;
    }
    const body = req.body;
    if (body !== null) {
      body.onOverLimit = () => {
        // The upstream try stops; the client gets 413 if nothing was answered yet.
        res.exchange?.clientGone();
        if (!res.headersSent) answer(res, 413);
        else res.destroy();
      };
    }
    const host = hostOf(req.authority);
    if (host !== undefined && this.#handler.misdirected(host, conn.servername)) {
      answer(res, 421);
      return;
    }
    this.#handler.request(req, res);
  }
}

/** `Foo.example:8443` → `foo.example`; `[::1]:80` → `::1`. */
function hostOf(authority: string | undefined): string | undefined {
  if (authority === undefined) return undefined;
  let host = authority;
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  return host.toLowerCase();
}

const BODIES: Record<number, string> = {
  400: '400 Bad Request\n', 405: '405 Method Not Allowed\n', 413: '413 Payload Too Large\n', 421: '421 Misdirected Request\n',
};

function answer(res: H2Response, status: 400 | 405 | 413 | 421): void {
  const body = Buffer.from(BODIES[status]!);
  res.writeHead(status, undefined, ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length), 'cache-control', 'no-store']);
  res.end(body);
}

function ignore(): void {}
