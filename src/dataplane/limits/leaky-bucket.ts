/**
 * One client's state in an nginx `limit_req` zone (ngx_http_limit_req_module.c,
 * ngx_http_limit_req_lookup), with nginx's integer arithmetic: `excess` in thousandths of a
 * request, drained at `rate` thousandths per second (`10r/s` → 10000, `10r/m` → 10000/60,
 * truncated), `burst` in thousandths. A request is admitted when
 * `max(excess - rate × ms / 1000 + 1000, 0) ≤ burst` and then stored as the new excess; a refused
 * one changes nothing. A client nginx has no node for is admitted with excess 0. With
 * `burst = b × 1000` and `nodelay`, b + 1 requests pass at once, then `rate` per second.
 */
export class LeakyBucket {
  excess = 0;
  /** ms timestamp of the last admitted request that moved the clock; -1 = never (new node). */
  last = -1;

  /** One request at `now` (ms): true when admitted (and charged). */
  take(rate: number, burst: number, now: number): boolean {
    if (this.last < 0) {
      this.last = now;
      this.excess = 0;
      return true;
    }
    let ms = now - this.last;
    if (ms < -60_000) ms = 1;
    else if (ms < 0) ms = 0;
    let excess = this.excess - Math.trunc((rate * ms) / 1000) + 1000;
    if (excess < 0) excess = 0;
    if (excess > burst) return false;
    this.excess = excess;
    if (ms !== 0) this.last = now;
    return true;
  }

  /** Charges one request admitted on credit, even past the burst (later requests then wait
   * longer: the overshoot is paid back). */
  force(rate: number, now: number): void {
    this.take(rate, Number.MAX_SAFE_INTEGER, now);
  }

  /** Gives back `n` admitted requests (unused leased budget, or a request a later limit refused). */
  refund(n: number): void {
    this.excess = Math.max(0, this.excess - n * 1000);
  }

  /** Nothing left to remember: a new node would behave the same from now on. */
  idle(rate: number, now: number): boolean {
    return this.last < 0 || this.excess - Math.trunc((rate * (now - this.last)) / 1000) + 1000 <= 0;
  }
}

/** nginx's zone rate for `n` requests per `unit`: thousandths of a request per second. */
export function nginxRate(n: number, unit: 's' | 'm'): number {
  return unit === 's' ? n * 1000 : Math.trunc((n * 1000) / 60);
}
