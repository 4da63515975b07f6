import { LeakyBucket } from './leaky-bucket.ts';
import type { LimitStatus, Limiter, RateZone } from './limiter.ts';

/** How often idle client state is forgotten. */
const SWEEP_MS = 10_000;

/**
 * Client state kept in this process: exact nginx arithmetic (LeakyBucket), no IPC. Used when
 * one worker serves the pod, and by the primary's broker for the pod-wide truth.
 */
export class LocalLimiter implements Limiter {
  readonly reqStatus: number;
  readonly connStatus: number;
  readonly #buckets = new Map<string, Map<string, LeakyBucket>>();
  readonly #rates = new Map<string, number>();
  readonly #conns = new Map<string, Map<string, number>>();
  readonly #clock: () => number;
  #sweep: NodeJS.Timeout | undefined;

  constructor(status: LimitStatus = {}, clock: () => number = Date.now) {
    this.reqStatus = status.reqStatus ?? 503;
    this.connStatus = status.connStatus ?? 503;
    this.#clock = clock;
  }

  take(zone: RateZone, key: string): boolean {
    return this.bucket(zone, key).take(zone.rate, zone.burst, this.#clock());
  }

  refund(zone: RateZone, key: string): void {
    this.#buckets.get(zone.id)?.get(key)?.refund(1);
  }

  /** The bucket of `key` in `zone`, created (as a new nginx node) when missing. */
  bucket(zone: RateZone, key: string): LeakyBucket {
    let keys = this.#buckets.get(zone.id);
    if (keys === undefined) this.#buckets.set(zone.id, (keys = new Map()));
    this.#rates.set(zone.id, zone.rate);
    let bucket = keys.get(key);
    if (bucket === undefined) {
      keys.set(key, (bucket = new LeakyBucket()));
      this.#sweep ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    }
    return bucket;
  }

  acquire(zone: string, key: string, limit: number): boolean {
    let keys = this.#conns.get(zone);
    if (keys === undefined) this.#conns.set(zone, (keys = new Map()));
    const n = keys.get(key) ?? 0;
    if (n >= limit) return false;
    keys.set(key, n + 1);
    return true;
  }

  release(zone: string, key: string): void {
    const keys = this.#conns.get(zone);
    const n = keys?.get(key);
    if (keys === undefined || n === undefined) return;
    if (n <= 1) keys.delete(key);
    else keys.set(key, n - 1);
  }

  /** Forgets clients whose buckets drained (a new node would behave the same). */
  sweep(): void {
    const now = this.#clock();
    for (const [zone, keys] of this.#buckets) {
      const rate = this.#rates.get(zone) ?? 0;
      for (const [key, bucket] of keys) if (bucket.idle(rate, now)) keys.delete(key);
      if (keys.size === 0) this.#buckets.delete(zone);
    }
    if (this.#buckets.size === 0 && this.#sweep !== undefined) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  close(): void {
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }
}
