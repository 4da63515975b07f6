import { rearm } from './rearm-timer.ts';

/** Who is told when a deadline passes (the connection; `mode` is its own meaning). */
export interface DeadlineOwner {
  deadlinePassed(mode: number): void;
}

/** No deadline armed (a firing is ignored). */
export const NO_DEADLINE = 0;

/**
 * One upstream connection's deadline on ONE Timeout for its whole life (idle, waiting for the
 * head, between body reads), moved lazily: a later deadline only records itself (a clock read)
 * and the timer, when it fires early, waits for the rest; only an earlier deadline re-arms it.
 * A request moves the deadline three times plus once per body chunk (sent, head, each read,
 * idle again), and with typical read and idle timeouts none is earlier than the timer, so none
 * costs a timer-list re-insert.
 */
export class ConnectionDeadline {
  /** What the armed deadline means to the owner; NO_DEADLINE when none is armed. */
  mode = NO_DEADLINE;
  readonly #owner: DeadlineOwner;
  #timer: NodeJS.Timeout | undefined;
  /** When the timer fires (0: not scheduled); the deadline itself is `#ms` after `#since`. */
  #due = 0;
  #since = 0;
  #ms = 0;

  constructor(owner: DeadlineOwner) {
    this.#owner = owner;
  }

  /** The deadline is `ms` after `now`, meaning `mode`. */
  arm(mode: number, ms: number, now: number = Date.now()): void {
    this.mode = mode;
    this.#since = now;
    this.#ms = ms;
    if (this.#due === 0 || this.#due > now + ms) this.#schedule(ms, now);
  }

  /** The same deadline, counted again from now (progress: a body chunk, a body write). */
  restart(): void {
    this.#since = Date.now();
  }

  /** No deadline (the timer may still fire; it is then ignored). */
  disarm(): void {
    this.mode = NO_DEADLINE;
  }

  /** Stops the timer for good (the connection is closed). */
  clear(): void {
    this.mode = NO_DEADLINE;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  /** The timer fired: the deadline passed, or it moved and the timer waits for the rest. */
  fired(): void {
    this.#due = 0;
    const mode = this.mode;
    if (mode === NO_DEADLINE) return;
    const now = Date.now();
    const left = this.#since + this.#ms - now;
    if (left > 0) this.#schedule(left, now);
    else this.#owner.deadlinePassed(mode);
  }

  #schedule(ms: number, now: number): void {
    this.#due = now + ms;
    if (this.#timer !== undefined) {
      rearm(this.#timer, ms);
      return;
    }
    this.#timer = setTimeout(onTimer, ms, this);
    this.#timer.unref();
  }
}

function onTimer(deadline: ConnectionDeadline): void {
  deadline.fired();
}
