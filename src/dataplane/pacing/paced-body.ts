import type { DownstreamResponse } from '../front/downstream.ts';
import type { BodyTransform } from '../pipeline/admission.ts';
import { allowance, delayFor, minSlice } from './pace.ts';

/**
 * An upstream body sent to the client at most `rate` bytes a second after its first `after`
 * bytes (nginx `limit_rate`, `limit_rate_after`), counted from when the head was written.
 *
 * - One timer per response at most, armed only while bytes wait for their time (never a busy
 *   loop), cleared when the body is done or cut.
 * - Backpressure: a chunk that cannot go out at once is queued and `write` returns false, so
 *   the upstream is not read while the client's budget is spent; `resume` is called once the
 *   queue is empty. A full client (or inner transform) stops the pacing until it drains.
 * - `inner`: another body transform (compression) the paced bytes are fed to, else the client.
 */
export class PacedBody implements BodyTransform {
  resume: (() => void) | undefined = undefined;
  readonly #res: DownstreamResponse;
  readonly #inner: BodyTransform | undefined;
  readonly #rate: number;
  readonly #after: number;
  readonly #slice: number;
  readonly #start = performance.now();
  readonly #queue: Buffer[] = [];
  #sent = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The sink returned false: wait for its drain. */
  #full = false;
  /** `write` returned false: the upstream waits for `resume`. */
  #held = false;
  #ending = false;
  #ended = false;
  #destroyed = false;
  #trailers: readonly string[] | null | undefined;

  constructor(res: DownstreamResponse, rate: number, after: number, inner?: BodyTransform) {
    this.#res = res;
    this.#rate = rate;
    this.#after = after;
    this.#slice = minSlice(rate);
    this.#inner = inner;
    if (inner !== undefined) inner.resume = () => this.#drained();
  }

  write(chunk: Buffer): boolean {
    if (this.#destroyed) return true;
    this.#queue.push(chunk);
    this.#pump();
    if (this.#queue.length === 0 && !this.#full) return true;
    this.#held = true;
    return false;
  }

  end(trailers?: readonly string[] | null): void {
    if (this.#destroyed || this.#ending) return;
    this.#ending = true;
    this.#trailers = trailers;
    this.#pump();
  }

  clientDrained(): void {
    if (this.#inner !== undefined) this.#inner.clientDrained();
    else this.#drained();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#queue.length = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inner?.destroy();
  }

  /** The timer fired: the bytes it waited for may go now. */
  due(): void {
    this.#timer = undefined;
    this.#pump();
  }

  #drained(): void {
    this.#full = false;
    this.#pump();
  }

  /** Sends what the allowance lets through; arms the timer for the rest. */
  #pump(): void {
    const queue = this.#queue;
    while (queue.length > 0 && !this.#full && !this.#destroyed && this.#timer === undefined) {
      const head = queue[0]!;
      const elapsed = performance.now() - this.#start;
      const allowed = allowance(elapsed, this.#rate, this.#after) - this.#sent;
      const want = Math.min(head.length, this.#slice);
      if (allowed < want) {
        this.#timer = setTimeout(onDue, Math.max(1, delayFor(this.#sent, want, elapsed, this.#rate, this.#after)), this);
        return;
      }
      let piece = head;
      if (allowed < head.length) {
        piece = head.subarray(0, allowed);
        queue[0] = head.subarray(allowed);
      } else queue.shift();
      this.#sent += piece.length;
      if (!this.#send(piece)) this.#full = true;
    }
    if (queue.length > 0 || this.#destroyed) return;
    if (this.#ending) {
      if (!this.#ended) {
        this.#ended = true;
        if (this.#inner !== undefined) this.#inner.end(this.#trailers);
        else this.#res.end(undefined, this.#trailers);
      }
      return;
    }
    if (this.#held && !this.#full) {
      this.#held = false;
      this.resume?.();
    }
  }

  #send(piece: Buffer): boolean {
    return this.#inner !== undefined ? this.#inner.write(piece) : this.#res.write(piece);
  }
}

function onDue(body: PacedBody): void {
  body.due();
}
