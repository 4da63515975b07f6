import { isToCacheWorker, type CacheCoordinator, type ToCachePrimary } from './cache-messages.ts';

/** A worker's side of the cache protocol: messages to the primary over the cluster channel. */
export class IpcCoordinator implements CacheCoordinator {
  readonly #pending = new Map<number, (granted: boolean) => void>();
  #next = 0;

  constructor() {
    process.on('message', (msg) => {
      if (!isToCacheWorker(msg)) return;
      const resolve = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      resolve?.(msg.granted);
    });
    // The primary is gone: nobody will answer; waiting requests fetch by themselves.
    process.on('disconnect', () => {
      for (const resolve of this.#pending.values()) resolve(false);
      this.#pending.clear();
    });
  }

  send(msg: ToCachePrimary): void {
    if (process.connected) process.send!(msg);
  }

  lock(key: string, wait = true): Promise<boolean> {
    if (!process.connected) return Promise.resolve(true);
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.send(wait ? { type: 'cache-lock', key, id } : { type: 'cache-lock', key, id, wait: false });
    });
  }
}
