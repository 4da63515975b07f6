import { EventEmitter } from 'node:events';
import type { UpstreamHandler, UpstreamPool, UpstreamRequest } from './upstream-handler.ts';

/**
 * A pool that is created on its first request. A worker binds a pool handle for every server
 * of every backend at each swap; creating the undici Pools themselves there made the first
 * swap of a 10,000-Ingress table (60,000 endpoints) take seconds and most of a gigabyte,
 * mostly for endpoints that may never see a request. The handle costs a few bytes; the pool,
 * with its queues and listeners, appears when traffic does.
 */
export class LazyPool extends EventEmitter implements UpstreamPool {
  readonly #create: () => UpstreamPool;
  #pool: UpstreamPool | undefined;
  #closed = false;

  constructor(create: () => UpstreamPool) {
    super();
    this.#create = create;
  }

  /** Whether the underlying pool exists yet (tests, metrics). */
  get created(): boolean {
    return this.#pool !== undefined;
  }

  get connections(): number {
    return this.#pool?.connections ?? 0;
  }

  get free(): number {
    return this.#pool?.free ?? 0;
  }

  dispatch(options: UpstreamRequest, handler: UpstreamHandler): boolean {
    return (this.#pool ?? this.#make()).dispatch(options, handler);
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#pool?.close() ?? Promise.resolve();
  }

  destroy(err: Error | null = null): Promise<void> {
    this.#closed = true;
    return this.#pool?.destroy(err) ?? Promise.resolve();
  }

  #make(): UpstreamPool {
    if (this.#closed) throw new Error('pool is closed');
    const pool = this.#create();
    // Relay the events the registry and tests listen to on the handle; 'disconnect' only once
    // someone listens (pools build its Error only for a listener).
    pool.on('connect', (origin: unknown, targets: unknown) => this.emit('connect', origin, targets));
    this.#pool = pool;
    if (this.listenerCount('disconnect') > 0) this.#relayDisconnect(pool);
    else this.on('newListener', this.#relayOnDemand());
    return pool;
  }

  /** The 'newListener' watcher that relays 'disconnect' once someone listens. Made with the
   * pool rather than per handle: most handles never get a pool (60,000 are bound at 10,000
   * Ingresses), and a function per handle cost ~100 bytes each. */
  #relayOnDemand(): (event: string | symbol) => void {
    const watcher = (event: string | symbol): void => {
      if (event !== 'disconnect' || this.#pool === undefined) return;
      this.off('newListener', watcher);
      this.#relayDisconnect(this.#pool);
    };
    return watcher;
  }

  #relayDisconnect(pool: UpstreamPool): void {
    pool.on('disconnect', (origin: unknown, targets: unknown, err: unknown) => this.emit('disconnect', origin, targets, err));
  }
}
