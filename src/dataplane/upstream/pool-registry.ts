import type { Pool } from 'undici';
import { flat } from '../../routing/flat-string.ts';
import type { BackendPolicy, UpstreamServer } from '../../routing/route-table.ts';
import { poolOptions, retireMs, serverOrigin } from './pool-options.ts';
import { LazyPool } from './lazy-pool.ts';
import type { UpstreamPool } from './upstream-handler.ts';
import { protocolFor } from './upstream-protocols.ts';

/** Creates the pool for one endpoint in the HTTP/1.1 protocol's terms; injectable so tests can
 * count or fake pools (undici's Pool fits). Without it each policy's protocol creates its pool
 * (upstream-protocols.ts: the lean HTTP/1.1 pool for HTTP and HTTPS). */
export type PoolFactory = (origin: string, options: Pool.Options) => UpstreamPool;

/** Counters for metrics (plain numbers, read by whoever exports them). */
export interface PoolRegistryStats {
  /** Pools the table in force uses. */
  pools: number;
  /** Pools no table uses any more, kept warm until their retirement ends. */
  retired: number;
  /** Pools registered (created lazily, on their first request: see LazyPool) / closed /
   * brought back from retirement since start. */
  created: number;
  closed: number;
  revived: number;
  /** Upstream connections opened since start (all pools). */
  connects: number;
}

interface Retired {
  readonly pool: UpstreamPool;
  readonly timer: NodeJS.Timeout;
}

/**
 * One pool (H1Pool) per endpoint (origin + pool settings, see poolKey), shared by every backend
 * naming that endpoint, kept across table swaps so unchanged endpoints keep their keepalive
 * connections.
 *
 * A whole table swap is two-phase: `begin`, then while the new table is bound `acquire` counts
 * each key it hands out; `commit` then *retires* the pools no key of the new table named. An
 * incremental swap (a table delta) binds only the backends that changed: `acquire` for their
 * new bindings, then `release` for the bindings they replaced; a pool retires when its last
 * binding is released.
 *
 * Why retire rather than close: routing often flaps (an Ingress edited back and forth, a
 * canary switched on and off, an endpoint briefly unready). Closing the pool at once would
 * drop its warm keepalive connections and reopen them on the way back, a burst of new
 * upstream connections per change. A retired pool keeps its idle connections for
 * `retireMs(policy)` (the pool's own keepalive idle timeout, capped: past it the pool has closed
 * every idle connection anyway, so the pool holds nothing worth keeping); a later table naming
 * the same key revives it with its connections. When the time passes it is closed gracefully
 * (`Pool.close()`: requests still in flight, started on an older table, finish first).
 */
export class PoolRegistry {
  readonly stats: PoolRegistryStats = { pools: 0, retired: 0, created: 0, closed: 0, revived: 0, connects: 0 };
  readonly #factory: PoolFactory | undefined;
  readonly #lazy: boolean;
  readonly #publicHttp: boolean;
  readonly #pools = new Map<string, UpstreamPool>();
  /** Retirement delay of each key in #pools (decided once, from the policy that made it). */
  readonly #retireMs = new Map<string, number>();
  readonly #retired = new Map<string, Retired>();
  /** Bindings (backend, server) of the runtimes in force holding each key. */
  #uses = new Map<string, number>();
  /** The same, counted since the last begin or commit: what commit keeps. */
  #pass = new Map<string, number>();
  readonly #closing = new Set<Promise<void>>();
  readonly #onConnect = (): void => {
    this.stats.connects++;
  };

  /** `lazy` (default): a pool is created on its first request (LazyPool); `false` creates it
   * when a table first names it (tests observing the factory). `publicHttp`: HTTP/1.1 upstreams
   * on undici's Pool instead of the lean client (upstream-protocols.ts). */
  constructor(options: { factory?: PoolFactory; lazy?: boolean; publicHttp?: boolean } = {}) {
    this.#factory = options.factory;
    this.#lazy = options.lazy ?? true;
    this.#publicHttp = options.publicHttp ?? false;
  }

  /** Starts a binding pass (forgets the counts of a pass that never committed). */
  begin(): void {
    this.#pass = new Map();
  }

  /** The pool for `server` under `policy`: the one in use, else a retired one revived, else a
   * new one. Counts one more binding holding it. */
  acquire(server: UpstreamServer, policy: BackendPolicy): UpstreamPool {
    // Kept for the table's life (the binding counts' keys): one flat string, whatever protocol
    // built it (see flat-string.ts).
    const key = flat(protocolFor(policy, this.#publicHttp).poolKey(server, policy));
    this.#pass.set(key, (this.#pass.get(key) ?? 0) + 1);
    this.#uses.set(key, (this.#uses.get(key) ?? 0) + 1);
    const pool = this.#pools.get(key) ?? this.#revive(key) ?? this.#create(key, server, policy);
    this.#count();
    return pool;
  }

  /** Ends a binding pass: retires every pool not acquired since the last commit (a pool with
   * nothing to keep, retirement 0, is closed at once). Returns how many left the table. */
  commit(): number {
    let retired = 0;
    for (const [key, pool] of this.#pools) {
      if (this.#pass.has(key)) continue;
      this.#pools.delete(key);
      this.#retire(key, pool);
      retired++;
    }
    this.#uses = this.#pass;
    this.#pass = new Map();
    this.#count();
    return retired;
  }

  /** Upstream connections of every pool, retired ones included: carrying a request (active)
   * or kept alive for the next one (idle). Read at scrape time. */
  connectionCounts(): { active: number; idle: number } {
    let open = 0;
    let idle = 0;
    const add = (pool: UpstreamPool) => {
      open += pool.connections ?? 0;
      idle += pool.free ?? 0;
    };
    for (const pool of this.#pools.values()) add(pool);
    for (const { pool } of this.#retired.values()) add(pool);
    return { active: open - idle, idle };
  }

  /** One binding that acquired `server` under `policy` is gone (an incremental swap replaced or
   * removed its backend). Retires the pool when no binding holds it any more; true if it did. */
  release(server: UpstreamServer, policy: BackendPolicy): boolean {
    const key = protocolFor(policy, this.#publicHttp).poolKey(server, policy);
    const left = (this.#uses.get(key) ?? 0) - 1;
    if (left > 0) {
      this.#uses.set(key, left);
      return false;
    }
    this.#uses.delete(key);
    const pool = this.#pools.get(key);
    if (pool === undefined) return false;
    this.#pools.delete(key);
    this.#retire(key, pool);
    this.#count();
    return true;
  }

  /** Keys of the pools in use (tests, debugging). */
  keys(): string[] {
    return [...this.#pools.keys()];
  }

  /** Keys of the retired pools (tests, debugging). */
  retiredKeys(): string[] {
    return [...this.#retired.keys()];
  }

  /** Closes every pool, retired ones included: gracefully, or at once (in-flight requests
   * fail) with `destroy`. */
  async close(options: { destroy?: boolean } = {}): Promise<void> {
    const all = [...this.#pools.values()];
    for (const { pool, timer } of this.#retired.values()) {
      clearTimeout(timer);
      all.push(pool);
    }
    for (const pool of all) this.#track(options.destroy ? pool.destroy() : pool.close());
    this.stats.closed += all.length;
    this.#pools.clear();
    this.#retired.clear();
    this.#retireMs.clear();
    this.#uses.clear();
    this.#pass.clear();
    this.#count();
    await Promise.all(this.#closing);
  }

  #create(key: string, server: UpstreamServer, policy: BackendPolicy): UpstreamPool {
    const factory = this.#factory;
    const make = factory === undefined
      ? () => protocolFor(policy, this.#publicHttp).createPool(server, policy)
      : () => factory(serverOrigin(server, policy), poolOptions(policy, server));
    const pool = this.#lazy ? new LazyPool(make) : make();
    pool.on('connect', this.#onConnect);
    this.#pools.set(key, pool);
    this.#retireMs.set(key, retireMs(policy));
    this.stats.created++;
    return pool;
  }

  #revive(key: string): UpstreamPool | undefined {
    const retired = this.#retired.get(key);
    if (retired === undefined) return undefined;
    clearTimeout(retired.timer);
    this.#retired.delete(key);
    this.#pools.set(key, retired.pool);
    this.stats.revived++;
    return retired.pool;
  }

  #retire(key: string, pool: UpstreamPool): void {
    const ms = this.#retireMs.get(key) ?? 0;
    if (ms <= 0) {
      this.#close(key, pool);
      return;
    }
    const timer = setTimeout(() => {
      this.#retired.delete(key);
      this.#close(key, pool);
      this.#count();
    }, ms);
    // A retired pool must not keep a worker alive on its own.
    timer.unref();
    this.#retired.set(key, { pool, timer });
  }

  #close(key: string, pool: UpstreamPool): void {
    this.#retireMs.delete(key);
    this.#track(pool.close());
    this.stats.closed++;
  }

  #track(closing: Promise<void>): void {
    // A pool that fails to close has nothing left to tell us.
    const settled = closing.catch(() => {}).finally(() => this.#closing.delete(settled));
    this.#closing.add(settled);
  }

  #count(): void {
    this.stats.pools = this.#pools.size;
    this.stats.retired = this.#retired.size;
  }
}
