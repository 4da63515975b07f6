import type { ToWorker } from './worker-messages.ts';

interface Waiting {
  readonly pending: Set<number>;
  readonly done: () => void;
}

/**
 * Before a scrape, the primary asks every worker for the request counts it has not reported
 * yet (metrics-report.ts) and waits for the answers: every worker answered, or left, or the
 * time bound passed (a worker busy for longer reports with the next scrape; nothing is lost).
 */
export class MetricsFlush {
  #nextId = 0;
  readonly #waiting = new Map<number, Waiting>();

  /** Asks each of `workers` (cluster ids) through `send`; resolves once all answered or left, or after `timeoutMs`. */
  request(workers: readonly number[], send: (workerId: number, msg: ToWorker) => void, timeoutMs: number): Promise<void> {
    if (workers.length === 0) return Promise.resolve();
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(finish, timeoutMs);
      const waiting = this.#waiting;
      function finish(): void {
        clearTimeout(timer);
        waiting.delete(id);
        resolve();
      }
      waiting.set(id, { pending: new Set(workers), done: finish });
      for (const worker of workers) send(worker, { type: 'metrics-request', id });
    });
  }

  /** Worker `workerId` answered request `id` (-1: it reported unasked, draining). */
  answered(workerId: number, id: number): void {
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) return;
    waiting.pending.delete(workerId);
    if (waiting.pending.size === 0) waiting.done();
  }

  /** Worker `workerId` exited: nothing is waited from it any more. */
  left(workerId: number): void {
    for (const waiting of [...this.#waiting.values()]) {
      waiting.pending.delete(workerId);
      if (waiting.pending.size === 0) waiting.done();
    }
  }
}
