/** A `limit_req` zone: one per Ingress and unit (`<namespace>/<name>#rps`, `#rpm`). */
export interface RateZone {
  readonly id: string;
  /** nginx's rate: thousandths of a request per second. */
  readonly rate: number;
  /** nginx's burst: thousandths of a request. */
  readonly burst: number;
}

/**
 * Where a worker's rate-limit filters keep client state: in the worker itself (one worker,
 * tests: LocalLimiter) or leased from the primary (several workers: LeasedLimiter). Every
 * method answers at once: the request path never waits on IPC.
 */
export interface Limiter {
  /** The status of a request refused by a rate (`--limit-req-status-code`). */
  readonly reqStatus: number;
  /** The status of a request refused by `limit-connections` (`--limit-conn-status-code`). */
  readonly connStatus: number;
  /** One request of `key` in `zone`: true when admitted (and charged). */
  take(zone: RateZone, key: string): boolean;
  /** Gives back one admitted request (a later limit refused it: nginx does not count it). */
  refund(zone: RateZone, key: string): void;
  /** A request of `key` starts in connection zone `zone`: true when fewer than `limit` were in progress. */
  acquire(zone: string, key: string, limit: number): boolean;
  /** That request is over. */
  release(zone: string, key: string): void;
}

/** Status codes the limiter answers with. */
export interface LimitStatus {
  readonly reqStatus?: number;
  readonly connStatus?: number;
}
