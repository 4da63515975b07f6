import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { CidrSet } from '../../cidr-set.ts';
import { errorBody, rawErrorResponse, type ClientErrorStatus } from '../../error-response.ts';
import { emptyFacts, offersH2c, scanRequestHeaders } from '../../forward-headers.ts';
import { wellFormedVersion } from '../http1/client-connection.ts';
import type { Http1Front, Http1Handler } from '../http1/http1-handler.ts';
import type { Http1Options } from '../http1/http1-server.ts';
import { DEFAULT_MAX_HEADER_SIZE, DEFAULT_MAX_HEADERS } from '../http1/http1-server.ts';
import { readProxyHeader } from '../http1/proxy-protocol.ts';
import { listenerPort } from '../listener-port.ts';
import { originTarget } from '../http1/request-target.ts';
import { attach, connectionOf, PublicConnection } from './public-connection.ts';
import { sniffPreface } from './preface-sniff.ts';
import { PublicRequest, PublicRequestBody } from './public-request.ts';
import { PublicResponse, type PublicResponseHost } from './public-response.ts';

/** How long a connection that was answered an error reads and drops input before closing
 * (nginx's lingering_timeout, as the lean front). */
const LINGER_MS = 5_000;
const MAX_SWEEP_MS = 1_000;

/**
 * The HTTP/1.1 front on node:http, for a Node without the internals of the lean front
 * (node-internals.ts), or when forced (`--force-public-http`). Same Http1Front and Http1Handler
 * as Http1Server, same requests and answers as far as node:http allows: one http.Server is the
 * parser and writer of every connection Pier's own listeners accept (it never listens itself;
 * sockets are handed to it as 'connection' events, as the HTTP/2 front does with node:http2).
 *
 * The lean front's checks run on each head before anything is routed (header count → 431,
 * framing, Host, target → 400 / 501 / 505, CONNECT → 405); node:http enforces the head size
 * (431), strict parsing (400) and the head timeout (408: its connection checks, started by the
 * 'listening' event a listening server would emit); the keepalive timeout is node:http's, the
 * body timeout (nginx client_body_timeout) and the body limit (413) are counted here. Cleartext
 * connections that open with the HTTP/2 preface go to the HTTP/2 front: their first bytes are
 * read before node:http sees them (preface-sniff.ts).
 *
 * What differs from the lean front: pipelined requests are started as they arrive (node:http
 * still answers them in order), and a connection answered with an error is closed by node:http
 * once the answer is written.
 */
export class PublicHttp1Front implements Http1Front, PublicResponseHost {
  draining = false;
  readonly hsts: string;
  readonly #handler: Http1Handler;
  readonly #server: HttpServer;
  readonly #keepaliveOff: boolean;
  readonly #headersMs: number;
  readonly #bodyMs: number;
  readonly #maxHeaders: number;
  readonly #maxBodySize: number;
  readonly #trusted: CidrSet | undefined;
  readonly #proxyProtocol: boolean;
  /** Every socket accepted and not closed or handed off (upgrade, HTTP/2). */
  readonly #sockets = new Set<Socket>();
  /** Those whose first bytes are still awaited (node:http does not have them yet). */
  readonly #sniffing = new Set<Socket>();
  /** Request bodies being received, for the body timeout. */
  readonly #bodies = new Map<PublicRequestBody, PublicResponse>();
  readonly #sweep: NodeJS.Timeout;

  constructor(handler: Http1Handler, options: Http1Options = {}) {
    this.#handler = handler;
    const keepaliveMs = options.keepaliveTimeoutMs ?? 75_000;
    this.#keepaliveOff = keepaliveMs <= 0;
    this.#headersMs = options.headersTimeoutMs ?? 60_000;
    this.#bodyMs = options.bodyTimeoutMs ?? 60_000;
    this.#maxHeaders = options.maxHeaders ?? DEFAULT_MAX_HEADERS;
    this.#maxBodySize = options.maxBodySize === undefined || options.maxBodySize <= 0 ? Infinity : options.maxBodySize;
    this.#trusted = options.trustedProxies === undefined || options.trustedProxies.length === 0 ? undefined : new CidrSet(options.trustedProxies);
    this.#proxyProtocol = options.proxyProtocol === true;
    this.hsts = options.hsts ?? '';
    const server = createServer({
      maxHeaderSize: options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE,
      headersTimeout: this.#headersMs,
      // No total request time (a long upload must not be cut at a fixed time), as the lean front.
      requestTimeout: 0,
      keepAliveTimeout: keepaliveMs,
      connectionsCheckingInterval: Math.floor(Math.max(10, Math.min(MAX_SWEEP_MS, this.#headersMs / 4))),
      // originTarget decides (an absolute-form target needs no Host).
      requireHostHeader: false,
      noDelay: true,
    });
    // node:http keeps an idle keepalive connection keepAliveTimeoutBuffer (1 s) past the timeout
    // it announces; the lean front, like nginx, closes at --keepalive-timeout itself.
    (server as HttpServer & { keepAliveTimeoutBuffer: number }).keepAliveTimeoutBuffer = 0;
    // One more than allowed, so that a head over the limit is seen (and refused, never truncated).
    server.maxHeadersCount = this.#maxHeaders + 1;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#request(req, res, false));
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.#request(req, res, true));
    // Other expectations are the backend's business (Expect is not forwarded): served as usual.
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => this.#request(req, res, false));
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.#upgrade(req, socket, head));
    server.on('connect', (_req: IncomingMessage, socket: Socket) => this.#fail(socket, 405));
    server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }, socket: Socket) => this.#clientError(err, socket));
    // node:http starts its connection checks (the head timeout) when it listens; this one never
    // does, so it is told as a listening server would be.
    server.emit('listening');
    this.#server = server;
    const period = Math.max(10, Math.min(MAX_SWEEP_MS, this.#bodyMs / 4));
    this.#sweep = setInterval(sweepBodies, period, this);
    this.#sweep.unref();
  }

  /** PublicResponseHost: every response closes its connection. */
  get closeEach(): boolean {
    return this.draining || this.#keepaliveOff;
  }

  /** PublicResponseHost: a malformed request that waited for the responses before it. */
  responseClosed(conn: PublicConnection): void {
    if (conn.open === 0 && conn.pendingError !== 0 && !conn.failed) this.#fail(conn.socket, conn.pendingError);
  }

  get size(): number {
    return this.#sockets.size;
  }

  listenOn(server: NetServer): void {
    const port = new PortOf(server);
    if (this.#proxyProtocol) {
      server.on('connection', (socket: Socket) => readProxyHeader(socket, this.#headersMs, (s, source) => this.accept(s, port.of(s), source)));
    } else {
      server.on('connection', (socket: Socket) => this.accept(socket, port.of(socket)));
    }
  }

  listenOnTls(server: TlsServer, sourceOf?: (socket: TLSSocket) => string | undefined, listening: NetServer = server): void {
    const port = new PortOf(listening);
    server.on('secureConnection', (socket: TLSSocket) => this.accept(socket, port.of(socket), sourceOf?.(socket)));
  }

  accept(socket: Socket, port: string, source?: string): void {
    const conn = new PublicConnection(socket, port, source, this.#trusted);
    attach(conn);
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#sniffing.delete(socket);
    });
    socket.on('error', ignore);
    const preface = this.#handler.preface;
    if (preface === undefined || conn.proto === 'https') return this.#serve(socket);
    // Until node:http has it, the head timeout is this front's.
    this.#sniffing.add(socket);
    socket.setTimeout(this.#headersMs);
    socket.on('timeout', destroySelf);
    sniffPreface(socket, (head, h2) => {
      this.#sniffing.delete(socket);
      socket.setTimeout(0);
      socket.off('timeout', destroySelf);
      if (h2) {
        this.#sockets.delete(socket);
        preface.call(this.#handler, socket, head, port);
        return;
      }
      socket.unshift(head);
      this.#serve(socket);
    });
  }

  closeIdle(): void {
    this.#server.closeIdleConnections();
    // Connections node:http does not have yet (their first bytes are still awaited).
    for (const socket of this.#sniffing) socket.destroy();
  }

  closeAll(): void {
    clearInterval(this.#sweep);
    for (const socket of this.#sockets) socket.destroy();
    // Stops node:http's connection checks (the server never listened: nothing else to close).
    this.#server.close();
  }

  /** The sweep: request bodies that stopped arriving (nginx client_body_timeout). */
  sweepBodies(): void {
    const now = Date.now();
    for (const [body, res] of this.#bodies) {
      if (body.held || now - body.at < this.#bodyMs) continue;
      this.#bodies.delete(body);
      body.destroy(new Error('client body timeout'));
      res.req.conn.failed = true;
      this.#handler.rejected(408);
      res.abandon((r) => answer(r, 408));
    }
  }

  #serve(socket: Socket): void {
    this.#server.emit('connection', socket);
    // Bytes already read (put back by the PROXY header reader or the preface sniff) wait in the
    // socket's stream: node:http reads them through 'data' once it flows.
    socket.resume();
  }

  #request(message: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
    const conn = connectionOf(message.socket);
    if (conn === undefined) {
      res.destroy();
      return;
    }
    // The connection closes after an answer before this request: nothing more is served on it.
    if (conn.failed) return;
    const facts = emptyFacts();
    const status = this.#check(message, facts);
    const url = status === 0 ? originTarget(message.method!, message.url ?? '/', facts, message.httpVersionMinor >= 1) : null;
    if (url === null) return this.#refuse(conn, res, status === 0 ? 400 : status);
    const req = new PublicRequest(conn, message, url, facts, this.#maxBodySize);
    const response = new PublicResponse(this, req, res);
    if (facts.hasBody) {
      const body = new PublicRequestBody(message, req, expectContinue ? () => res.writeContinue() : null);
      req.body = body;
      conn.receiving = response;
      body.onSettled = (b) => {
        this.#bodies.delete(b);
        if (conn.receiving === response) conn.receiving = null;
      };
      body.onOverLimit = () => {
        conn.failed = true;
        this.#handler.rejected(413);
        response.abandon((r) => answer(r, 413));
      };
    }
    if (conn.current === null) return this.#start(response);
    conn.waiting.push(response);
    conn.socket.pause();
  }

  #start(res: PublicResponse): void {
    const conn = res.req.conn;
    conn.current = res;
    const body = res.req.body;
    // Its body is timed from now (a queued request's client was not reading on).
    if (body !== null && !body.destroyed && !body.readableEnded) {
      body.at = Date.now();
      this.#bodies.set(body, res);
    }
    this.#handler.request(res.req, res);
  }

  /** PublicResponseHost: the connection's next request, if one waits (not from inside the
   * previous response's end(): no recursion through a pipelined batch). */
  responseDone(res: PublicResponse): void {
    const conn = res.req.conn;
    if (conn.current !== res) return;
    conn.current = null;
    const next = conn.waiting.shift();
    if (next === undefined) return;
    process.nextTick(() => {
      if (conn.socket.destroyed || next.destroyed) return;
      if (conn.waiting.length === 0) conn.socket.resume();
      this.#start(next);
    });
  }

  #upgrade(message: IncomingMessage, socket: Socket, head: Buffer): void {
    const conn = connectionOf(socket);
    if (conn === undefined) {
      socket.destroy();
      return;
    }
    if (offersH2c(message.headers.upgrade)) return this.#declineUpgrade(message, socket, head);
    this.#sockets.delete(socket);
    const facts = emptyFacts();
    let status = this.#check(message, facts);
    // An upgrade's body would be read by nobody (the tunnel starts after the head): refused.
    if (status === 0 && facts.hasBody) status = 400;
    const url = status === 0 ? originTarget(message.method!, message.url ?? '/', facts, message.httpVersionMinor >= 1) : null;
    if (url === null) return this.#fail(socket, status === 0 ? 400 : status);
    socket.pause(); // bytes after the head wait in the socket until the tunnel pipes them
    this.#handler.upgrade(new PublicRequest(conn, message, url, facts, 0), socket, head);
  }

  /**
   * An h2c offer is not relayed (h2c smuggling): the request is served as a plain one, and the
   * connection goes on. node:http has handed the socket over as for any upgrade (the bytes after
   * the head included), so it is handed back to it with the head written again without its
   * Upgrade line (strictly parsed by node:http: names and values hold no CR or LF), which makes
   * it a plain request; Connection and HTTP2-Settings are dropped on the way upstream as ever.
   * (node:http's own way, shouldUpgradeCallback, loses the bytes that follow such a head in the
   * same read: a body, a pipelined request.)
   */
  #declineUpgrade(message: IncomingMessage, socket: Socket, head: Buffer): void {
    const raw = message.rawHeaders;
    let text = `${message.method} ${message.url} HTTP/1.${message.httpVersionMinor}\r\n`;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() !== 'upgrade') text += `${raw[i]}: ${raw[i + 1]}\r\n`;
    socket.pause();
    socket.unshift(Buffer.concat([Buffer.from(`${text}\r\n`, 'latin1'), head]));
    this.#serve(socket);
  }

  /** The lean front's checks of a request head: 0, or the status to refuse it with. */
  #check(message: IncomingMessage, facts: ReturnType<typeof emptyFacts>): ClientErrorStatus | 0 {
    if (message.rawHeaders.length > this.#maxHeaders * 2) return 431;
    if (message.httpVersionMajor !== 1) return 505;
    if (message.method === 'CONNECT') return 405;
    return scanRequestHeaders(message.rawHeaders, facts) as ClientErrorStatus | 0;
  }

  /** A head refused before routing: answered (after the responses before it: node:http keeps
   * their order), and the connection closes after it; what follows is not parsed further. */
  #refuse(conn: PublicConnection, res: ServerResponse, status: ClientErrorStatus): void {
    conn.failed = true;
    this.#handler.rejected(status);
    answer(res, status);
  }

  /**
   * Malformed input node:http's parser refused (or its head timeout): answered as the lean
   * front answers it. A broken body is its request's to answer (the exchange stops; a response
   * already under way is cut); a broken head after requests still being answered waits for
   * their responses; then the connection closes.
   */
  #clientError(err: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }, socket: Socket): void {
    const conn = connectionOf(socket);
    if (conn === undefined || conn.failed || conn.pendingError !== 0 || err.code === 'ECONNRESET' || !socket.writable) {
      if (conn?.failed !== true) socket.destroy();
      return;
    }
    let status: ClientErrorStatus = 400;
    if (err.code === 'HPE_HEADER_OVERFLOW') status = 431;
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') status = 408;
    else if (err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') status = 413;
    else if (err.code === 'HPE_INVALID_VERSION' && err.rawPacket !== undefined && wellFormedVersion(err.rawPacket, err.bytesParsed ?? 0)) status = 505;
    const receiving = conn.receiving;
    if (receiving !== null) {
      conn.receiving = null;
      conn.failed = true;
      receiving.req.body?.destroy(err);
      this.#handler.rejected(status);
      receiving.abandon((r) => answer(r, status));
      return;
    }
    if (conn.open > 0) {
      conn.pendingError = status;
      return;
    }
    this.#fail(socket, status);
  }

  /** Answers `status` on the raw socket, then reads and drops what the client still sends
   * until it closes, or LINGER_MS pass (so it gets the answer rather than a reset). */
  #fail(socket: Socket, status: ClientErrorStatus): void {
    const conn = connectionOf(socket);
    if (conn !== undefined) conn.failed = true;
    this.#handler.rejected(status);
    socket.end(rawErrorResponse(status), 'latin1');
    socket.setTimeout(LINGER_MS, () => socket.destroy());
    socket.resume();
  }
}

/** Pier's own answer (a refusal, 413, 408), with `connection: close`: node:http closes after it. */
function answer(res: ServerResponse, status: ClientErrorStatus): void {
  const body = errorBody(status);
  try {
    res.writeHead(status, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(body.length), 'Connection', 'close']);
    res.end(body);
  } catch {
    res.destroy();
  }
}

/** A listener's port (X-Forwarded-Port), read once. */
class PortOf {
  readonly #server: NetServer;
  #port: string | undefined;

  constructor(server: NetServer) {
    this.#server = server;
  }

  of(socket: Socket): string {
    return (this.#port ??= listenerPort(this.#server, socket));
  }
}

function sweepBodies(front: PublicHttp1Front): void {
  front.sweepBodies();
}

function destroySelf(this: Socket): void {
  this.destroy();
}

function ignore(): void {}
