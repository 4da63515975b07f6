import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { RequestHeaderFacts } from '../../forward-headers.ts';
import type { DownstreamRequest } from '../downstream.ts';
import { headerObject } from '../http1/proxy-request.ts';
import type { PublicConnection } from './public-connection.ts';

/**
 * One request of the public-API HTTP/1.1 front: node:http's IncomingMessage seen as a
 * DownstreamRequest. The head was checked by the front exactly as the lean front checks it
 * (header count, framing, Host, target); the body, when there is one, is a PublicRequestBody.
 */
export class PublicRequest implements DownstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly facts: RequestHeaderFacts;
  readonly conn: PublicConnection;
  readonly message: IncomingMessage;
  /** An HTTP/1.0 request: no interim responses go to it (RFC 9110 §15.2). */
  readonly http10: boolean;
  /** The connection closes after the response (an HTTP/1.0 request with Transfer-Encoding:
   * faulty framing, RFC 9112 §6.1). */
  readonly closeAfter: boolean;
  /** `1.1` or `1.0` (the access log's protocol). */
  readonly httpVersion: string;
  /** Request body bytes read so far. */
  bodyBytes = 0;
  body: PublicRequestBody | null = null;
  bodyLimit: number;
  #headers: IncomingHttpHeaders | undefined;

  constructor(conn: PublicConnection, message: IncomingMessage, url: string, facts: RequestHeaderFacts, bodyLimit: number) {
    this.conn = conn;
    this.message = message;
    this.method = message.method ?? 'GET';
    this.url = url;
    this.rawHeaders = message.rawHeaders;
    this.facts = facts;
    this.bodyLimit = bodyLimit;
    this.http10 = message.httpVersionMinor === 0;
    this.httpVersion = message.httpVersion;
    this.closeAfter = this.http10 && facts.chunked;
  }

  get headers(): IncomingHttpHeaders {
    return (this.#headers ??= headerObject(this.rawHeaders));
  }
}

/**
 * The request body as the upstream client reads it: the IncomingMessage's data with
 * backpressure both ways (a full buffer pauses the message, hence node:http's socket), counted
 * against the request's bodyLimit. Destroying it (an answer that did not need the body, a failed
 * try) stops relaying and lets node:http read and drop the rest, so the connection carries on.
 * `at` and `held` are what the front's body timeout (nginx client_body_timeout) reads.
 */
export class PublicRequestBody extends Readable {
  readonly #message: IncomingMessage;
  readonly #req: PublicRequest;
  #bytes = 0;
  /** When the body last made progress. */
  at = Date.now();
  /** Pier holds the body back (the upstream is not taking it): not the client's time. */
  held = false;
  /** Writes `100 Continue` (Expect: 100-continue), on the first read or an upstream's 100. */
  #sendContinue: (() => void) | null;
  /** Told when the body passes bodyLimit (the front answers 413 or cuts the response). */
  onOverLimit: (() => void) | null = null;
  /** Told once, when the body ended or was destroyed (the front stops timing it). */
  onSettled: ((body: PublicRequestBody) => void) | null = null;
  readonly #onData = (chunk: Buffer): void => {
    this.at = Date.now();
    this.#req.bodyBytes += chunk.length;
    if ((this.#bytes += chunk.length) > this.#req.bodyLimit) {
      this.destroy(new Error('request body over the limit'));
      this.onOverLimit?.();
      return;
    }
    if (!this.push(chunk)) {
      this.held = true;
      this.#message.pause();
    }
  };
  readonly #onEnd = (): void => {
    this.push(null);
    this.#settle();
  };
  readonly #onClose = (): void => {
    if (!this.#message.complete) this.destroy(new Error('client closed the connection'));
  };

  constructor(message: IncomingMessage, req: PublicRequest, sendContinue: (() => void) | null) {
    super();
    this.#message = message;
    this.#req = req;
    this.#sendContinue = sendContinue;
    message.on('data', this.#onData);
    message.on('end', this.#onEnd);
    message.on('close', this.#onClose);
    message.on('error', ignore);
    // Destroyed with the reason (client gone, over the limit) before the upstream client may
    // have attached its listeners: that must not crash.
    this.on('error', ignore);
  }

  /** The client waits for `100 Continue` before sending the body, and none was sent yet. */
  get awaitingContinue(): boolean {
    return this.#sendContinue !== null;
  }

  /** Sends the `100 Continue` the client waits for, once. */
  continueNow(): void {
    const send = this.#sendContinue;
    this.#sendContinue = null;
    send?.();
  }

  override _read(): void {
    this.continueNow();
    if (this.held) {
      this.held = false;
      this.at = Date.now(); // the client's turn again
    }
    this.#message.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const message = this.#message;
    message.off('data', this.#onData);
    message.off('end', this.#onEnd);
    message.off('close', this.#onClose);
    // The rest is read and dropped by node:http, which then parses the next request.
    if (!message.destroyed) message.resume();
    this.#settle();
    callback(err);
  }

  #settle(): void {
    const settled = this.onSettled;
    this.onSettled = null;
    settled?.(this);
  }
}

function ignore(): void {}
