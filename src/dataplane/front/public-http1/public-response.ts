import type { ServerResponse } from 'node:http';
import { equalsLower as same } from '../../ascii-case.ts';
import { downstreamResponseHeaders } from '../../forward-headers.ts';
import { withStrictTransport } from '../../strict-transport.ts';
import type { RouteMeter } from '../../metrics/route-meter.ts';
import { finishResponse, type DownstreamResponse, type FinishHook, type ResponseExchange } from '../downstream.ts';
import type { PublicConnection } from './public-connection.ts';
import type { PublicRequest } from './public-request.ts';

/** What a response asks of its front. */
export interface PublicResponseHost {
  /** Every response closes its connection (draining, or keepalive off). */
  readonly closeEach: boolean;
  /** `--hsts`: the Strict-Transport-Security value of responses over TLS ('' for none). */
  readonly hsts: string;
  /** node:http is done with one of `conn`'s responses (written, or cut). */
  responseClosed(conn: PublicConnection): void;
  /** `res` is complete, or will never be: the connection's next request may start. */
  responseDone(res: PublicResponse): void;
}

const kResponse = Symbol('pier.public.response');
type Tagged = ServerResponse & { [kResponse]?: PublicResponse };

// Listeners shared by every response (no closure per request).
function onDrain(this: Tagged): void {
  this[kResponse]?.exchange?.clientDrained();
}
function onClose(this: Tagged): void {
  this[kResponse]?.closed();
}

/**
 * The response to one PublicRequest: node:http's ServerResponse behind the DownstreamResponse
 * interface. node:http does the framing (Content-Length kept, else chunked for HTTP/1.1 and
 * close-delimited for HTTP/1.0; none for HEAD, 1xx, 204, 304), `Date`, keep-alive headers and
 * the order of pipelined responses; a `connection: close` in the head closes the connection after
 * it (Pier's own: keepalive_requests reached, draining; keepalive off adds it to every response).
 * Over TLS, `--hsts`'s Strict-Transport-Security replaces an upstream's.
 * Trailers go out in the chunked terminator; a response with a length drops them (as the lean
 * front does).
 */
export class PublicResponse implements DownstreamResponse {
  readonly req: PublicRequest;
  exchange: ResponseExchange | null = null;
  onFinish: FinishHook | undefined = undefined;
  startedAt = 0;
  meter: RouteMeter | undefined = undefined;
  /** Body bytes written (node:http writes the head itself; its size is not counted here). */
  bytesSent = 0;
  statusCode = 0;
  headersSent = false;
  destroyed = false;
  finished = false;
  readonly #res: Tagged;
  readonly #host: PublicResponseHost;

  constructor(host: PublicResponseHost, req: PublicRequest, res: ServerResponse) {
    this.#host = host;
    this.req = req;
    this.#res = res as Tagged;
    this.#res[kResponse] = this;
    res.on('drain', onDrain);
    res.on('close', onClose);
    req.conn.open++;
  }

  writeHead(status: number, statusText: string | undefined, headers: readonly string[]): void {
    if (this.headersSent || this.destroyed) return;
    this.statusCode = status;
    this.headersSent = true;
    const close = this.#host.closeEach || this.req.closeAfter;
    const sts = this.req.conn.proto === 'https' ? this.#host.hsts : '';
    const head = sts === '' ? headers : withStrictTransport(headers, sts);
    const flat = close && !hasConnection(head) ? [...head, 'connection', 'close'] : head;
    try {
      this.#res.writeHead(status, statusText, flat as string[]);
    } catch {
      // A name or value node:http refuses (it validates them): the response cannot be sent.
      this.destroy();
    }
  }

  writeUpstreamHead(status: number, statusText: string | undefined, raw: readonly (string | Buffer)[], close: boolean): void {
    this.writeHead(status, statusText, downstreamResponseHeaders(raw, close));
  }

  writeInterim(status: number, raw: readonly (string | Buffer)[]): void {
    if (this.headersSent || this.destroyed || this.finished || this.req.http10 || status === 101) return;
    if (status === 100) {
      if (this.req.message.complete !== true) this.req.body?.continueNow();
      return;
    }
    try {
      writeInformation(this.#res, status, downstreamResponseHeaders(raw, false));
    } catch {
      // A field node:http refuses: the interim response is only advice.
    }
  }

  write(chunk: Buffer): boolean {
    if (this.finished || this.destroyed) return true;
    this.bytesSent += chunk.length;
    return this.#res.write(chunk);
  }

  end(chunk?: Buffer, trailers?: readonly string[] | null): void {
    if (this.finished || this.destroyed) return;
    this.finished = true;
    this.#host.responseDone(this);
    const res = this.#res;
    if (chunk !== undefined) this.bytesSent += chunk.length;
    try {
      if (trailers != null && trailers.length > 0) res.addTrailers(pairs(trailers));
      res.end(chunk);
    } catch {
      res.destroy();
    }
    // An answer that did not need the request's body (404, 413, an upstream's early answer):
    // node:http reads and drops the rest, then serves the next request.
    const body = this.req.body;
    if (body !== null && !body.readableEnded) body.destroy();
    finishResponse(this);
  }

  destroy(): void {
    if (this.destroyed || this.finished) return;
    this.destroyed = true;
    this.#host.responseDone(this);
    this.#res.destroy();
    finishResponse(this);
  }

  /**
   * The front answers the request itself (413 over the body limit, 408 body timeout), unless
   * the head is out (then the connection is cut): the exchange in progress stops, and what it
   * would still write goes nowhere.
   */
  abandon(answer: (res: ServerResponse) => void): void {
    if (this.finished || this.destroyed) return;
    const exchange = this.exchange;
    if (this.headersSent) {
      this.destroy();
      exchange?.clientGone();
      return;
    }
    this.destroyed = true;
    this.#host.responseDone(this);
    exchange?.clientGone();
    answer(this.#res);
  }

  /** node:http's 'close': the response was written (and the ones before it), or the client
   * left before its end. */
  closed(): void {
    this.#res[kResponse] = undefined;
    const conn = this.req.conn;
    conn.open--;
    if (!this.finished && !this.destroyed) {
      this.destroyed = true;
      this.#host.responseDone(this);
      this.req.body?.destroy(new Error('client closed the connection'));
      this.exchange?.clientGone();
    }
    this.#host.responseClosed(conn);
  }
}

/** `writeInformation` (Node ≥ 24.18), else the one 1xx an older Node can send (103, 102). */
function writeInformation(res: ServerResponse, status: number, flat: readonly string[]): void {
  if (typeof res.writeInformation === 'function') return res.writeInformation(status, flat);
  if (status === 102) return res.writeProcessing();
  if (status !== 103) return;
  const hints: Record<string, string[]> = {};
  for (let i = 0; i < flat.length; i += 2) (hints[flat[i]!.toLowerCase()] ??= []).push(flat[i + 1]!);
  res.writeEarlyHints(hints);
}

function hasConnection(flat: readonly string[]): boolean {
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.length === 10 && same(flat[i]!, 'connection')) return true;
  return false;
}

/** Flat `[name, value, ...]` → node:http's `[[name, value], ...]`. */
function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([String(flat[i]), String(flat[i + 1])]);
  return out;
}
