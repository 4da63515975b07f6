import cluster from 'node:cluster';
import { isToCachePrimary, type CacheCoordinator, type ToCachePrimary } from '../dataplane/cache/cache-messages.ts';
import type { CacheIndex } from './cache-index.ts';

/**
 * Connects the primary's CacheIndex to every worker: cache messages arrive on node:cluster's
 * shared 'message' event (the supervisor's own protocol ignores `cache-` types), answers go
 * back to the sending worker, and a worker's exit releases its locks.
 */
export function serveCacheIndex(index: CacheIndex): void {
  cluster.on('message', (worker, msg: unknown) => {
    if (!isToCachePrimary(msg)) return;
    index.handle({ id: worker.id, reply: (m) => { if (worker.isConnected()) worker.send(m); } }, msg);
  });
  cluster.on('exit', (worker) => index.clientGone(worker.id));
}

/** The same protocol as direct calls, for a dataplane in the primary's own process (tests,
 * benchmarks): one client, id 0. */
export function localCoordinator(index: CacheIndex): CacheCoordinator {
  return {
    send: (msg: ToCachePrimary) => index.handle({ id: 0, reply: () => {} }, msg),
    lock: (key: string, wait = true) => new Promise((resolve) => {
      index.handle({ id: 0, reply: (m) => resolve(m.granted) }, wait ? { type: 'cache-lock', key, id: 0 } : { type: 'cache-lock', key, id: 0, wait: false });
    }),
  };
}
