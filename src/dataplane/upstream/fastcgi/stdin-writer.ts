import type { Socket } from 'node:net';
import { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { errors } from 'undici';
import { endOfStream, FCGI_STDIN, streamRecords } from './fcgi-records.ts';

/** What the writer reports to its connection. */
export interface StdinOwner {
  /** Ends the try (the connection closes, the handler gets onError). */
  fail(err: Error): void;
  /** The last STDIN record went out: the wait for the response starts. */
  requestSent(): void;
}

/**
 * Streams a request body as FCGI_STDIN records, never holding more than one read of it: each
 * chunk becomes records (split at 64 KiB, no copy) written at once; a write the socket does not
 * take pauses the body (its 'pause' event is what ProxyExchange's send timeout watches) until
 * the socket drains. The empty STDIN record ends the body. One writer per connection, reused by
 * each of its requests; its listeners are made once.
 */
export class StdinWriter {
  readonly #owner: StdinOwner;
  #body: Readable | null = null;
  #socket: Socket | null = null;
  readonly #onData = (chunk: Buffer | string): void => this.#write(chunk);
  readonly #onEnd = (): void => this.#end();
  readonly #onError = (err: Error): void => this.#owner.fail(err);
  readonly #onClose = (): void => {
    if (this.#body !== null) this.#owner.fail(new errors.RequestAbortedError('request body closed early'));
  };

  constructor(owner: StdinOwner) {
    this.#owner = owner;
  }

  /** A body is still being written. */
  get writing(): boolean {
    return this.#body !== null;
  }

  start(body: Readable, socket: Socket): void {
    this.#body = body;
    this.#socket = socket;
    body.on('data', this.#onData);
    body.on('end', this.#onEnd);
    body.on('error', this.#onError);
    body.on('close', this.#onClose);
    if (body.errored !== null || body.destroyed || body.readableEnded) {
      setImmediate(settleLate, this, body);
      return;
    }
    body.resume();
  }

  /** The socket drained: take the body again. */
  drained(): void {
    const body = this.#body;
    if (body !== null && body.isPaused()) body.resume();
  }

  /** Stops writing and destroys the unsent body. Returns whether a body was in progress. */
  abandon(): boolean {
    const body = this.#body;
    if (body === null) return false;
    this.#detach(body);
    destroyBody(body);
    return true;
  }

  settle(body: Readable): void {
    if (this.#body !== body) return;
    if (body.readableEnded) this.#end();
    else this.#owner.fail(body.errored ?? new errors.RequestAbortedError('request body closed early'));
  }

  #write(chunk: Buffer | string): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (data.length === 0) return; // an empty STDIN record would end the body
    const socket = this.#socket!;
    const records = streamRecords(FCGI_STDIN, data);
    socket.cork();
    let ok = true;
    for (const part of records) ok = socket.write(part);
    socket.uncork();
    if (!ok) this.#body!.pause();
  }

  #end(): void {
    const body = this.#body!;
    this.#detach(body);
    this.#socket!.write(endOfStream(FCGI_STDIN));
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

function settleLate(writer: StdinWriter, body: Readable): void {
  writer.settle(body);
}

/** As RequestBodyWriter: the client connection outlives the try (nodejs/node#38505). */
function destroyBody(body: Readable): void {
  if (body.destroyed) return;
  if (Object.getPrototypeOf(body).constructor === IncomingMessage) (body as unknown as { socket: null }).socket = null;
  body.destroy();
}
