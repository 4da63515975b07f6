/**
 * The supervisor's bookkeeping for one worker process and the slot it fills, plus the view of
 * it that metrics and readiness read.
 */
import type { Worker } from 'node:cluster';
import type { RestartBackoff } from './restart-backoff.ts';
import type { ToWorker } from './worker-messages.ts';

/** starting: forked, not yet listening; serving: listening with a table; draining: told to stop. */
export type WorkerState = 'starting' | 'serving' | 'draining';

/** One worker as metrics and /readyz see it. */
export interface WorkerStats {
  /** Position 0..workers-1; a replacement takes its predecessor's slot. */
  readonly slot: number;
  readonly pid: number;
  readonly state: WorkerState;
  /** Highest generation this worker acked (0 = none yet). */
  readonly generation: number;
  /** Duration of its last table swap (compile + reference swap). */
  readonly lastSwapMs: number;
  /** Its swaps that compiled only a delta's changes (the others compiled a whole table). */
  readonly deltaSwaps: number;
  /** Restarts of this slot after crashes. */
  readonly restarts: number;
}

/** A worker process as the supervisor tracks it. */
export interface Member {
  readonly worker: Worker;
  readonly slot: Slot;
  readonly startedAt: number;
  state: WorkerState;
  hello: boolean;
  /** Generation of the last table or delta sent to it (-1: none yet); a delta is sent only on
   * top of this. */
  sent: number;
  generation: number;
  lastSwapMs: number;
  deltaSwaps: number;
  readonly listening: Deferred;
  readonly exited: Promise<void>;
}

/** A position in the pool of N workers; replacements (restart, recycle) reuse it. */
export interface Slot {
  readonly index: number;
  member: Member | undefined;
  restarts: number;
  readonly backoff: RestartBackoff;
  restartTimer: NodeJS.Timeout | undefined;
}

export interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

/** The public view of a member. */
export function statsOf(m: Member): WorkerStats {
  return { slot: m.slot.index, pid: m.worker.process.pid ?? 0, state: m.state, generation: m.generation, lastSwapMs: m.lastSwapMs, deltaSwaps: m.deltaSwaps, restarts: m.slot.restarts };
}

/** IPC send that tolerates a worker that just died (its exit event handles the rest). */
export function sendToWorker(worker: Worker, msg: ToWorker): void {
  if (!worker.isConnected()) return;
  worker.send(msg, undefined, undefined, () => {});
}

/** A promise with its settle functions; a rejection nobody awaits is not reported. */
export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // rejection is observed by whoever awaits; never unhandled
  return { promise, resolve, reject };
}
