/**
 * Delay before restarting a crashed worker. A worker that ran for at least `stableMs` is
 * restarted at once; one that keeps crashing soon after start waits initialMs, 2×, 4×, …
 * up to maxMs, so a crash loop (bad config, a poisoned table) cannot spin the CPU the primary
 * needs for the control plane. One instance per worker slot.
 */
export class RestartBackoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #stableMs: number;
  #quickCrashes = 0;

  constructor({ initialMs = 100, maxMs = 10_000, stableMs = 10_000 } = {}) {
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#stableMs = stableMs;
  }

  /** The delay for a worker that crashed after running `uptimeMs`. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.#stableMs) {
      this.#quickCrashes = 0;
      return 0;
    }
    const delay = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#quickCrashes);
    this.#quickCrashes++;
    return delay;
  }
}
