import type { Socket } from 'node:net';
import { errors, type Dispatcher } from 'undici';
import { consume, currentBuffer, unconsume, type HttpParser, type ParseError } from '../http-parser.ts';
import type { H1Settings } from './h1-settings.ts';
import { keepAliveTimeoutMs } from './keep-alive-timeout.ts';
import { ConnectionDeadline, type DeadlineOwner } from './connection-deadline.ts';
import { RequestBodyWriter, type RequestBody } from './request-body-writer.ts';
import { expectsPayload, requestHead, type HeadFacts, type RequestHeaders } from './request-head.ts';
import { createResponseParser, type ResponseSink } from './response-parser.ts';
import { markKeepaliveRace } from './upstream-failure.ts';

/** What a connection tells its pool. */
export interface ConnectionOwner {
  readonly settings: H1Settings;
  connectionEstablished(): void;
  /** The response is complete and the connection may carry another request. */
  connectionFree(conn: H1Connection): void;
  /** The peer closed this reused connection before answering: free connections idle since
   * `freedAt` or longer are likely closed too (the upstream's idle timeout is evidently
   * shorter than what it saw); drop them before the caller retries. */
  connectionCrossed(freedAt: number): void;
  /** Called once per connection: it is gone (or handed over by an upgrade). */
  connectionClosed(conn: H1Connection, err: Error | null, established: boolean): void;
}

// Connection states (plain numbers: erasable syntax has no enums).
const CONNECTING = 0;
/** On the pool's free stack. */
const IDLE = 1;
/** A request is in flight. */
const BUSY = 2;
/** The response completed inside the current parse; freed once the parser returns. */
const DONE = 3;
const CLOSED = 4;

// What the connection's deadline means (NO_DEADLINE: none; it fires harmlessly in any other state).
const T_IDLE = 1;
const T_HEADERS = 2;
const T_BODY = 3;

type Handler = Dispatcher.DispatchHandler;
type DispatchOptions = Dispatcher.DispatchOptions & { headersTimeout?: number | null; bodyTimeout?: number | null };
function closeParser(parser: HttpParser): void {
  parser.close();
}

/**
 * One upstream HTTP/1.1 connection: a raw socket and node's native llhttp parser, one request
 * at a time (no pipelining). All per-connection state lives here; the functions a handler gets
 * (`abort`, `resume`) and the socket listeners are created once per connection, not per request.
 *
 * The parser reads the socket natively (as node:http's server does): no Buffer, 'data' event
 * or Readable machinery per read; kOnExecute reports each read (executed()). Only the JS stream
 * can pause, so when a handler holds the response back the connection switches to 'data'
 * events until it is free again with nothing buffered; a socket whose handle cannot be
 * consumed stays on 'data' events.
 *
 * `abort`/`resume` act on the connection's *current* request: a handler must not call them
 * after its onComplete/onError (ProxyExchange and the upgrade handler do not; undici gives a
 * closure per request instead, which is what this avoids).
 */
export class H1Connection implements ResponseSink, DeadlineOwner {
  state = CONNECTING;
  socket: Socket | null = null;
  /** Requests sent on this connection (maxRequestsPerClient). */
  requests = 0;
  /** When the connection was established (clientTtl). */
  establishedAt = 0;
  /** On the pool's free stack (the stack drops closed entries lazily). */
  stacked = false;
  /** When the last response completed (0: never); while busy, when it was last free. */
  freedAt = 0;
  readonly #owner: ConnectionOwner;
  readonly #settings: H1Settings;
  #parser: HttpParser | null = null;
  #handler: Handler | null = null;
  #options: DispatchOptions | null = null;
  /** The idle, head or body deadline (T_*), on one lazily moved timer. */
  readonly #deadline = new ConnectionDeadline(this);
  /** The idle timeout for this connection (a response's Keep-Alive can lower it). */
  #idleMs: number;
  readonly #facts: HeadFacts = { contentLength: -1 };
  readonly #writer: RequestBodyWriter;
  // Per request:
  #head = false;
  #upgrade = false;
  #reset = false;
  #keepAlive = false;
  #headersTimeout = 0;
  #bodyTimeout = 0;
  #paused = false;
  /** The message being parsed is a 1xx: its end is not the response's. */
  #interim = false;
  /** Headers flushed early by the parser (more than 32 pairs). */
  #flushed: string[] | null = null;
  #upgradeHeaders: string[] | null = null;
  /** A response (interim included) began: a close now is not a keepalive race. */
  #answered = false;
  /** Bytes arrived that no request asked for: never reuse. */
  #unexpected = false;
  /** The last response answered a HEAD and the current one has shown no valid head yet: bytes
   * that do not parse are the body a broken server sent after that HEAD response. */
  #afterHead = false;
  #ended = false;
  #error: Error | null = null;
  /** The native parser reads the socket (no 'data' listener). */
  #consumed = false;

  /** Ends the current request (see the class comment); undici's abort(err) contract. */
  readonly abort = (err?: Error): void => {
    if (this.#handler !== null) this.fail(err ?? new errors.RequestAbortedError());
  };
  /** Reads the socket again after a handler returned false from onHeaders/onData. */
  readonly resume = (): void => {
    if (!this.#paused || this.state !== BUSY) return;
    this.#paused = false;
    this.socket!.resume();
    if (this.#bodyTimeout > 0) this.#deadline.arm(T_BODY, this.#bodyTimeout);
  };
  /** The connector's callback. */
  readonly connected = (err: Error | null, socket: Socket | null): void => {
    if (this.state === CLOSED) {
      // Destroyed while connecting: the pool has already counted it gone.
      socket?.destroy();
      return;
    }
    if (err !== null || socket === null) {
      this.state = CLOSED;
      const handler = this.#handler;
      this.#handler = null;
      this.#owner.connectionClosed(this, err, false);
      handler?.onError?.(err ?? new errors.SocketError('connect failed'));
      return;
    }
    this.#attach(socket);
    this.#owner.connectionEstablished();
    if (this.#handler !== null) this.#send();
  };
  readonly #onData = (chunk: Buffer): void => this.#data(chunk);
  readonly #onEnd = (): void => this.#end();
  readonly #onError = (err: Error): void => {
    this.#error ??= err;
  };
  readonly #onClose = (): void => this.#closed();
  readonly #onDrain = (): void => this.#writer.drained();

  constructor(owner: ConnectionOwner) {
    this.#owner = owner;
    this.#settings = owner.settings;
    this.#idleMs = owner.settings.keepAliveTimeout;
    this.#writer = new RequestBodyWriter(this);
  }

  /** Takes a request; it is written now, or once the connection is established. */
  assign(options: Dispatcher.DispatchOptions, handler: Handler): void {
    this.#options = options as DispatchOptions;
    this.#handler = handler;
    if (this.state === IDLE) this.#send();
  }

  /** Fails the current request (if any) with `err` and closes the connection. */
  fail(err: Error): void {
    const handler = this.#handler;
    this.#handler = null;
    this.#options = null;
    this.#writer.abandon(err);
    this.destroy();
    if (handler !== null && handler.onError !== undefined) handler.onError(err);
  }

  /** Closes the connection now; a request still in flight gets onError(err) (pool destroy). */
  destroy(err?: Error): void {
    if (err !== undefined && this.#handler !== null) {
      this.fail(err);
      return;
    }
    const connecting = this.state === CONNECTING;
    this.state = CLOSED;
    this.#deadline.disarm();
    if (this.socket !== null) this.socket.destroy();
    else if (connecting) this.#owner.connectionClosed(this, null, false);
  }

  /** Idle, waiting on the free stack. */
  get free(): boolean {
    return this.state === IDLE;
  }

  /** Whether this free connection may carry another request at `now` (clientTtl). */
  reusable(now: number): boolean {
    const ttl = this.#settings.ttl;
    return this.state === IDLE && (ttl <= 0 || now - this.establishedAt <= ttl);
  }

  #attach(socket: Socket): void {
    this.socket = socket;
    this.establishedAt = Date.now();
    socket.setNoDelay(true);
    const parser = createResponseParser(this);
    this.#parser = parser;
    this.#consumed = consume(parser, socket);
    if (!this.#consumed) socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('drain', this.#onDrain);
  }

  #send(): void {
    const handler = this.#handler!;
    const options = this.#options!;
    const settings = this.#settings;
    this.state = BUSY;
    this.requests++;
    this.#paused = false;
    this.#flushed = null;
    this.#upgradeHeaders = null;
    this.#keepAlive = false;
    this.#interim = false;
    this.#answered = false;
    if (handler.onConnect !== undefined) {
      try {
        handler.onConnect(this.abort);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      if (this.#handler !== handler) return; // aborted at once
    }
    const method = options.method;
    const upgrade = typeof options.upgrade === 'string' ? options.upgrade : null;
    const body = options.body as RequestBody;
    const payload = expectsPayload(method);
    this.#head = method === 'HEAD';
    this.#upgrade = upgrade !== null;
    // undici's rules: close after an upgrade, or a body on a method that expects none, unless
    // the caller says reset: false; and after M requests. Not after HEAD (undici does, against
    // servers that send a body anyway): nginx keeps the connection, and so do we; such a body
    // is caught as stray bytes (#unexpected, #afterHead), never read as another answer.
    let reset = options.reset ?? (body != null && !payload);
    if (upgrade !== null) reset = true;
    if (settings.maxRequests > 0 && this.requests > settings.maxRequests) reset = true;
    this.#reset = reset;
    let head = requestHead(method, options.path, options.headers as RequestHeaders, settings.hostHeader, this.#facts);
    if (upgrade !== null) head += `connection: upgrade\r\nupgrade: ${upgrade}\r\n`;
    else head += reset ? 'connection: close\r\n' : 'connection: keep-alive\r\n';
    const headersTimeout = options.headersTimeout ?? settings.headersTimeout;
    this.#headersTimeout = headersTimeout;
    this.#bodyTimeout = options.bodyTimeout ?? settings.bodyTimeout;
    if (headersTimeout > 0) this.#deadline.arm(T_HEADERS, headersTimeout);
    else this.#deadline.disarm();
    this.#writer.send(this.socket!, head, body, this.#facts.contentLength, payload);
  }

  /** A streamed request body is all written: the wait for the head counts from now. */
  requestSent(): void {
    if (this.#deadline.mode === T_HEADERS) this.#deadline.restart();
  }

  messageBegin(): void {
    if (this.state !== BUSY) this.#unexpected = true;
    this.#answered = true;
  }

  headersFlushed(headers: string[]): void {
    this.#flushed = this.#flushed === null ? headers : this.#flushed.concat(headers);
  }

  headersComplete(raw: string[] | undefined, status: number, statusText: string, keepAlive: boolean): number {
    const handler = this.#handler;
    if (handler === null || this.state !== BUSY) {
      this.#unexpected = true;
      return 1;
    }
    this.#afterHead = false;
    let headers = raw ?? [];
    if (this.#flushed !== null) {
      headers = this.#flushed.concat(headers);
      this.#flushed = null;
    }
    if (status === 101) {
      if (!this.#upgrade) {
        this.fail(new errors.SocketError('bad upgrade'));
        return 1;
      }
      // Handed over once the parser returns (see #data): the rest is the new protocol.
      this.#upgradeHeaders = headers;
      return 2;
    }
    if (status < 200) {
      // Interim (100, 103): the final response follows on the same request.
      this.#interim = true;
      if (this.#deadline.mode === T_HEADERS) this.#deadline.restart();
      try {
        handler.onHeaders?.(status, headers as unknown as Buffer[], this.resume, statusText);
      } catch (err) {
        this.fail(err as Error);
      }
      return 1;
    }
    this.#keepAlive = keepAlive && !this.#reset && !this.#upgrade;
    if (this.#keepAlive) this.#keepAliveFrom(headers);
    if (this.#bodyTimeout > 0) this.#deadline.arm(T_BODY, this.#bodyTimeout);
    else this.#deadline.disarm();
    let more: boolean;
    try {
      more = handler.onHeaders === undefined || handler.onHeaders(status, headers as unknown as Buffer[], this.resume, statusText);
    } catch (err) {
      // Thrown inside a native read it would be uncaught: the request fails instead.
      this.fail(err as Error);
      return 1;
    }
    if (this.#handler !== handler) return 1; // aborted from onHeaders
    if (more === false) this.#pause();
    return this.#head || status === 204 || status === 304 ? 1 : 0;
  }

  body(chunk: Buffer): void {
    const handler = this.#handler;
    if (handler === null) return;
    if (this.#deadline.mode === T_BODY) this.#deadline.restart();
    try {
      if (handler.onData !== undefined && handler.onData(chunk) === false && this.#handler === handler) this.#pause();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  messageComplete(): void {
    // Closed meanwhile, an interim response's end, or an upgrade (handed over after parsing).
    if (this.state !== BUSY || this.#upgradeHeaders !== null) return;
    if (this.#interim) {
      this.#interim = false;
      return;
    }
    const handler = this.#handler;
    if (handler === null || this.#options === null) return;
    this.#flushed = null; // trailers, not relayed
    this.#handler = null;
    this.#options = null;
    this.state = DONE;
    this.#deadline.disarm();
    this.#afterHead = this.#head;
    // The upstream answered before taking the whole body: this connection cannot carry more.
    if (this.#writer.abandon(null)) this.#reset = true;
    try {
      handler.onComplete?.(NO_TRAILERS);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** DeadlineOwner: the armed deadline passed. */
  deadlinePassed(mode: number): void {
    if (mode === T_IDLE && this.state === IDLE) this.destroy();
    else if (mode === T_HEADERS && this.state === BUSY) {
      // As nginx's read timer, the wait for the head starts once the whole request is written:
      // while a body still streams, a slow client is not the upstream's fault (an upstream that
      // stops taking it is the send timeout's business). Checked again one period later.
      if (this.#writer.writing) this.#deadline.arm(T_HEADERS, this.#headersTimeout);
      else this.fail(new errors.HeadersTimeoutError());
    }
    else if (mode === T_BODY && this.state === BUSY && !this.#paused) this.fail(new errors.BodyTimeoutError());
  }

  #pause(): void {
    this.#paused = true;
    // Inside a native read: the switch to a pausable JS stream waits for its end (#parsed).
    if (!this.#consumed) this.socket!.pause();
    // Not charged to the upstream while the handler holds the response back.
    if (this.#deadline.mode === T_BODY) this.#deadline.disarm();
  }

  #keepAliveFrom(headers: readonly string[]): void {
    const s = this.#settings;
    const announced = keepAliveTimeoutMs(headers);
    if (announced < 0) {
      this.#idleMs = s.keepAliveTimeout;
      return;
    }
    const ms = Math.min(announced - s.keepAliveTimeoutThreshold, s.keepAliveMaxTimeout);
    if (ms <= 0) this.#keepAlive = false;
    else this.#idleMs = ms;
  }

  /** The parser finished a native read (kOnExecute): the bytes are parsed already. */
  executed(ret: number | ParseError): void {
    const state = this.state;
    if (state === BUSY || state === DONE) this.#parsed(ret, null);
    // A free connection got bytes: nobody can read them; drop it.
    else if (state !== CLOSED) this.destroy();
  }

  #data(chunk: Buffer): void {
    if (this.state !== BUSY) {
      // A free connection got bytes (or EOF-ish garbage): nobody can read them; drop it.
      this.destroy();
      return;
    }
    let ret: number | ParseError;
    try {
      ret = this.#parser!.execute(chunk);
    } catch (err) {
      // A handler threw inside a parser callback.
      this.fail(err as Error);
      return;
    }
    this.#parsed(ret, chunk);
  }

  /** After a chunk was parsed (`chunk` null: a native read, still the parser's current buffer). */
  #parsed(ret: number | ParseError, chunk: Buffer | null): void {
    if (this.#upgradeHeaders !== null && this.state === BUSY && typeof ret === 'number') {
      this.#handOver(chunk ?? currentBuffer(this.#parser!), ret);
      return;
    }
    if (typeof ret !== 'number') {
      // node's parse error (code HPE_*): a bad response, or the leftover of a HEAD's (which
      // says nothing about this request: a reset, retried on a fresh connection when safe).
      if (this.state !== BUSY) this.destroy();
      else this.fail(this.#afterHead ? new errors.SocketError('upstream sent a body after a HEAD response') : ret);
      return;
    }
    if (this.state === DONE) this.#free();
    else if (this.#paused && this.#consumed && this.state === BUSY) {
      // A handler held the response back: only the JS stream can pause the socket.
      this.#consumed = false;
      unconsume(this.#parser!, this.socket!);
      this.socket!.on('data', this.#onData);
      this.socket!.pause();
    }
  }

  /** Stops the parser reading; it is closed on the next loop turn, as this may run inside
   * its own native read (closing there would free the native parser under it). */
  #releaseParser(socket: Socket): void {
    const parser = this.#parser;
    if (parser === null) return;
    this.#parser = null;
    if (this.#consumed) unconsume(parser, socket);
    this.#consumed = false;
    setImmediate(closeParser, parser);
  }

  #end(): void {
    this.#ended = true;
    if (this.state === BUSY) {
      // EOF ends a close-delimited body; otherwise the response is cut short.
      try {
        this.#parser!.finish();
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      if (this.state === BUSY) this.#peerClosed(this.#error ?? new errors.SocketError('other side closed'));
    }
    if (this.state !== CLOSED) this.destroy();
  }

  /** After a complete response: back to the pool, or closed. */
  #free(): void {
    if (this.#unexpected || this.#ended || !this.#keepAlive || this.#reset || !this.socket!.writable || this.#expired()) {
      this.destroy();
      return;
    }
    this.state = IDLE;
    const socket = this.socket!;
    if (this.#paused) {
      this.#paused = false;
      socket.resume();
    }
    // Back to native reads once nothing is left in the JS stream's buffer (one held response
    // must not cost the connection's whole life).
    if (!this.#consumed && consume(this.#parser!, socket)) {
      this.#consumed = true;
      socket.off('data', this.#onData);
    }
    const now = Date.now();
    this.#deadline.arm(T_IDLE, this.#idleMs, now);
    this.freedAt = now;
    this.#owner.connectionFree(this);
  }

  #expired(): boolean {
    const ttl = this.#settings.ttl;
    return ttl > 0 && Date.now() - this.establishedAt > ttl;
  }

  /** The peer closed (or reset) the connection with a request in flight. */
  #peerClosed(err: Error): void {
    // A reused connection closed before any answer: the keepalive race. Older free
    // connections are as likely closed, so the retry must not walk into them one by one.
    if (!this.#answered && this.freedAt > 0) {
      this.#owner.connectionCrossed(this.freedAt);
      markKeepaliveRace(err);
    }
    this.fail(err);
  }

  #closed(): void {
    // An Error (with its stack) only for a request it fails: most closes are idle ones.
    if (this.#handler !== null) this.#peerClosed(this.#error ?? new errors.SocketError('other side closed'));
    this.state = CLOSED;
    this.#writer.abandon(null);
    this.#deadline.clear();
    if (this.socket !== null) this.#releaseParser(this.socket);
    this.#owner.connectionClosed(this, this.#error, true);
  }

  /** 101: the socket leaves the pool for the handler, with any bytes after the head put back. */
  #handOver(chunk: Buffer, parsed: number): void {
    const socket = this.socket!;
    const handler = this.#handler!;
    const headers = this.#upgradeHeaders!;
    this.#handler = null;
    this.#options = null;
    this.state = CLOSED;
    socket.off('data', this.#onData).off('end', this.#onEnd).off('error', this.#onError).off('close', this.#onClose).off('drain', this.#onDrain);
    this.#deadline.clear();
    this.#releaseParser(socket);
    this.socket = null;
    // Paused: the new owner starts the flow (pipe() does) and sees the unshifted bytes first.
    socket.pause();
    if (parsed < chunk.length) socket.unshift(chunk.subarray(parsed));
    this.#owner.connectionClosed(this, new errors.InformationalError('upgrade'), true);
    try {
      handler.onUpgrade?.(101, headers, socket);
    } catch {
      socket.destroy();
    }
  }
}

/** Trailers are not relayed; undici's own handlers expect an array (never mutated). */
const NO_TRAILERS: string[] = [];

