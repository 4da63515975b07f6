import type { Socket } from 'node:net';
import { errors } from 'undici';
import { PierError } from '../../../errors.ts';
import { ConnectionDeadline, type DeadlineOwner } from '../connection-deadline.ts';
import type { UpstreamHandler, UpstreamRequest } from '../upstream-handler.ts';
import { CgiHeadReader } from './cgi-response.ts';
import type { FastcgiSettings } from './fastcgi-settings.ts';
import { writeLatin1 } from '../../direct-write.ts';
import {
  beginRequest, encodePairs, endOfStream, FCGI_PARAMS, FCGI_REQUEST_COMPLETE, FCGI_STDERR, FCGI_STDIN, FCGI_STDOUT,
  RecordReader, REQUEST_ID, requestPreamble, streamRecords, type RecordSink,
} from './fcgi-records.ts';
import { StdinWriter } from './stdin-writer.ts';
import { STDERR_LOG } from './stderr-log.ts';
import { markKeepaliveRace } from '../upstream-failure.ts';

/** What a connection tells its pool. */
export interface FcgiConnectionOwner {
  readonly settings: FastcgiSettings;
  /** `host:port` or the socket path, for logs. */
  readonly label: string;
  connectionEstablished(): void;
  connectionFree(conn: FcgiConnection): void;
  /** A reused connection closed before any answer (the idle-close race): connections free
   * since `freedAt` or longer are likely closed too. */
  connectionCrossed(freedAt: number): void;
  connectionClosed(conn: FcgiConnection, err: Error | null, established: boolean): void;
  /** A new connection's first request was sent and waits for its first record (see FcgiPool:
   * stalled requests). */
  requestWaiting(): void;
  /** The script answered with a local redirect: serve `path` (GET) to the same handler. */
  localRedirect(request: UpstreamRequest, handler: UpstreamHandler, path: string): void;
}

/** Code of a malformed FastCGI or CGI response (classified 'bad-response': 502). */
export const BAD_RESPONSE_CODE = 'PIER_ERR_FASTCGI_RESPONSE';

// States (plain numbers: erasable syntax has no enums).
const CONNECTING = 0;
const IDLE = 1;
const BUSY = 2;
/** END_REQUEST arrived inside the current read; freed once the read is processed. */
const DONE = 3;
const CLOSED = 4;

// Deadlines.
const T_CONNECT = 1;
const T_IDLE = 2;
const T_HEAD = 3;
const T_BODY = 4;

/**
 * One FastCGI connection, one request at a time (id 1). Writes BEGIN_REQUEST (FCGI_KEEP_CONN
 * unless this is the connection's last request) + PARAMS in one write, then streams STDIN
 * (StdinWriter); reads records incrementally (RecordReader): STDOUT through the CGI head reader
 * into onHeaders, then straight to onData as it arrives (false pauses the socket until
 * `resume`); STDERR to the log; END_REQUEST completes the request.
 *
 * Timeouts as the HTTP/1.1 pool's (nginx fastcgi_connect_timeout / fastcgi_read_timeout): the
 * wait for the head starts once the whole request is written, then counts between two reads and
 * stops while the handler holds the response back. Errors are undici's, so
 * classifyFailure() files them as for HTTP: connect failure, connect timeout, reset (the
 * connection broke), timeout; a malformed response is PIER_ERR_FASTCGI_RESPONSE (502).
 *
 * `abort`/`resume` act on the current request (as H1Connection: made once per connection).
 */
export class FcgiConnection implements RecordSink, DeadlineOwner {
  state = CONNECTING;
  socket: Socket | null = null;
  requests = 0;
  establishedAt = 0;
  stacked = false;
  freedAt = 0;
  /** When the current request was sent, until its first record arrives (0: not waiting). */
  waitingSince = 0;
  readonly #owner: FcgiConnectionOwner;
  readonly #settings: FastcgiSettings;
  readonly #reader = new RecordReader(this);
  readonly #deadline = new ConnectionDeadline(this);
  readonly #writer: StdinWriter;
  #handler: UpstreamHandler | null = null;
  #request: UpstreamRequest | null = null;
  /** The request's CGI params, flat `[name, value, ...]`. */
  #params: string[] | null = null;
  // Per request:
  #keepConn = false;
  readonly #head: CgiHeadReader;
  #headDone = false;
  #redirect: string | null = null;
  /** Body bytes the script's Content-Length allows (-1: no limit). */
  #bodyLeft = -1;
  #noBody = false;
  #paused = false;
  #answered = false;
  #unexpected = false;
  #ended = false;
  #error: Error | null = null;
  /** A local redirect to serve once this connection is free again (it may serve it). */
  #pendingRedirect: { request: UpstreamRequest; handler: UpstreamHandler; path: string } | null = null;

  readonly abort = (err?: Error): void => {
    if (this.#handler !== null) this.fail(err ?? new errors.RequestAbortedError());
  };
  readonly resume = (): void => {
    if (!this.#paused || this.state !== BUSY) return;
    this.#paused = false;
    this.socket!.resume();
    if (this.#settings.readMs > 0) this.#deadline.arm(this.#headDone ? T_BODY : T_HEAD, this.#settings.readMs);
  };
  readonly #onConnect = (): void => this.#connected();
  readonly #onData = (chunk: Buffer): void => this.#data(chunk);
  readonly #onEnd = (): void => this.#end();
  readonly #onError = (err: Error): void => {
    this.#error ??= err;
  };
  readonly #onClose = (): void => this.#closed();
  readonly #onDrain = (): void => this.#writer.drained();

  constructor(owner: FcgiConnectionOwner, socket: Socket) {
    this.#owner = owner;
    this.#settings = owner.settings;
    this.#writer = new StdinWriter(this);
    this.#head = new CgiHeadReader(this.#settings.maxHeaderBytes);
    this.socket = socket;
    socket.on('connect', this.#onConnect);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('drain', this.#onDrain);
    if (this.#settings.connectMs > 0) this.#deadline.arm(T_CONNECT, this.#settings.connectMs);
  }

  get free(): boolean {
    return this.state === IDLE;
  }

  /** Whether this free connection may carry another request at `now` (keepalive time). */
  reusable(now: number): boolean {
    const ttl = this.#settings.ttlMs;
    return this.state === IDLE && !this.#ended && (ttl <= 0 || now - this.establishedAt <= ttl);
  }

  /** Takes a request with its CGI params; sent now, or once connected. */
  assign(request: UpstreamRequest, handler: UpstreamHandler, params: string[]): void {
    this.#request = request;
    this.#handler = handler;
    this.#params = params;
    if (this.state === IDLE) this.#send();
  }

  fail(err: Error): void {
    const handler = this.#handler;
    this.#handler = null;
    this.#request = null;
    this.#writer.abandon();
    this.destroy();
    if (handler !== null) handler.onError?.(err);
  }

  destroy(err?: Error): void {
    if (err !== undefined && this.#handler !== null) {
      this.fail(err);
      return;
    }
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.waitingSince = 0;
    this.#deadline.disarm();
    this.socket?.destroy();
  }

  #connected(): void {
    if (this.state !== CONNECTING) return;
    this.establishedAt = Date.now();
    this.socket!.setNoDelay(true);
    this.#owner.connectionEstablished();
    if (this.#handler !== null) this.#send();
    else {
      // The request left (aborted) while connecting: keep the connection for the next one.
      this.#idle();
    }
  }

  #send(): void {
    const handler = this.#handler!;
    const request = this.#request!;
    const s = this.#settings;
    this.state = BUSY;
    this.requests++;
    this.#head.reset();
    this.#headDone = false;
    this.#redirect = null;
    this.#bodyLeft = -1;
    this.#paused = false;
    this.#answered = false;
    this.#reader.reset();
    if (handler.onConnect !== undefined) {
      try {
        handler.onConnect(this.abort);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      if (this.#handler !== handler) return; // aborted at once
    }
    this.#noBody = request.method === 'HEAD';
    this.waitingSince = Date.now();
    // Only a connection's first request can sit in php-fpm's backlog: a reused connection
    // already has its child, so its wait is the script's own time.
    if (this.requests === 1) this.#owner.requestWaiting();
    const last = s.maxRequests > 0 && this.requests >= s.maxRequests;
    this.#keepConn = s.maxIdle > 0 && request.reset !== true && !last;
    const body = request.body;
    const socket = this.socket!;
    const params = this.#params!;
    this.#params = null;
    const text = requestPreamble(this.#keepConn, params, body === null);
    if (text !== null) writeLatin1(socket, text);
    else {
      // Params beyond one record (64 KiB): split across records.
      const parts = [beginRequest(this.#keepConn)];
      streamRecords(FCGI_PARAMS, encodePairs(params), parts);
      parts.push(endOfStream(FCGI_PARAMS));
      if (body === null) parts.push(endOfStream(FCGI_STDIN));
      socket.write(Buffer.concat(parts));
    }
    if (body === null) this.requestSent();
    else {
      // The wait for the head starts once the body is sent (nginx's read timer).
      this.#deadline.disarm();
      this.#writer.start(body, socket);
    }
  }

  /** StdinOwner: the whole request is written. */
  requestSent(): void {
    if (this.state !== BUSY) return;
    if (this.#settings.readMs > 0 && !this.#headDone) this.#deadline.arm(T_HEAD, this.#settings.readMs);
  }

  /** RecordSink. */
  record(type: number, requestId: number, content: Buffer): void {
    if (this.state !== BUSY || requestId !== REQUEST_ID) {
      this.#unexpected = true;
      return;
    }
    this.waitingSince = 0;
    if (type === FCGI_STDOUT) this.#stdout(content);
    else if (type === FCGI_STDERR) {
      if (content.length > 0) STDERR_LOG.write(this.#owner.label, content);
    }
    // Other record types (FCGI_UNKNOWN_TYPE, GET_VALUES_RESULT) are not a Responder's answer: ignored.
  }

  /** RecordSink. */
  endRequest(requestId: number, _appStatus: number, protocolStatus: number): void {
    if (this.state !== BUSY || requestId !== REQUEST_ID) {
      this.#unexpected = true;
      return;
    }
    this.waitingSince = 0;
    if (protocolStatus !== FCGI_REQUEST_COMPLETE) {
      this.fail(new PierError(BAD_RESPONSE_CODE, `FastCGI request refused (protocol status ${protocolStatus})`));
      return;
    }
    if (!this.#headDone) {
      this.fail(new PierError(BAD_RESPONSE_CODE, 'FastCGI response ended before its head'));
      return;
    }
    if (this.#bodyLeft > 0) {
      // The head promised more than came: the client's response cannot be completed.
      this.fail(new errors.SocketError('FastCGI response shorter than its Content-Length'));
      return;
    }
    const handler = this.#handler!;
    const request = this.#request!;
    const redirect = this.#redirect;
    this.#handler = null;
    this.#request = null;
    this.state = DONE;
    this.#deadline.disarm();
    // The script answered before taking the whole body: the connection cannot carry more.
    if (this.#writer.abandon()) this.#keepConn = false;
    if (redirect !== null) {
      this.#pendingRedirect = { request, handler, path: redirect };
      return;
    }
    try {
      handler.onComplete?.(null);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** RecordSink. */
  malformed(reason: string): void {
    if (this.state === BUSY) this.fail(new PierError(BAD_RESPONSE_CODE, `malformed FastCGI record: ${reason}`));
    else this.destroy();
  }

  deadlinePassed(mode: number): void {
    if (mode === T_IDLE && this.state === IDLE) this.destroy();
    else if (mode === T_CONNECT && this.state === CONNECTING) {
      if (this.#handler !== null) this.fail(new errors.ConnectTimeoutError());
      else this.destroy();
    } else if (mode === T_HEAD && this.state === BUSY) this.fail(new errors.HeadersTimeoutError());
    else if (mode === T_BODY && this.state === BUSY && !this.#paused) this.fail(new errors.BodyTimeoutError());
  }

  #stdout(content: Buffer): void {
    if (content.length === 0) return; // the end of STDOUT; END_REQUEST follows
    this.#answered = true;
    const handler = this.#handler!;
    if (this.#headDone) {
      this.#body(handler, content);
      return;
    }
    const head = this.#head;
    const at = head.feed(content);
    if (at === -1) {
      this.#deadline.restart();
      return;
    }
    const parsed = at === -2 ? null : head.head();
    if (parsed === null) {
      this.fail(new PierError(BAD_RESPONSE_CODE, `malformed CGI response: ${head.error}`));
      return;
    }
    this.#headDone = true;
    if (parsed.localRedirect !== null) {
      // RFC 3875 §6.2.2: the script's body, if any, is not the answer.
      this.#redirect = parsed.localRedirect;
      this.#bodyLeft = -1;
      return;
    }
    const status = parsed.status;
    if (this.#noBody || status === 204 || status === 304) this.#noBody = true;
    else this.#bodyLeft = parsed.contentLength;
    if (this.#settings.readMs > 0) this.#deadline.arm(T_BODY, this.#settings.readMs);
    let more: boolean;
    try {
      more = handler.onHeaders === undefined || handler.onHeaders(status, parsed.headers as unknown as Buffer[], this.resume, parsed.statusText);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (this.#handler !== handler) return; // aborted from onHeaders
    if (more === false) this.#pause();
    if (at < content.length) this.#body(handler, content.subarray(at));
  }

  #body(handler: UpstreamHandler, chunk: Buffer): void {
    if (this.#redirect !== null || this.#noBody) return;
    if (this.#deadline.mode === T_BODY) this.#deadline.restart();
    let data = chunk;
    if (this.#bodyLeft >= 0) {
      // The script's Content-Length frames the client's response: never more than it said.
      if (this.#bodyLeft === 0) return;
      if (data.length > this.#bodyLeft) data = data.subarray(0, this.#bodyLeft);
      this.#bodyLeft -= data.length;
    }
    try {
      if (handler.onData !== undefined && handler.onData(data) === false && this.#handler === handler) this.#pause();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  #pause(): void {
    this.#paused = true;
    this.socket!.pause();
    if (this.#deadline.mode === T_BODY) this.#deadline.disarm();
  }

  #data(chunk: Buffer): void {
    if (this.state !== BUSY) {
      // A free connection got bytes nobody asked for: drop it.
      this.destroy();
      return;
    }
    this.#reader.feed(chunk);
    // feed() ran the callbacks that move the state.
    if ((this.state as number) !== DONE) return;
    this.#free();
    const redirect = this.#pendingRedirect;
    if (redirect !== null) {
      this.#pendingRedirect = null;
      this.#owner.localRedirect(redirect.request, redirect.handler, redirect.path);
    }
  }

  #end(): void {
    this.#ended = true;
    if (this.state === BUSY) this.#peerClosed(this.#error ?? new errors.SocketError('other side closed'));
    if (this.state !== CLOSED) this.destroy();
  }

  /** After END_REQUEST: back to the pool, or closed. */
  #free(): void {
    const socket = this.socket!;
    if (!this.#keepConn || this.#unexpected || this.#ended || !this.#reader.atBoundary || !socket.writable) {
      this.destroy();
      return;
    }
    if (this.#paused) {
      this.#paused = false;
      socket.resume();
    }
    this.#idle();
  }

  #idle(): void {
    this.state = IDLE;
    const now = Date.now();
    this.#deadline.arm(T_IDLE, this.#settings.idleMs, now);
    this.freedAt = now;
    this.#owner.connectionFree(this);
  }

  #peerClosed(err: Error): void {
    if (!this.#answered && this.freedAt > 0) {
      this.#owner.connectionCrossed(this.freedAt);
      markKeepaliveRace(err);
    }
    this.fail(err);
  }

  #closed(): void {
    const established = this.establishedAt > 0;
    const err = this.#error ?? new errors.SocketError('other side closed');
    if (this.#handler !== null) {
      if (established) this.#peerClosed(err);
      else this.fail(err);
    }
    this.state = CLOSED;
    this.#writer.abandon();
    this.#deadline.clear();
    this.#owner.connectionClosed(this, this.#error, established);
  }
}
