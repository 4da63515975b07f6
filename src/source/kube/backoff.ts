/**
 * Exponential backoff with jitter for reconnecting to the API server: a failing API server is
 * not hammered by every replica in lockstep (client-go's wait.Backoff does the same).
 */
export interface BackoffOptions {
  /** First delay (default 500 ms). */
  readonly initialMs?: number;
  /** Upper bound (default 30 s). */
  readonly maxMs?: number;
}

/** Delays of initial·2ⁿ capped at max, each scaled by a random factor in [0.5, 1). */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 500;
    this.#maxMs = options.maxMs ?? 30_000;
  }

  /** The delay before the next attempt; each call doubles the following one. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(base * (0.5 + Math.random() / 2));
  }

  /** Called once the connection proved healthy again. */
  reset(): void {
    this.#attempt = 0;
  }
}
