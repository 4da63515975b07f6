import { Dispatcher } from 'undici';

/**
 * A pool that is created on its first request. A worker binds a pool handle for every server
 * of every backend at each swap; creating the undici Pools themselves there made the first
 * swap of a 10,000-Ingress table (60,000 endpoints) take seconds and most of a gigabyte,
 * mostly for endpoints that may never see a request. The handle costs a few bytes; the pool,
 * with its queues and listeners, appears when traffic does.
 */
export class LazyPool extends Dispatcher {
  readonly #create: () => Dispatcher;
  #pool: Dispatcher | undefined;
  #closed = false;

  constructor(create: () => Dispatcher) {
    super();
    this.#create = create;
  }

  /** Whether the underlying pool exists yet (tests, metrics). */
  get created(): boolean {
    return this.#pool !== undefined;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return (this.#pool ?? this.#make()).dispatch(options, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.#closed = true;
    const closing = this.#pool?.close() ?? Promise.resolve();
    if (callback === undefined) return closing;
    void closing.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    this.#closed = true;
    const err = typeof errOrCallback === 'function' ? null : (errOrCallback ?? null);
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback;
    const destroying = this.#pool?.destroy(err) ?? Promise.resolve();
    if (cb === undefined) return destroying;
    void destroying.then(cb, cb);
  }

  #make(): Dispatcher {
    if (this.#closed) throw new Error('pool is closed');
    const pool = this.#create();
    // Relay the events the registry and tests listen to on the handle.
    pool.on('connect', (origin, targets) => this.emit('connect', origin, targets));
    pool.on('disconnect', (origin, targets, err) => this.emit('disconnect', origin, targets, err));
    this.#pool = pool;
    return pool;
  }
}
