/** The clock and timers a scheduler uses; injectable so tests can drive time. */
export interface SchedulerTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Looks the globals up on each call, so vitest fake timers installed later still apply. */
export const REAL_TIMERS: SchedulerTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Options of {@link RebuildScheduler}. */
export interface RebuildSchedulerOptions {
  /** Quiet time to wait for more changes after each change (default 100 ms). */
  readonly holdoffMs?: number;
  /** Upper bound from the first unbuilt change to its build (default 500 ms). */
  readonly maxDelayMs?: number;
  /** Rebuilds from the store; synchronous, and should not throw (its errors propagate). */
  readonly build: () => void;
  readonly timers?: SchedulerTimers;
}

/**
 * Batches rebuilds, as Contour's event handler does: after a change, wait `holdoffMs` for more
 * changes (each one restarts the wait), but build no later than `maxDelayMs` after the first
 * change not yet built, so a steady trickle of changes cannot postpone a build forever.
 * Nothing is built before `markSynced()` (a table from a partial listing would drop routes);
 * at sync one build happens immediately, even with no objects, so readiness can follow.
 */
export class RebuildScheduler {
  readonly #holdoffMs: number;
  readonly #maxDelayMs: number;
  readonly #build: () => void;
  readonly #timers: SchedulerTimers;
  #synced = false;
  #stopped = false;
  /** When the first change not yet built arrived; undefined when everything is built. */
  #firstChangeAt: number | undefined;
  #timer: unknown;

  constructor(options: RebuildSchedulerOptions) {
    this.#holdoffMs = options.holdoffMs ?? 100;
    this.#maxDelayMs = Math.max(options.maxDelayMs ?? 500, this.#holdoffMs);
    this.#build = options.build;
    this.#timers = options.timers ?? REAL_TIMERS;
  }

  /** Records a relevant change; schedules a build once synced. */
  changed(): void {
    if (this.#stopped || !this.#synced) return;
    const now = this.#timers.now();
    this.#firstChangeAt ??= now;
    const wait = Math.min(this.#holdoffMs, this.#firstChangeAt + this.#maxDelayMs - now);
    this.#arm(Math.max(0, wait));
  }

  /** The initial listing is complete: build now (once); later calls do nothing. */
  markSynced(): void {
    if (this.#stopped || this.#synced) return;
    this.#synced = true;
    this.#run();
  }

  /** Cancels any pending build; the scheduler never builds again. */
  stop(): void {
    this.#stopped = true;
    this.#disarm();
  }

  #arm(ms: number): void {
    this.#disarm();
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#run();
    }, ms);
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #run(): void {
    this.#disarm();
    // Reset before building: a change reported from inside build() schedules the next build.
    this.#firstChangeAt = undefined;
    this.#build();
  }
}
