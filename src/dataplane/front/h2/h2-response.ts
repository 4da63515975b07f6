import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { equalsLower as eq } from '../../ascii-case.ts';
import { namesNoHeader, responseHeaderFate, RESPONSE_CONNECTION, RESPONSE_DROP } from '../../forward-headers.ts';
import { finishResponse, type DownstreamResponse, type FinishHook, type ResponseExchange } from '../downstream.ts';
import type { RouteMeter } from '../../metrics/route-meter.ts';
import type { H2Request } from './h2-request.ts';

const kResponse = Symbol('pier.h2.response');
type Tagged = ServerHttp2Stream & { [kResponse]?: H2Response };

// Stream listeners shared by every response (no closure per request).
function onClose(this: Tagged): void {
  this[kResponse]?.streamClosed();
}
function onDrain(this: Tagged): void {
  this[kResponse]?.exchange?.clientDrained();
}
function onWantTrailers(this: Tagged): void {
  this[kResponse]?.sendTrailers();
}
function flushHead(res: H2Response): void {
  res.flushHead();
}

/** A first body chunk up to this size waits (to the end of the tick) for the end. */
const HOLD_MAX = 16 * 1024;

/** What a response tells its front once it is complete. */
export interface ResponseOwner {
  /** The response asked its connection to close (`connection: close`: keepalive_requests
   * reached, draining): the session stops taking streams (GOAWAY) and closes once they finish. */
  closeSession(res: H2Response): void;
}

/**
 * The response to one HTTP/2 request as a DownstreamResponse. The head is held until the body
 * starts or the response ends, so a response without body or trailers (a gRPC trailers-only
 * status, a 204) is ONE HEADERS frame with END_STREAM; a small first chunk is held to the end
 * of the tick too, so a response whose end follows in the same read (most small ones) goes out
 * as HEADERS + one DATA with END_STREAM.
 *
 * Trailers: node:http2 can only send them on a stream opened with `waitForTrailers`, which costs
 * every response an extra frame and event (measured: ~2.5× the CPU of a plain response). So it
 * is used only where trailers are expected: a gRPC response (`content-type: application/grpc*`)
 * or one announcing them (`Trailer` field); a response that sends its end in the same tick as
 * its head also gets them. Other trailers are dropped (RFC 9110 §6.5: a recipient may discard
 * them). Connection-specific and hop-by-hop fields are dropped (RFC 9113
 * §8.2.2), names lower-cased; `connection: close` is read as "close this connection after
 * this response" (keepalive_requests, drain) and never sent.
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
  /** The head decided but not sent yet. */
  #head: OutgoingHttpHeaders | null = null;
  #noBody = false;
  #closeAfter = false;
  #trailers: readonly string[] | null = null;
  /** The response may end with trailers (see the class comment). */
  #expectTrailers = false;
  /** Body held with the head until the end of the tick. */
  #held: Buffer | null = null;
  #flushScheduled = false;

  constructor(owner: ResponseOwner, req: H2Request) {
    this.#owner = owner;
    this.req = req;
    const stream = req.stream as Tagged;
    this.#stream = stream;
    stream[kResponse] = this;
    stream.on('close', onClose);
    stream.on('drain', onDrain);
    stream.on('wantTrailers', onWantTrailers);
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

  write(chunk: Buffer): boolean {
    if (this.finished || this.destroyed || this.#noBody || chunk.length === 0) return true;
    this.bytesSent += chunk.length;
    if (this.#head !== null) {
      const held = this.#held === null ? chunk : Buffer.concat([this.#held, chunk]);
      if (held.length <= HOLD_MAX) {
        this.#held = held;
        if (!this.#flushScheduled) {
          this.#flushScheduled = true;
          process.nextTick(flushHead, this);
        }
        return true;
      }
      this.#held = null;
      this.#respond(false, this.#expectTrailers);
      return this.#stream.write(held);
    }
    return this.#stream.write(chunk);
  }

  /** End of the tick after a held first chunk: the head and that chunk go out. */
  flushHead(): void {
    this.#flushScheduled = false;
    if (this.#head === null || this.finished || this.destroyed) return;
    const held = this.#held;
    this.#held = null;
    this.#respond(false, this.#expectTrailers);
    // A full stream shows on the next write (false, then 'drain').
    if (held !== null) this.#stream.write(held);
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
        // Head and end in one tick: trailers are known now.
        this.#respond(false, withTrailers);
        this.#trailers = withTrailers ? trailers! : null;
        stream.end(last);
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
    if (!this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  /** 'wantTrailers': the last DATA frame is queued. */
  sendTrailers(): void {
    const stream = this.#stream;
    if (stream.destroyed) return;
    const trailers = this.#trailers;
    stream.sendTrailers(trailers === null ? {} : fieldsObject(trailers, false));
  }

  /** The stream closed (complete, reset by the client, or cut). */
  streamClosed(): void {
    const stream = this.#stream;
    stream[kResponse] = undefined;
    const body = this.req.body;
    if (body !== null && !body.readableEnded) body.destroy(new Error('client reset the stream'));
    if (this.finished && stream.rstCode === constants.NGHTTP2_NO_ERROR) return;
    if (!this.destroyed) {
      this.destroyed = true;
      this.#head = null;
    }
    if (!this.finished) this.exchange?.clientGone();
  }

  #decide(status: number, headers: readonly string[], upstream: boolean): void {
    this.statusCode = status;
    this.headersSent = true;
    this.#noBody = this.req.method === 'HEAD' || status === 204 || status === 304;
    const head = fieldsObject(headers, upstream);
    if (head.connection !== undefined) {
      // Pier's own `connection: close` (draining, keepalive_requests); an upstream's speaks of
      // the upstream connection only (writeUpstreamHead's `close` says what the client's does).
      if (!upstream && String(head.connection).toLowerCase().includes('close')) this.#closeAfter = true;
      delete head.connection;
    }
    head[':status'] = status;
    const type = head['content-type'];
    this.#expectTrailers = !this.#noBody && ((typeof type === 'string' && type.startsWith('application/grpc')) || announcesTrailers(headers));
    this.#head = head;
  }

  #respond(endStream: boolean, waitForTrailers: boolean): void {
    const head = this.#head!;
    this.#head = null;
    try {
      this.#stream.respond(head, endStream ? { endStream: true } : { waitForTrailers });
    } catch {
      // A field node refuses (it validates names and values): the response cannot be sent.
      this.destroy();
    }
  }
}

/**
 * Flat `[name, value, ...]` → node:http2 header object: names lower-cased, repeats as arrays,
 * without the fields HTTP/2 forbids (connection-specific, RFC 9113 §8.2.2) or Pier drops
 * between hops (`upstream`: hop-by-hop and those a Connection field names). `connection` itself
 * is kept for the caller to read and remove.
 */
function fieldsObject(flat: readonly string[], upstream: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  let named: Set<string> | undefined;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    const value = flat[i + 1]!;
    if (name.charCodeAt(0) === 58) continue;
    if (upstream) {
      const fate = responseHeaderFate(name);
      if (fate === RESPONSE_DROP) continue;
      if (fate === RESPONSE_CONNECTION && !namesNoHeader(value)) {
        for (const t of value.split(',')) named = (named ?? new Set()).add(t.trim().toLowerCase());
      }
    }
    if (forbidden(name)) continue;
    const key = name.toLowerCase();
    const seen = out[key];
    if (seen === undefined) out[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[key] = [String(seen), value];
  }
  if (named !== undefined) for (const name of named) if (name !== 'connection') delete out[name];
  return out;
}

/** The head has a `Trailer` field (it is dropped itself: hop-by-hop). */
function announcesTrailers(flat: readonly string[]): boolean {
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.length === 7 && eq(flat[i]!, 'trailer')) return true;
  return false;
}

/** Fields an HTTP/2 message must not carry (`connection` is handled by the caller). */
function forbidden(name: string): boolean {
  switch (name.length) {
    case 2: return eq(name, 'te');
    case 7: return eq(name, 'upgrade') || eq(name, 'trailer');
    case 10: return eq(name, 'keep-alive');
    case 16: return eq(name, 'proxy-connection');
    case 17: return eq(name, 'transfer-encoding');
    default: return false;
  }
}
