import { constants, type ClientHttp2Stream, type IncomingHttpHeaders, type IncomingHttpStatusHeader, type OutgoingHttpHeaders } from 'node:http2';
import type { Readable } from 'node:stream';
import { errors } from 'undici';
import { ConnectionDeadline, type DeadlineOwner } from '../connection-deadline.ts';
import { destroyBody } from '../request-body-writer.ts';
import { isTrailingBody, type UpstreamHandler, type UpstreamRequest } from '../upstream-handler.ts';
import { flatFields, h2RequestHeaders, trailerObject } from './h2-headers.ts';
import type { H2Session } from './h2-session.ts';

/** Where an exchange whose stream was refused before any processing is placed again. */
export interface ExchangeOwner {
  readonly scheme: string;
  /** `:authority` when the request carries no Host. */
  readonly authority: string;
  readonly readTimeoutMs: number;
  place(exchange: H2Exchange): void;
}

const { NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = constants;

const END_STREAM = { endStream: true } as const;
const WAIT_FOR_TRAILERS = { endStream: false, waitForTrailers: true } as const;
const OPEN = { endStream: false } as const;

/** Placements of one request on a stream before a refusal is reported instead of retried. */
const MAX_PLACEMENTS = 4;

// Deadlines (ConnectionDeadline modes).
const T_HEADERS = 1;
const T_BODY = 2;

const kExchange = Symbol('pier.h2.exchange');
type Tagged<T> = T & { [kExchange]?: H2Exchange | null };

// Stream and body listeners shared by every exchange (no closure per request): the emitter
// carries its exchange under kExchange, cleared when the exchange lets go of it.
function onResponse(this: Tagged<ClientHttp2Stream>, headers: IncomingHttpHeaders & IncomingHttpStatusHeader, _flags: number, raw: string[]): void {
  this[kExchange]?.response(Number(headers[':status']), raw);
}
function onInterim(this: Tagged<ClientHttp2Stream>, headers: IncomingHttpHeaders & IncomingHttpStatusHeader, _flags: number, raw: string[]): void {
  this[kExchange]?.interim(Number(headers[':status']), raw);
}
function onData(this: Tagged<ClientHttp2Stream>, chunk: Buffer): void {
  this[kExchange]?.data(chunk);
}
function onTrailers(this: Tagged<ClientHttp2Stream>, _headers: IncomingHttpHeaders, _flags: number, raw: string[]): void {
  this[kExchange]?.trailers(raw);
}
function onEnd(this: Tagged<ClientHttp2Stream>): void {
  this[kExchange]?.ended();
}
function onStreamError(this: Tagged<ClientHttp2Stream>, err: Error): void {
  this[kExchange]?.streamError(err);
}
function onStreamClose(this: Tagged<ClientHttp2Stream>): void {
  this[kExchange]?.streamClosed(this);
}
function onStreamDrain(this: Tagged<ClientHttp2Stream>): void {
  this[kExchange]?.streamDrained();
}
function onWantTrailers(this: Tagged<ClientHttp2Stream>): void {
  this[kExchange]?.sendTrailers(this);
}
function onBodyData(this: Tagged<Readable>, chunk: Buffer | string): void {
  this[kExchange]?.bodyData(chunk);
}
function onBodyEnd(this: Tagged<Readable>): void {
  this[kExchange]?.bodyEnded();
}
function onBodyError(this: Tagged<Readable>, err: Error): void {
  this[kExchange]?.fail(err);
}
function onBodyClose(this: Tagged<Readable>): void {
  this[kExchange]?.bodyClosed();
}
function settleLate(exchange: H2Exchange, body: Readable): void {
  exchange.bodySettled(body);
}

/**
 * One request on an HTTP/2 upstream, through the UpstreamHandler contract exactly as H1Pool
 * serves it: onConnect(abort) once, onHeaders (1xx too; false pauses the stream), onData (false
 * pauses), then onComplete(trailers as a flat list, or null) or onError. `abort` and `resume`
 * belong to this request (not to a connection as in H1Pool).
 *
 * Errors in undici's codes, so upstream-failure.ts classifies them as for HTTP/1.1: a connection
 * that could not be made fails with its socket error (ECONNREFUSED...: 'connect') or
 * ConnectTimeoutError; a stream or connection broken before the response completed with
 * SocketError ('reset'); the read timeout with HeadersTimeoutError / BodyTimeoutError.
 *
 * A stream the server refused without processing it (RST_STREAM REFUSED_STREAM, which nghttp2
 * also reports for the streams above a GOAWAY's last stream id, or a stream the session could
 * not start because a GOAWAY arrived first) is placed again on another connection by the pool,
 * invisibly to the caller, while its request body is untouched (RFC 9113 §8.7: such a request
 * is safe to retry whatever its method).
 *
 * Once the response is complete the request side is over too: a body still being sent is
 * dropped and the stream cancelled (as H1Pool closes a connection that answered early).
 */
export class H2Exchange implements DeadlineOwner {
  readonly #owner: ExchangeOwner;
  readonly #request: UpstreamRequest;
  readonly #handler: UpstreamHandler;
  #headers: OutgoingHttpHeaders | null = null;
  #session: H2Session | null = null;
  #stream: Tagged<ClientHttp2Stream> | null = null;
  #placements = 0;
  #done = false;
  #responded = false;
  #ended = false;
  /** This side cancelled the stream after the response completed (not a failure). */
  #cancelled = false;
  #paused = false;
  #trailers: string[] | null = null;
  #streamError: Error | null = null;
  /** The request body is being sent. */
  #body: Tagged<Readable> | null = null;
  /** The client's request trailers, read at the end of its body. */
  #requestTrailers: readonly string[] | null = null;
  #deadline: ConnectionDeadline | null = null;

  /** Ends this request with `err` (undici's abort contract). */
  readonly abort = (err?: Error): void => {
    this.fail(err ?? new errors.RequestAbortedError());
  };
  /** Reads the stream again after the handler returned false. */
  readonly resume = (): void => {
    if (!this.#paused || this.#done) return;
    this.#paused = false;
    this.#stream?.resume();
    this.#arm(T_BODY);
  };

  constructor(owner: ExchangeOwner, request: UpstreamRequest, handler: UpstreamHandler) {
    this.#owner = owner;
    this.#request = request;
    this.#handler = handler;
  }

  /** Starts the request on `session` (called by H2Session.start). */
  attach(session: H2Session): void {
    this.#session = session;
    if (this.#placements++ === 0 && this.#handler.onConnect !== undefined) {
      try {
        this.#handler.onConnect(this.abort);
      } catch (err) {
        this.fail(err as Error);
      }
      if (this.#done) {
        session.streamDone(this);
        return;
      }
    }
    const request = this.#request;
    const body = request.body;
    const headers = (this.#headers ??= h2RequestHeaders(request.method, request.path, this.#owner.scheme, this.#owner.authority, request.headers));
    // A body that may end with trailers (an HTTP/2 client's) opens the stream with
    // waitForTrailers: only then can node send a trailing HEADERS frame.
    const trailing = body !== null && isTrailingBody(body);
    let stream: Tagged<ClientHttp2Stream>;
    try {
      stream = session.session.request(headers, body === null ? END_STREAM : trailing ? WAIT_FOR_TRAILERS : OPEN);
    } catch (err) {
      session.streamDone(this);
      const code = (err as { code?: string }).code;
      if (code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_INVALID_SESSION' || code === 'ERR_HTTP2_OUT_OF_STREAMS') {
        session.draining = true;
        this.#refused(err as Error);
      } else {
        this.fail(err as Error); // a field node refuses: nothing was sent
      }
      return;
    }
    this.#stream = stream;
    stream[kExchange] = this;
    stream.on('response', onResponse);
    stream.on('headers', onInterim);
    stream.on('data', onData);
    stream.on('trailers', onTrailers);
    stream.on('end', onEnd);
    stream.on('error', onStreamError);
    stream.on('close', onStreamClose);
    if (trailing) stream.on('wantTrailers', onWantTrailers);
    if (body === null) this.#arm(T_HEADERS);
    else if (typeof body === 'string' || body instanceof Uint8Array) {
      // A whole body in memory (undici's dispatch accepts one; tests, health probes).
      stream.end(body);
      this.#arm(T_HEADERS);
    } else this.#startBody(stream, body);
  }

  response(status: number, raw: string[]): void {
    if (this.#done) return;
    this.#responded = true;
    this.#arm(T_BODY);
    let more: boolean;
    try {
      more = this.#handler.onHeaders === undefined || this.#handler.onHeaders(status, flatFields(raw) as unknown as Buffer[], this.resume, '');
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (more === false && !this.#done) this.#pause();
  }

  interim(status: number, raw: string[]): void {
    if (this.#done || this.#responded) return;
    if (this.#deadline?.mode === T_HEADERS) this.#deadline.restart();
    try {
      this.#handler.onHeaders?.(status, flatFields(raw) as unknown as Buffer[], this.resume, '');
    } catch (err) {
      this.fail(err as Error);
    }
  }

  data(chunk: Buffer): void {
    if (this.#done) return;
    if (this.#deadline?.mode === T_BODY) this.#deadline.restart();
    try {
      if (this.#handler.onData !== undefined && this.#handler.onData(chunk) === false && !this.#done) this.#pause();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  trailers(raw: string[]): void {
    this.#trailers = flatFields(raw);
  }

  /** The response is complete (END_STREAM); reported once the stream closes cleanly. */
  ended(): void {
    if (this.#done || !this.#responded) return;
    this.#ended = true;
    this.#deadline?.disarm();
    const body = this.#body;
    if (body !== null) {
      // Answered before the request body was all sent: stop sending it.
      this.#detachBody(body);
      destroyBody(body);
      this.#cancelled = true;
      this.#stream!.close(NGHTTP2_CANCEL);
    }
  }

  streamError(err: Error): void {
    this.#streamError ??= err;
  }

  streamClosed(stream: ClientHttp2Stream): void {
    if (stream !== this.#stream) return;
    (stream as Tagged<ClientHttp2Stream>)[kExchange] = null;
    const session = this.#session!;
    session.streamDone(this);
    if (this.#done) return;
    const rst = stream.rstCode;
    if (this.#ended && (rst === NGHTTP2_NO_ERROR || this.#cancelled)) {
      this.#complete();
      return;
    }
    if (!this.#responded && (rst === NGHTTP2_REFUSED_STREAM || (stream.id === undefined && session.connected && this.#streamError === null))) {
      this.#refused(this.#streamError ?? new errors.SocketError('stream refused'));
      return;
    }
    this.fail(this.#failure(rst));
  }

  /** The session closed with this exchange still on it (its stream never reported). */
  sessionGone(err: Error, connected: boolean): void {
    if (this.#done) return;
    this.#session?.streamDone(this);
    this.fail(connected ? new errors.SocketError(err.message) : err);
  }

  /** Ends the request with `err`: cancels the stream (freeing it upstream), then onError. */
  fail(err: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#deadline?.clear();
    const body = this.#body;
    if (body !== null) {
      this.#detachBody(body);
      destroyBody(body);
    }
    const stream = this.#stream;
    if (stream !== null && !stream.closed) stream.close(NGHTTP2_CANCEL);
    this.#handler.onError?.(err);
  }

  /** DeadlineOwner: the read timeout passed. */
  deadlinePassed(mode: number): void {
    if (this.#done) return;
    if (mode === T_HEADERS) {
      // As H1Pool: the wait for the head counts from the last byte of the request.
      if (this.#body !== null) this.#arm(T_HEADERS);
      else this.fail(new errors.HeadersTimeoutError());
    } else if (mode === T_BODY && !this.#paused) {
      this.fail(new errors.BodyTimeoutError());
    }
  }

  bodyData(chunk: Buffer | string): void {
    const stream = this.#stream;
    if (stream === null || this.#done) return;
    if (!stream.write(chunk)) this.#body?.pause();
  }

  bodyEnded(): void {
    const body = this.#body;
    if (body === null) return;
    if (isTrailingBody(body)) this.#requestTrailers = body.trailers;
    this.#detachBody(body);
    this.#stream?.end();
    if (!this.#responded) this.#arm(T_HEADERS);
  }

  bodyClosed(): void {
    // Destroyed before its end: the request can never be complete.
    if (this.#body !== null) this.fail(new errors.RequestAbortedError('request body closed early'));
  }

  /** For a body that had already ended or failed when the stream started. */
  bodySettled(body: Readable): void {
    if (this.#body !== body) return;
    if (body.readableEnded) this.bodyEnded();
    else this.fail(body.errored ?? new errors.RequestAbortedError('request body closed early'));
  }

  /** 'wantTrailers': the request's last DATA frame is queued; the trailers (or none) end it. */
  sendTrailers(stream: ClientHttp2Stream): void {
    if (stream.destroyed) return;
    try {
      stream.sendTrailers(trailerObject(this.#requestTrailers));
    } catch (err) {
      this.fail(err as Error); // a field node refuses
    }
  }

  streamDrained(): void {
    const body = this.#body;
    if (body !== null && body.isPaused()) body.resume();
  }

  #startBody(stream: ClientHttp2Stream, body: Readable): void {
    const tagged = body as Tagged<Readable>;
    this.#body = tagged;
    tagged[kExchange] = this;
    body.on('data', onBodyData);
    body.on('end', onBodyEnd);
    body.on('error', onBodyError);
    body.on('close', onBodyClose);
    stream.on('drain', onStreamDrain);
    if (body.errored !== null || body.destroyed || body.readableEnded) {
      setImmediate(settleLate, this, body);
      return;
    }
    body.resume();
  }

  #detachBody(body: Tagged<Readable>): void {
    this.#body = null;
    body[kExchange] = null;
    body.off('data', onBodyData);
    body.off('end', onBodyEnd);
    body.off('error', onBodyError);
    body.off('close', onBodyClose);
  }

  #complete(): void {
    this.#done = true;
    this.#deadline?.clear();
    try {
      this.#handler.onComplete?.(this.#trailers);
    } catch {
      // The response is complete; the handler's own failure is not the upstream's.
    }
  }

  /** Refused before any processing: placed again while the body is untouched. */
  #refused(cause: Error): void {
    const body = this.#request.body;
    const replayable = body === null || typeof body === 'string' || body instanceof Uint8Array || (!body.readableDidRead && !body.destroyed);
    if (!replayable || this.#placements >= MAX_PLACEMENTS) {
      this.fail(new errors.SocketError(`upstream refused the stream: ${cause.message}`));
      return;
    }
    if (this.#body !== null) this.#detachBody(this.#body);
    this.#stream = null;
    this.#session = null;
    this.#streamError = null;
    this.#deadline?.disarm();
    this.#owner.place(this);
  }

  /** The error a stream that closed before its response completed reports. */
  #failure(rst: number | undefined): Error {
    const err = this.#streamError;
    // A stream still pending when its connection failed: the connection's error (refused,
    // unreachable, connect timeout) says nothing reached the server.
    const code = (err as { code?: unknown } | null)?.code;
    const cause = (err as { cause?: unknown } | null)?.cause;
    if (err !== null && code === 'ERR_HTTP2_STREAM_CANCEL' && cause instanceof Error) return cause;
    // A socket error (ECONNRESET...) is classified as it is.
    if (err !== null && typeof code === 'string' && !code.startsWith('ERR_')) return err;
    return new errors.SocketError(`upstream stream closed before the response completed (RST_STREAM ${rst ?? 'none'}${err === null ? '' : `: ${err.message}`})`);
  }

  #pause(): void {
    this.#paused = true;
    this.#stream?.pause();
  }

  #arm(mode: number): void {
    const ms = this.#owner.readTimeoutMs;
    if (ms <= 0) return;
    (this.#deadline ??= new ConnectionDeadline(this)).arm(mode, ms);
  }
}
