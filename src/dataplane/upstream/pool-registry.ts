import { Pool, type Dispatcher } from 'undici';
import type { BackendPolicy, UpstreamServer } from '../../routing/route-table.ts';
import { poolKey, poolOptions, serverOrigin } from './pool-options.ts';

/** Creates the dispatcher for one endpoint; injectable so tests can count or fake pools. */
export type PoolFactory = (origin: string, options: Pool.Options) => Dispatcher;

const defaultFactory: PoolFactory = (origin, options) => new Pool(origin, options);

/** Counters for metrics (plain numbers, read by whoever exports them). */
export interface PoolRegistryStats {
  /** Pools currently open. */
  pools: number;
  /** Pools created / closed since start. */
  created: number;
  closed: number;
  /** Upstream connections opened since start (all pools). */
  connects: number;
}

/**
 * One undici Pool per endpoint (origin + pool settings, see poolKey), shared by every backend
 * naming that endpoint, kept across table swaps so unchanged endpoints keep their keepalive
 * connections.
 *
 * Swaps are two-phase: `begin`, then while a new table is bound `acquire` marks each key it hands out;
 * `commit` then closes the pools no key of the new table named. `Pool.close()` lets requests in
 * flight (started on the old table) finish before the connections go.
 */
export class PoolRegistry {
  readonly stats: PoolRegistryStats = { pools: 0, created: 0, closed: 0, connects: 0 };
  readonly #factory: PoolFactory;
  readonly #pools = new Map<string, Dispatcher>();
  #marked = new Set<string>();
  readonly #closing = new Set<Promise<void>>();
  readonly #onConnect = (): void => {
    this.stats.connects++;
  };

  constructor(options: { factory?: PoolFactory } = {}) {
    this.#factory = options.factory ?? defaultFactory;
  }

  /** Starts a binding pass (forgets marks of a pass that never committed). */
  begin(): void {
    this.#marked = new Set();
  }

  /** The pool for `server` under `policy`, created on first use; marks it as used by the table
   * being bound. */
  acquire(server: UpstreamServer, policy: BackendPolicy): Dispatcher {
    const key = poolKey(server, policy);
    this.#marked.add(key);
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = this.#factory(serverOrigin(server, policy), poolOptions(policy, server));
      pool.on('connect', this.#onConnect);
      this.#pools.set(key, pool);
      this.stats.created++;
      this.stats.pools = this.#pools.size;
    }
    return pool;
  }

  /** Ends a binding pass: closes (gracefully) every pool not acquired since the last commit.
   * Returns how many were closed. */
  commit(): number {
    let closed = 0;
    for (const [key, pool] of this.#pools) {
      if (this.#marked.has(key)) continue;
      this.#pools.delete(key);
      this.#retire(pool.close());
      closed++;
    }
    this.#marked = new Set();
    this.stats.closed += closed;
    this.stats.pools = this.#pools.size;
    return closed;
  }

  /** Keys of the open pools (tests, debugging). */
  keys(): string[] {
    return [...this.#pools.keys()];
  }

  /** Closes every pool: gracefully, or at once (in-flight requests fail) with `destroy`. */
  async close(options: { destroy?: boolean } = {}): Promise<void> {
    for (const pool of this.#pools.values()) this.#retire(options.destroy ? pool.destroy() : pool.close());
    this.stats.closed += this.#pools.size;
    this.#pools.clear();
    this.stats.pools = 0;
    await Promise.all(this.#closing);
  }

  #retire(closing: Promise<void>): void {
    // A pool that fails to close has nothing left to tell us.
    const settled = closing.catch(() => {}).finally(() => this.#closing.delete(settled));
    this.#closing.add(settled);
  }
}
