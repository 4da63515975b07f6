import type { Socket } from 'node:net';
import { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { errors } from 'undici';
import { writeLatin1 } from '../direct-write.ts';
import { isTrailingBody } from './upstream-handler.ts';

/** Request bodies as the dispatch options carry them. */
export type RequestBody = Readable | Uint8Array | string | null | undefined;

/** What the writer reports to its connection. */
export interface BodyWriterOwner {
  /** Ends the try (the connection closes, the handler gets onError). */
  fail(err: Error): void;
  /** The last byte of a streamed body went out: the wait for the response head starts. */
  requestSent(): void;
}

/**
 * Writes one request (head + body) to the upstream socket; streams a body: raw when the headers carry Content-Length,
 * else chunked. Backpressure both ways: a write the socket does not take pauses the body (its
 * 'pause' event is what ProxyExchange's send timeout watches), the socket's 'drain' resumes it.
 * One writer per connection, reused by each of its requests; its listeners are made once.
 */
export class RequestBodyWriter {
  readonly #owner: BodyWriterOwner;
  #body: Readable | null = null;
  #socket: Socket | null = null;
  #chunked = false;
  #expected = -1;
  #written = 0;
  readonly #onData = (chunk: Buffer | string): void => this.#write(chunk);
  readonly #onEnd = (): void => this.#end();
  readonly #onError = (err: Error): void => this.#owner.fail(err);
  readonly #onClose = (): void => {
    // Destroyed before its end: the request can never be complete.
    if (this.#body !== null) this.#owner.fail(new errors.RequestAbortedError('request body closed early'));
  };

  constructor(owner: BodyWriterOwner) {
    this.#owner = owner;
  }

  /**
   * Writes the request: `head` (headers without the final CRLF) framed for `body`. No body:
   * one write, with `content-length: 0` for methods that expect one (`payload`). A Buffer or
   * string: with its length. A stream: raw when `contentLength` (from the caller's headers) is
   * known, else chunked; streamed with backpressure.
   */
  send(socket: Socket, head: string, body: RequestBody, contentLength: number, payload: boolean): void {
    if (body == null) {
      writeLatin1(socket, contentLength < 0 && payload ? `${head}content-length: 0\r\n\r\n` : `${head}\r\n`);
    } else if (typeof body === 'string' || body instanceof Uint8Array) {
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      socket.cork();
      socket.write(contentLength < 0 ? `${head}content-length: ${buf.length}\r\n\r\n` : `${head}\r\n`, 'latin1');
      socket.write(buf);
      socket.uncork();
    } else {
      socket.write(contentLength < 0 ? `${head}transfer-encoding: chunked\r\n\r\n` : `${head}\r\n`, 'latin1');
      this.#start(body, socket, contentLength);
    }
  }

  #start(body: Readable, socket: Socket, contentLength: number): void {
    this.#body = body;
    this.#socket = socket;
    this.#chunked = contentLength < 0;
    this.#expected = contentLength;
    this.#written = 0;
    body.on('data', this.#onData);
    body.on('end', this.#onEnd);
    body.on('error', this.#onError);
    body.on('close', this.#onClose);
    if (body.errored !== null || body.destroyed || body.readableEnded) {
      // Events that will not come again; reported outside dispatch() (undici does the same).
      setImmediate(settleLate, this, body);
      return;
    }
    body.resume();
  }

  /** A streamed body is still being written. */
  get writing(): boolean {
    return this.#body !== null;
  }

  /** The socket drained: take the body again. */
  drained(): void {
    const body = this.#body;
    if (body !== null && body.isPaused()) body.resume();
  }

  /** Stops writing (the try failed, or the response came before the body was sent) and
   * destroys the unsent body as undici does. Returns whether a body was still in progress. */
  abandon(_err: Error | null): boolean {
    const body = this.#body;
    if (body === null) return false;
    this.#detach(body);
    destroyBody(body);
    return true;
  }

  /** For a body that had already ended or failed when the try started. */
  settle(body: Readable): void {
    if (this.#body !== body) return;
    if (body.readableEnded) this.#end();
    else this.#owner.fail(body.errored ?? new errors.RequestAbortedError('request body closed early'));
  }

  #write(chunk: Buffer | string): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const len = data.length;
    if (len === 0) return; // a zero-size chunk would end a chunked body
    this.#written += len;
    if (this.#expected >= 0 && this.#written > this.#expected) {
      this.#owner.fail(new errors.RequestContentLengthMismatchError());
      return;
    }
    const socket = this.#socket!;
    let ok: boolean;
    if (this.#chunked) {
      socket.cork();
      socket.write(`${len.toString(16)}\r\n`, 'latin1');
      socket.write(data);
      ok = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else {
      ok = socket.write(data);
    }
    if (!ok) this.#body!.pause();
  }

  #end(): void {
    const body = this.#body!;
    if (this.#expected >= 0 && this.#written !== this.#expected) {
      this.#owner.fail(new errors.RequestContentLengthMismatchError());
      return;
    }
    this.#detach(body);
    if (this.#chunked) this.#socket!.write(lastChunk(isTrailingBody(body) ? body.trailers : null), 'latin1');
    this.#socket = null;
    this.#owner.requestSent();
  }

  #detach(body: Readable): void {
    this.#body = null;
    body.off('data', this.#onData);
    body.off('end', this.#onEnd);
    body.off('error', this.#onError);
    body.off('close', this.#onClose);
  }
}

/** The last chunk of a chunked body, with the client's trailers when it sent any (an HTTP/2
 * client's: a body with Content-Length has no place for them and they are dropped). The names
 * and values passed nghttp2's checks (no CR, LF or NUL). */
function lastChunk(trailers: readonly string[] | null): string {
  if (trailers === null) return '0\r\n\r\n';
  let s = '0\r\n';
  for (let i = 0; i < trailers.length; i += 2) s += `${trailers[i]}: ${trailers[i + 1]}\r\n`;
  return `${s}\r\n`;
}

function settleLate(writer: RequestBodyWriter, body: Readable): void {
  writer.settle(body);
}

/** node's IncomingMessage destroys its client socket when destroyed unfinished; undici clears
 * `socket` first (nodejs/node#38505) and so do we: the client connection outlives the try. */
export function destroyBody(body: Readable): void {
  if (body.destroyed) return;
  if (Object.getPrototypeOf(body).constructor === IncomingMessage) (body as unknown as { socket: null }).socket = null;
  body.destroy();
}
