import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { finishResponse, type DownstreamResponse, type FinishHook, type ResponseExchange } from '../downstream.ts';
import type { RouteMeter } from '../../metrics/route-meter.ts';
import { withStrictTransport } from '../../strict-transport.ts';
import { responseFields } from './h2-response-fields.ts';
import type { H2Request } from './h2-request.ts';

const kResponse = Symbol('pier.h2.response');
type Tagged = ServerHttp2Stream & { [kResponse]?: H2Response };

// Stream listeners shared by every response (no closure per request). 'drain' and
// 'wantTrailers' are added only to the streams that need them: each listener added to an
// Http2Stream costs an event of its own ('newListener').
function onClose(this: Tagged): void {
  this[kResponse]?.streamClosed();
}
function onDrain(this: Tagged): void {
  this[kResponse]?.exchange?.clientDrained();
}
function onWantTrailers(this: Tagged): void {
  this[kResponse]?.sendTrailers();
}

/** Whether `stream.respond()` takes a flat `[name, value, ...]` list (node 24 releases since
 * nodejs/node#59455): cleared on the first refusal, header objects are used from then on. */
let flatHeads = true;

/** What a response tells its front. */
export interface ResponseOwner {
  /** The response asked its connection to close (`connection: close`: keepalive_requests
   * reached, draining): the session stops taking streams (GOAWAY) and closes once they finish. */
  closeSession(res: H2Response): void;
  /** The response's stream closed (complete, reset, or cut). */
  streamClosed(res: H2Response): void;
}

/**
 * The response to one HTTP/2 request as a DownstreamResponse, on node:http2's core stream API.
 *
 * The head is held until the body starts or the response ends, so a response without body or
 * trailers (a gRPC trailers-only status, a 204) is ONE HEADERS frame with END_STREAM. A first
 * chunk that completes the body the head announced (`content-length`) is held too, for the
 * end that must follow it: the head and the body then leave in one `respond` + `end`, as
 * HEADERS + one DATA frame with END_STREAM (most small proxied responses). Any other chunk is
 * sent at once.
 *
 * Heads go to `respond` as flat lists (no header object built by Pier, none copied by node).
 *
 * Trailers: node:http2 can only send them on a stream opened with `waitForTrailers`, which costs
 * every response an extra frame and event (measured: ~2.5× the CPU of a plain response). So it
 * is used only where trailers are expected: a gRPC response (`content-type: application/grpc*`)
 * or one announcing them (`Trailer` field); a response whose head and end come together also
 * gets them. Other trailers are dropped (RFC 9110 §6.5: a recipient may discard them).
 * Connection-specific and hop-by-hop fields are dropped (RFC 9113 §8.2.2); `connection: close`
 * is read as "close this connection after this response" (keepalive_requests, drain) and never
 * sent. Over TLS, `--hsts`'s Strict-Transport-Security replaces an upstream's.
 *
 * The client resetting its stream (RST_STREAM) before the end tells the exchange
 * (`clientGone`), which aborts the upstream try and frees its connection or stream.
 */
export class H2Response implements DownstreamResponse {
  readonly req: H2Request;
  exchange: ResponseExchange | null = null;
  onFinish: FinishHook | undefined = undefined;
  startedAt = 0;
  meter: RouteMeter | undefined = undefined;
  /** Body bytes (the head is HPACK-compressed by nghttp2: not counted). */
  bytesSent = 0;
  statusCode = 0;
  headersSent = false;
  destroyed = false;
  finished = false;
  readonly #stream: Tagged;
  readonly #owner: ResponseOwner;
  /** The head decided but not sent yet (`:status` first). */
  #head: string[] | null = null;
  #noBody = false;
  #closeAfter = false;
  #trailers: readonly string[] | null = null;
  /** The response may end with trailers (see the class comment). */
  #expectTrailers = false;
  /** Body bytes the head announced (content-length), -1 when it did not. */
  #length = -1;
  /** The whole body, held with the head until the end. */
  #held: Buffer | null = null;
  /** A 100 (Continue) was relayed. */
  #continued = false;
  #draining = false;

  constructor(owner: ResponseOwner, req: H2Request) {
    this.#owner = owner;
    this.req = req;
    const stream = req.stream as Tagged;
    this.#stream = stream;
    stream[kResponse] = this;
    stream.on('close', onClose);
  }

  writeHead(status: number, _statusText: string | undefined, headers: readonly string[]): void {
    if (this.headersSent || this.destroyed) return;
    this.#decide(status, headers, false);
  }

  writeUpstreamHead(status: number, _statusText: string | undefined, raw: readonly (string | Buffer)[], close: boolean): void {
    if (this.headersSent || this.destroyed) return;
    const headers = raw.length > 0 && typeof raw[0] !== 'string' ? raw.map((v) => v.toString('latin1')) : (raw as readonly string[]);
    this.#decide(status, headers, true);
    if (close) this.#closeAfter = true;
  }

  /** An upstream's 1xx as an informational HEADERS frame (RFC 9113 §8.1), sent at once: the
   * response's own head is only decided later. */
  writeInterim(status: number, raw: readonly (string | Buffer)[]): void {
    if (this.headersSent || this.destroyed || this.finished || status === 101) return;
    if (status === 100) {
      if (!this.req.expectsContinue || this.#continued) return;
      this.#continued = true;
    }
    const headers = raw.length > 0 && typeof raw[0] !== 'string' ? raw.map((v) => v.toString('latin1')) : (raw as readonly string[]);
    const flat = responseFields(headers, true, status).fields;
    const fields: OutgoingHttpHeaders = {};
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i]!;
      const had = fields[name];
      fields[name] = had === undefined ? flat[i + 1]! : [...(Array.isArray(had) ? had : [String(had)]), flat[i + 1]!];
    }
    try {
      this.#stream.additionalHeaders(fields);
    } catch {
      // A field node refuses, or the stream is closing: the interim response is only advice.
    }
  }

  write(chunk: Buffer): boolean {
    if (this.finished || this.destroyed || this.#noBody || chunk.length === 0) return true;
    this.bytesSent += chunk.length;
    if (this.#head !== null) {
      const held = this.#held === null ? chunk : Buffer.concat([this.#held, chunk]);
      if (held.length === this.#length && !this.#expectTrailers) {
        // The whole body: nothing but the end can follow.
        this.#held = held;
        return true;
      }
      this.#held = null;
      this.#respond(false, this.#expectTrailers);
      return this.#write(held);
    }
    return this.#write(chunk);
  }

  end(chunk?: Buffer, trailers?: readonly string[] | null): void {
    if (this.finished || this.destroyed) return;
    this.finished = true;
    const stream = this.#stream;
    let last = chunk !== undefined && chunk.length > 0 && !this.#noBody ? chunk : undefined;
    if (last !== undefined) this.bytesSent += last.length;
    const withTrailers = trailers != null && trailers.length > 0 && !this.#noBody;
    if (this.#head !== null) {
      const held = this.#held;
      this.#held = null;
      if (held !== null) last = last === undefined ? held : Buffer.concat([held, last]);
      if (last === undefined && !withTrailers) this.#respond(true, false);
      else {
        // Head and end together: trailers are known now.
        this.#respond(false, withTrailers);
        this.#trailers = withTrailers ? trailers! : null;
        if (!stream.destroyed) stream.end(last);
      }
    } else {
      // With waitForTrailers, the end sends the trailers (or an empty DATA frame); without,
      // trailers nobody announced are dropped.
      this.#trailers = withTrailers ? trailers! : null;
      stream.end(last);
    }
    if (this.#closeAfter) this.#owner.closeSession(this);
    finishResponse(this);
  }

  destroy(): void {
    if (this.destroyed || this.finished) return;
    this.destroyed = true;
    this.#head = null;
    this.#held = null;
    if (!this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  /** 'wantTrailers': the last DATA frame is queued. */
  sendTrailers(): void {
    const stream = this.#stream;
    if (stream.destroyed) return;
    const trailers = this.#trailers;
    stream.sendTrailers(trailers === null ? {} : headerObject(responseFields(trailers, false).fields, 0));
  }

  /** The stream closed (complete, reset by the client, or cut). */
  streamClosed(): void {
    const stream = this.#stream;
    stream[kResponse] = undefined;
    this.#owner.streamClosed(this);
    const body = this.req.body;
    if (body !== null && !body.readableEnded) body.destroy(new Error('client reset the stream'));
    if (this.finished && stream.rstCode === constants.NGHTTP2_NO_ERROR) return;
    if (!this.destroyed) {
      this.destroyed = true;
      this.#head = null;
      this.#held = null;
    }
    if (!this.finished) this.exchange?.clientGone();
  }

  #write(chunk: Buffer): boolean {
    const stream = this.#stream;
    if (stream.destroyed) return true;
    if (stream.write(chunk)) return true;
    if (!this.#draining) {
      this.#draining = true;
      stream.on('drain', onDrain);
    }
    return false;
  }

  #decide(status: number, headers: readonly string[], upstream: boolean): void {
    this.statusCode = status;
    this.headersSent = true;
    this.#noBody = this.req.method === 'HEAD' || status === 204 || status === 304;
    const head = responseFields(headers, upstream, status);
    // Pier's own `connection: close` (draining, keepalive_requests); an upstream's speaks of
    // the upstream connection only (writeUpstreamHead's `close` says what the client's does).
    if (head.close && !upstream) this.#closeAfter = true;
    this.#expectTrailers = !this.#noBody && (head.grpc || head.announcesTrailers);
    this.#length = head.contentLength;
    const sts = this.req.conn.sts;
    this.#head = sts === '' ? head.fields : withStrictTransport(head.fields, sts);
  }

  #respond(endStream: boolean, waitForTrailers: boolean): void {
    const head = this.#head!;
    this.#head = null;
    const stream = this.#stream;
    if (stream.destroyed) return;
    if (waitForTrailers) stream.on('wantTrailers', onWantTrailers);
    const options = endStream ? END_STREAM : waitForTrailers ? WAIT_FOR_TRAILERS : undefined;
    try {
      if (flatHeads) {
        try {
          stream.respond(head as unknown as OutgoingHttpHeaders, options);
          return;
        } catch (err) {
          if ((err as { code?: string }).code !== 'ERR_INVALID_ARG_TYPE') throw err;
          flatHeads = false; // a node without flat heads: objects from now on
        }
      }
      stream.respond(headerObject(head, 2, Number(head[1])), options);
    } catch {
      // A field node refuses (it validates names and values): the response cannot be sent.
      this.destroy();
    }
  }
}

const END_STREAM = { endStream: true } as const;
const WAIT_FOR_TRAILERS = { waitForTrailers: true } as const;

/** Flat `[name, value, ...]` (from index `from`) → node:http2 header object, repeats as arrays. */
function headerObject(flat: readonly string[], from: number, status?: number): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  if (status !== undefined) out[':status'] = status;
  for (let i = from; i < flat.length; i += 2) {
    const name = flat[i]!;
    const value = flat[i + 1]!;
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[name] = [String(seen), value];
  }
  return out;
}
