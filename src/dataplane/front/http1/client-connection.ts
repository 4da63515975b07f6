import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CidrSet } from '../../cidr-set.ts';
import { clientCertFacts } from '../../client-cert-facts.ts';
import type { ClientCertFacts } from '../downstream.ts';
import { consume, currentBuffer, methods, unconsume, type HttpParser, type ParseError } from '../../http-parser.ts';
import { emptyFacts, offersH2c, scanRequestHeaders, type ForwardedFor } from '../../forward-headers.ts';
import { allWritten } from '../../direct-write.ts';
import { rawErrorResponse, type ClientErrorStatus } from '../../error-response.ts';
import { listen, listenData, requestParser, retireParser, startQueued, unlisten } from './connection-events.ts';
import type { ConnectionHost } from './http1-handler.ts';
import { proxyDestinationPort } from './proxy-protocol.ts';
import { ProxyRequest } from './proxy-request.ts';
import { ProxyResponse } from './proxy-response.ts';
import { RequestBody } from './request-body.ts';
import { originTarget } from './request-target.ts';

// Reasons the socket is paused (bits): a full request body, a queued request, a pending error,
// an upgrade waiting for the responses before it.
const PAUSED_BODY = 1;
const PAUSED_QUEUE = 2;
const PAUSED_ERROR = 4;
const PAUSED_UPGRADE = 8;
/** How long a closing connection reads and drops what the client still sends (nginx's
 * lingering_timeout), so that closing does not reset the connection under its last response. */
const LINGER_MS = 5_000;
/** An Upgrade Pier ignored (h2c): none; its head was seen; its message ended (see #continueAfter). */
const IGNORED_UPGRADE_HEAD = 1;
const IGNORED_UPGRADE_DONE = 2;
const EMPTY = Buffer.alloc(0);
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/** The HTTP/2 connection preface (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * One client socket served by llhttp: the parser, the request being received, the response
 * being written, the queue of pipelined requests (answered strictly in order: the socket is
 * paused while one waits), the timestamps the server's sweep checks, and the upgrade hand-off.
 * It is also the per-connection record request handling reads (ForwardedFor + request count).
 * Parser and socket callbacks are shared functions (connection-events.ts) calling its methods:
 * nothing is allocated per request beyond the request and response objects.
 */
export class ClientConnection implements ForwardedFor {
  readonly socket: Socket;
  readonly host: ConnectionHost;
  readonly clientAddress: string;
  readonly proto: string;
  /** The `strict-transport-security` line of this connection's responses ('' in the clear). */
  readonly sts: string;
  readonly port: string;
  /** The balancer's port from this plain connection's PROXY header (forward-headers.ts). */
  readonly proxyDestinationPort: string | undefined;
  /** `--trusted-proxies`, when this connection comes from one of them (client-address.ts). */
  readonly trustedProxies: CidrSet | undefined;
  /** Requests started on this connection (request-handler counts, for keepaliveRequests). */
  requests = 0;
  /** The response being produced (its request is being or was received). */
  current: ProxyResponse | null = null;
  /** When a request head started arriving, 0 when not waiting for one. (Timestamps are exact:
   * the sweep that compares them runs every quarter timeout, so a timeout fires at most that
   * late, never early.) */
  headSince: number;
  /** When the connection went idle after a response, for the keepalive timeout. */
  idleSince = 0;
  /** When the request body being received last made progress. */
  bodyAt = 0;
  readonly #parser: HttpParser;
  /** The request whose head is complete and whose body is still arriving. */
  #reading: ProxyRequest | null = null;
  #queue: ProxyRequest[] = [];
  #paused = 0;
  /** Header pairs and URL pieces flushed by kOnHeaders before the head completed (more than 32
   * lines); anything flushed after it (trailers) is dropped when the message ends. */
  #pendingHeaders: string[] = [];
  #pendingUrl = '';
  /** The head being flushed has more lines than limits.maxHeaders: it is refused with 431. */
  #tooManyHeaders = false;
  /** Why headersComplete stopped the parser (it returned -1): the status to answer. */
  #refusal: ClientErrorStatus | 0 = 0;
  /** See IGNORED_UPGRADE_HEAD. */
  #ignoredUpgrade = 0;
  #upgrade: ProxyRequest | null = null;
  /** An upgrade whose head arrived while requests before it were still answered: handed off
   * once they are (with the bytes that followed its head). */
  #waitingUpgrade: ProxyRequest | null = null;
  #upgradeHead: Buffer = EMPTY;
  /** When the connection sent its FIN and started dropping input (0: not lingering). */
  #lingerSince = 0;
  /** The request whose response went out before its body was read: the rest of the body is
   * read and dropped, then the connection carries on (nginx's discarded body, node's dump). */
  #discarding: ProxyRequest | null = null;
  /** A status to answer once the responses before it are out (malformed pipelined input). */
  #error: ClientErrorStatus | 0 = 0;
  #gone = false;
  /** This connection closes once its last response is written: no further request is read. */
  #closing = false;
  /** The native parser reads the socket itself (until the socket must pause: then 'data'). */
  #consumed: boolean;
  /** A head completed or a message ended during the current read (see #headStarted). */
  #event = false;
  #clientCert: ClientCertFacts | undefined;

  constructor(socket: Socket, host: ConnectionHost, port: string, source?: string, trustedProxies?: CidrSet) {
    this.socket = socket;
    this.host = host;
    this.headSince = Date.now();
    this.clientAddress = source ?? plainAddress(socket.remoteAddress);
    this.trustedProxies = trustedProxies;
    this.proto = (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    this.proxyDestinationPort = proxyDestinationPort(socket);
    this.sts = this.proto === 'https' ? host.stsLine : '';
    this.port = port;
    this.#parser = requestParser(this, host.limits.maxHeaderSize);
    this.#consumed = consume(this.#parser, socket);
    socket.setNoDelay(true);
    listen(socket, this, !this.#consumed);
  }

  /** The client certificate facts of a TLS connection (auth-tls-*), read once, on first use. */
  get clientCert(): ClientCertFacts | undefined {
    if (this.proto !== 'https') return undefined;
    return (this.#clientCert ??= clientCertFacts(this.socket as TLSSocket));
  }

  /** No response in flight and none queued (drain closes these after its grace period). */
  get idle(): boolean {
    return this.current === null && this.#queue.length === 0;
  }

  /** The server's sweep: headers and body timeouts (408) and keepalive idle timeout (close). */
  checkTimeouts(now: number, keepaliveMs: number, headersMs: number, bodyMs: number): void {
    if (this.#gone) return;
    if (this.#lingerSince > 0) {
      if (now - this.#lingerSince >= LINGER_MS) this.socket.destroy();
      return;
    }
    if (this.current !== null) {
      // A body Pier holds back (the upstream is not taking it) is the send timeout's business.
      if (this.#reading !== null && (this.#paused & PAUSED_BODY) === 0 && now - this.bodyAt >= bodyMs) this.#bodyTimedOut();
      return;
    }
    if (this.headSince > 0) {
      if (now - this.headSince >= headersMs) this.#reject(408);
    } else if (now - this.idleSince >= keepaliveMs) {
      this.socket.destroy();
    }
  }

  /** A 'data' chunk (when the parser does not consume the socket). */
  data(chunk: Buffer): void {
    if (this.#closing) return;
    if (this.#waitingUpgrade !== null) {
      // The upgraded protocol's bytes: kept for the tunnel (the socket is paused already).
      this.socket.pause();
      this.socket.unshift(chunk);
      return;
    }
    this.executed(this.#parser.execute(chunk), chunk);
  }

  /** The parser finished a chunk (`chunk` null: a native read, still its current buffer). */
  executed(r: number | ParseError, chunk: Buffer | null): void {
    if (this.#refusal !== 0) {
      // (A refused upgrade's -1 reaches here as a byte count: node reports no parse error for
      // a parser that saw Upgrade or CONNECT.)
      if (!this.#closing) this.#fail(this.#refusal, new Error(`request refused with ${this.#refusal}`));
    } else if (typeof r !== 'number') {
      if (r.code === 'HPE_PAUSED_H2_UPGRADE' && this.#preface(r, chunk)) return;
      if (!this.#closing) this.#parseError(r, chunk ?? currentBuffer(this.#parser));
    } else if (this.#upgrade !== null) {
      this.#handOff(chunk ?? currentBuffer(this.#parser), r);
      if (this.#gone) return;
    } else if (this.#ignoredUpgrade === IGNORED_UPGRADE_DONE) {
      this.#ignoredUpgrade = 0;
      return this.#continueAfter(chunk, r);
    } else if (!this.#event && r > 0) {
      this.#headStarted();
    }
    this.#event = false;
    // A pause asked for during the read (full body, queued request, error) takes effect now,
    // outside the native read: only the JS stream can pause the socket.
    if (this.#consumed && (this.#paused !== 0 || this.#closing) && !this.#gone) {
      unconsume(this.#parser, this.socket);
      this.#consumed = false;
      listenData(this.socket);
      if (this.#paused !== 0) this.socket.pause();
    }
  }

  /**
   * A read brought bytes but no head or message end: if nothing is in flight or being received,
   * they begin a request head, which has headersTimeout to complete. (Known here rather than from
   * llhttp's message-begin callback, which would cost a native-to-JS call on every request. A
   * head that starts right after a complete message in the same read is noticed at its next
   * read instead; until then the connection is under the keepalive timeout.)
   */
  #headStarted(): void {
    if (this.headSince === 0 && this.current === null && this.#reading === null) this.headSince = Date.now();
  }

  /** A batch of header lines (a head of more than 32, or trailers: dropped at the message's end). */
  headers(headers: string[], url: string): void {
    if (this.#reading !== null) return; // trailers of a request being received: not relayed
    if (this.#pendingHeaders.length + headers.length > this.host.limits.maxHeaders * 2) {
      this.#tooManyHeaders = true; // refused at the head's end; nothing is kept past the limit
      return;
    }
    this.#pendingHeaders.push(...headers);
    this.#pendingUrl += url;
  }

  /**
   * A request head is complete. Everything that makes the request mean something else to Pier
   * than to a backend (or to one backend than another) is refused here, before anything is
   * routed: returning -1 stops the parser (llhttp's callback error, HPE_CB_HEADERS_COMPLETE) and
   * executed() answers `#refusal`, after the responses to requests before it, then closes.
   */
  headersComplete(major: number, minor: number, raw: string[] | undefined, method: number, url: string | undefined, upgrade: boolean, keepAlive: boolean): number {
    this.headSince = 0;
    this.#event = true;
    if (this.#closing || this.#error !== 0) return 0;
    if (raw === undefined) {
      raw = this.#pendingHeaders;
      this.#pendingHeaders = [];
      url = this.#pendingUrl;
      this.#pendingUrl = '';
    }
    const limits = this.host.limits;
    // Refused, never truncated: a header past the limit (Transfer-Encoding, Host) that Pier
    // dropped would still frame or route the request for everyone after it.
    if (this.#tooManyHeaders || raw.length > limits.maxHeaders * 2) return this.#refuse(431);
    if (major !== 1) return this.#refuse(505); // llhttp accepts 0.9 and 2.0 request lines
    const name = methods[method] ?? 'GET';
    if (name === 'CONNECT') return this.#refuse(405); // not a forward proxy
    const facts = emptyFacts();
    const refusal = scanRequestHeaders(raw, facts);
    if (refusal !== 0) return this.#refuse(refusal as ClientErrorStatus);
    const target = originTarget(name, url ?? '/', facts, minor >= 1);
    if (target === null) return this.#refuse(400);
    // An h2c offer is not relayed (h2c smuggling): the request is served as a plain one.
    const tunnel = upgrade && !offersH2c(facts.upgrade);
    // An upgrade's body would be read by nobody: the head goes upstream, the tunnel starts after
    // it. Refused rather than dropped (a backend would wait for the bytes its head announced).
    if (tunnel && facts.hasBody) return this.#refuse(400);
    // A declared Content-Length over the limit is refused once the route is known (the
    // request handler: a route's proxy-body-size may raise or lower the limit).
    // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing: it is
    // served, and the connection closes after the response.
    const keep = keepAlive && !(minor === 0 && facts.chunked);
    const req = new ProxyRequest(this, name, target, raw, major, minor, keep, facts, limits.maxBodySize);
    if (tunnel) {
      this.#upgrade = req; // handed off once execute() says where the head ended
      return 0;
    }
    if (upgrade) this.#ignoredUpgrade = IGNORED_UPGRADE_HEAD; // llhttp still stops after it
    if (facts.hasBody) {
      req.body = new RequestBody(this, facts.expectContinue);
      this.#reading = req;
      this.bodyAt = Date.now();
    } else {
      req.complete = true;
    }
    if (this.current === null && this.#queue.length === 0) this.#start(req);
    else {
      this.#queue.push(req);
      this.#pause(PAUSED_QUEUE);
    }
    return 0;
  }

  body(chunk: Buffer): void {
    this.bodyAt = Date.now();
    if (this.#discarding !== null) return;
    const req = this.#reading;
    if (req === null) return;
    if ((req.bodyBytes += chunk.length) > req.bodyLimit) return this.#fail(413, new Error('request body over the limit'));
    const body = req.body;
    if (body !== null && !body.push(chunk)) this.#pause(PAUSED_BODY);
  }

  messageComplete(): void {
    this.#event = true;
    // No header state outlives its message: trailers (and the flush of a refused head) go.
    if (this.#pendingHeaders.length > 0 || this.#pendingUrl !== '') {
      this.#pendingHeaders = [];
      this.#pendingUrl = '';
    }
    this.#tooManyHeaders = false;
    if (this.#ignoredUpgrade === IGNORED_UPGRADE_HEAD) this.#ignoredUpgrade = IGNORED_UPGRADE_DONE;
    const req = this.#reading;
    if (req === null) return;
    this.#reading = null;
    req.complete = true;
    if (this.#discarding === req) {
      this.#discarding = null;
      this.#carryOn();
      return;
    }
    req.body?.push(null);
    this.#resume(PAUSED_BODY);
  }

  /** RequestBody._read: the upstream client wants more of the body being received. */
  bodyWanted(body: RequestBody): void {
    if (this.#reading?.body !== body) return;
    if ((this.#paused & PAUSED_BODY) !== 0) this.bodyAt = Date.now(); // the client's turn again
    this.#resume(PAUSED_BODY);
  }

  /** `Expect: 100-continue`, on the body's first read (nothing else went out for it yet). */
  writeContinue(): void {
    if (this.current !== null && !this.current.headersSent && !this.#gone) this.socket.write(CONTINUE, 'latin1');
  }

  /** ProxyResponse.end: close, or start the next queued request, or go idle. */
  responseFinished(res: ProxyResponse): void {
    if (this.current !== res) return;
    this.current = null;
    if (res.closeAfter) {
      this.#closing = true;
      // Lingering costs an event and a read per connection: only when the client may still be
      // sending (an unread body, requests or an upgrade pipelined after this one, bytes read
      // and not parsed yet), as nginx's lingering_close.
      if (!res.req.complete || this.#queue.length > 0 || this.#waitingUpgrade !== null || this.socket.readableLength > 0) {
        this.#queue.length = 0;
        return this.#linger();
      }
      this.#pause(PAUSED_ERROR);
      if (allWritten(this.socket)) this.socket.destroy(); // a new connection per request: the common close
      else this.socket.destroySoon();
      return;
    }
    if (!res.req.complete && this.#reading === res.req) {
      // Answered before its body arrived (404, 503, an upstream's early answer): closing now
      // with unread bytes would make the kernel reset the connection, and the client could
      // lose the answer. Read the rest and drop it; the keepalive timeout bounds how long.
      this.#discarding = res.req;
      res.req.body?.destroy();
      this.idleSince = Date.now();
      this.#resume(PAUSED_BODY);
      return;
    }
    this.#carryOn();
  }

  /** The exchange before is over: start the next queued request, or a waiting upgrade, or go idle. */
  #carryOn(): void {
    const next = this.#queue.shift();
    if (next !== undefined) {
      // Not from inside the previous response's end(): no recursion through a pipelined batch.
      process.nextTick(startQueued, this, next);
      return;
    }
    if (this.#waitingUpgrade !== null) {
      process.nextTick(startQueued, this, null);
      return;
    }
    if (this.#error !== 0) return this.#reject(this.#error);
    this.idleSince = Date.now();
    this.#resume(PAUSED_QUEUE);
  }

  /** Starts a queued request (null: the upgrade that waited for the responses before it). */
  startQueued(req: ProxyRequest | null): void {
    if (this.#gone || this.#closing) return;
    if (req === null) {
      const upgrade = this.#waitingUpgrade!;
      this.#waitingUpgrade = null;
      return this.#tunnel(upgrade, this.#upgradeHead);
    }
    if (this.#queue.length === 0) this.#resume(PAUSED_QUEUE);
    this.#start(req);
  }

  drained(): void {
    const res = this.current;
    if (res === null || !res.waitingDrain) return;
    res.waitingDrain = false;
    res.exchange?.clientDrained();
  }

  /**
   * The client sent FIN. As node:http (without httpAllowHalfOpen) and nginx: a client that
   * stops sending is gone; whatever is in flight for it is aborted.
   */
  ended(): void {
    this.socket.destroy();
  }

  closed(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.host.forget(this);
    const res = this.current;
    this.current = null;
    if (res !== null && !res.finished) {
      res.destroyed = true;
      res.exchange?.clientGone();
    }
    const reading = this.#reading;
    if (reading !== null && !reading.complete) reading.body?.destroy(new Error('client closed the connection'));
    this.#queue.length = 0;
    this.#release();
  }

  #release(): void {
    if (this.#consumed) unconsume(this.#parser, this.socket);
    this.#consumed = false;
    this.#parser.free();
    // Not now: this may run inside the parser's own native read (kOnExecute, an upgrade), and
    // closing deletes the native parser under it. The next loop turn is outside any read.
    setImmediate(retireParser, this.#parser);
  }

  #start(req: ProxyRequest): void {
    const res = new ProxyResponse(this, req);
    this.current = res;
    this.host.handler.request(req, res);
  }

  #pause(reason: number): void {
    if (this.#paused === 0 && !this.#consumed) this.socket.pause();
    this.#paused |= reason;
  }

  #resume(reason: number): void {
    if ((this.#paused & reason) === 0) return;
    this.#paused &= ~reason;
    if (this.#paused === 0 && !this.#consumed) this.socket.resume();
  }

  /**
   * Malformed input (llhttp strict mode: smuggling attempts, bad chunk sizes, oversized heads):
   * 400 (431 for a head over the limit, 413 for oversized chunk extensions, 505 for an HTTP
   * version other than 1.0/1.1), then close.
   */
  #parseError(err: ParseError, buffer: Buffer): void {
    let status: ClientErrorStatus = 400;
    if (err.code === 'HPE_HEADER_OVERFLOW') status = 431;
    else if (err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') status = 413;
    else if (err.code === 'HPE_INVALID_VERSION' && wellFormedVersion(buffer, err.bytesParsed)) status = 505;
    this.#fail(status, err);
  }

  /** headersComplete's refusal: stops the parser (llhttp's callback error); executed() answers it. */
  #refuse(status: ClientErrorStatus): number {
    this.#refusal = status;
    return -1;
  }

  /**
   * The message being received cannot go on: answer `status` and close. If the broken message
   * is the one in flight, its exchange is abandoned (or, with the head already out, the
   * connection is cut); if it follows requests still being answered, it is answered after them.
   */
  #fail(status: ClientErrorStatus, reason: Error): void {
    this.#pause(PAUSED_ERROR);
    const reading = this.#reading;
    this.#reading = null;
    if (reading !== null) {
      reading.body?.destroy(reason);
      const queued = this.#queue.indexOf(reading);
      if (queued >= 0) this.#queue.length = queued; // it and anything after it are never answered
    }
    const res = this.current;
    if (res === null) return this.#reject(status);
    if (res.req !== reading) {
      this.#error = status;
      return;
    }
    this.#queue.length = 0;
    this.current = null;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.destroyed = true;
    res.exchange?.clientGone();
    this.#reject(status);
  }

  /**
   * The client stopped sending the body it announced (nginx client_body_timeout): 408 and close
   * when nothing of the response went out yet, else the connection is cut. The exchange is told
   * the client is gone, which aborts the upstream try.
   */
  #bodyTimedOut(): void {
    const reading = this.#reading!;
    const res = this.current!;
    this.#reading = null;
    reading.body?.destroy(new Error('client body timeout'));
    if (res.req !== reading || res.headersSent) {
      this.socket.destroy();
      return;
    }
    this.#queue.length = 0;
    this.current = null;
    res.destroyed = true;
    res.exchange?.clientGone();
    this.#reject(408);
  }

  /** Answers `status` on the raw socket and closes (nothing else is on the wire). */
  #reject(status: ClientErrorStatus): void {
    this.host.handler.rejected(status);
    this.#closing = true;
    this.#queue.length = 0;
    this.socket.write(rawErrorResponse(status), 'latin1');
    this.#linger();
  }

  /**
   * llhttp stops at the HTTP/2 connection preface (`PRI * HTTP/2.0` ... `SM`): a client with
   * prior knowledge (h2c). On a fresh connection the socket goes to the HTTP/2 front with the
   * preface and the bytes after it; this costs HTTP/1.1 connections nothing (no sniffing read).
   * Returns false when the front takes no HTTP/2 or requests came first (then it is a 400).
   */
  #preface(err: ParseError, chunk: Buffer | null): boolean {
    const handler = this.host.handler;
    if (handler.preface === undefined || this.requests > 0 || this.current !== null || this.#reading !== null || this.#queue.length > 0) return false;
    const read = chunk ?? currentBuffer(this.#parser);
    const rest = read.subarray(Math.min(read.length, err.bytesParsed));
    const socket = this.socket;
    this.#release();
    socket.pause();
    unlisten(socket);
    this.#gone = true;
    this.host.forget(this);
    // Outside this native read: the HTTP/2 session takes over the socket's handle, which must
    // not happen while llhttp's read callback is still running on it.
    setImmediate(prefaceHandOff, handler, socket, Buffer.concat([H2_PREFACE, rest]), this.port, this.clientAddress);
    return true;
  }

  /**
   * Closes once the last response is written: FIN now (the client reads the response to its
   * end), then what the client still sends (the rest of a refused body, pipelined requests) is
   * read and dropped until it closes too, or LINGER_MS pass. Closing with unread bytes would
   * make the kernel reset the connection, and the client could lose the response (nginx's
   * lingering close, node's dump of an unread body).
   */
  #linger(): void {
    this.#lingerSince = Date.now();
    this.socket.end();
    this.#paused = 0;
    // A consuming parser goes on reading (a closing connection ignores what it parses) until
    // executed() hands the socket to 'data' events, which data() drops.
    if (!this.#consumed) this.socket.resume();
  }

  /**
   * After a request whose Upgrade Pier ignored (h2c): llhttp stopped at its end, as for any
   * upgrade. What followed it in this read is the next request: parsed from here (a native read
   * cannot be re-entered: the bytes go back to the socket's stream, read through 'data').
   */
  #continueAfter(chunk: Buffer | null, consumed: number): void {
    const buffer = chunk ?? currentBuffer(this.#parser);
    this.#event = false;
    if (chunk !== null) {
      if (consumed < buffer.length) this.data(buffer.subarray(consumed));
      return;
    }
    if (this.#gone || this.#closing) return;
    const socket = this.socket;
    unconsume(this.#parser, socket);
    this.#consumed = false;
    if (consumed < buffer.length) socket.unshift(buffer.subarray(consumed));
    listenData(socket);
    if (this.#paused !== 0) socket.pause();
  }

  /**
   * The head of an Upgrade request ended at `consumed`: hand the socket over, or, if requests
   * before it are still being answered (pipelined), once they are. Nothing more is parsed: what
   * follows the head belongs to the upgraded protocol.
   */
  #handOff(chunk: Buffer, consumed: number): void {
    const req = this.#upgrade!;
    this.#upgrade = null;
    const head = consumed < chunk.length ? chunk.subarray(consumed) : EMPTY;
    if (this.current !== null || this.#queue.length > 0) {
      this.#waitingUpgrade = req;
      this.#upgradeHead = head;
      this.#pause(PAUSED_UPGRADE);
      return;
    }
    this.#tunnel(req, head);
  }

  #tunnel(req: ProxyRequest, head: Buffer): void {
    this.#upgradeHead = EMPTY;
    const socket = this.socket;
    this.#release();
    socket.pause(); // bytes after the head wait in the socket until the tunnel pipes them
    unlisten(socket);
    this.#gone = true;
    this.host.forget(this);
    this.host.handler.upgrade(req, socket, head);
  }
}

function prefaceHandOff(handler: ConnectionHost['handler'], socket: Socket, head: Buffer, port: string, clientAddress: string): void {
  if (socket.destroyed) return;
  // The client address goes along: a PROXY header (`--proxy-protocol`) may have given it.
  handler.preface!(socket, head, port, clientAddress);
}

/** An HTTP-version llhttp refused that is well formed (`HTTP/2.1`, `HTTP/3.0`, `HTTP/1.2`): a
 * version Pier does not speak (505), not a malformed request line (400). llhttp stops at the
 * CR after the version. */
export function wellFormedVersion(buffer: Buffer, at: number): boolean {
  if (at < 8 || buffer[at] !== 0x0d) return false;
  const v = buffer.toString('latin1', at - 8, at);
  return v.startsWith('HTTP/') && isDigit(v.charCodeAt(5)) && v.charCodeAt(6) === 0x2e && isDigit(v.charCodeAt(7)) && buffer[at - 9] === 0x20;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack listener) → `10.0.0.1`. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
