import { createRequire } from 'node:module';
import { Pool, type Dispatcher } from 'undici';

/**
 * undici's Pool picks a connection by scanning all its clients for the first free one, and
 * does it twice per request (once to dispatch, once to learn whether anything is still free).
 * Under load every client is busy, so a pool of N keepalive connections costs O(N) per
 * request: 3.7% of a worker's busy time at 64 client connections (bench/results/optimizations.md).
 *
 * StackPool keeps the free clients on a LIFO stack instead, fed by each client's 'drain'
 * (a request finished), so picking is O(1); busy, closed and expired entries are dropped
 * lazily from the top. LIFO also reuses the most recently used connection first, the one least
 * likely to have been closed by the upstream's idle timeout (nginx's keepalive cache does the
 * same). Everything else (options, queueing, close/destroy, events) is undici's Pool.
 *
 * It overrides two of undici's internal (symbol-keyed) Pool hooks. If a future undici no longer
 * has them, `createStackPool` falls back to a plain Pool (correct, only slower).
 */
const poolBase = createRequire(import.meta.url)('undici/lib/dispatcher/pool-base.js') as Record<string, unknown>;
const kGetDispatcher = poolBase.kGetDispatcher as symbol | undefined;
const kAddClient = poolBase.kAddClient as symbol | undefined;
const kRemoveClient = poolBase.kRemoveClient as symbol | undefined;
const kNeedDrain = poolBase.kNeedDrain as symbol | undefined;
const HOOKS_PRESENT = typeof kGetDispatcher === 'symbol' && typeof kAddClient === 'symbol' && typeof kRemoveClient === 'symbol'
  && typeof kNeedDrain === 'symbol' && typeof (Pool.prototype as unknown as Record<symbol, unknown>)[kGetDispatcher] === 'function';

interface StackedClient extends Dispatcher {
  closed?: boolean;
  destroyed?: boolean;
  /** Set by Pool on connect when clientTtl is on. */
  ttl?: number;
  /** On the free stack already (no duplicates). */
  stacked?: boolean;
  /** Pool dropped it after a connection error (undici#3895): never hand it out again. */
  dropped?: boolean;
}

type Hooks = Record<symbol, (this: Pool, ...args: unknown[]) => unknown>;

function makeStackPool(): new (origin: string, options: Pool.Options) => Pool {
  const getDispatcher = kGetDispatcher!;
  const addClient = kAddClient!;
  const removeClient = kRemoveClient!;
  const needDrain = kNeedDrain!;
  const base = Pool.prototype as unknown as Hooks;

  class StackPool extends Pool {
    readonly #free: StackedClient[] = [];
    readonly #ttl: number;

    constructor(origin: string, options: Pool.Options) {
      super(origin, options);
      this.#ttl = options.clientTtl ?? 0;
    }

    /** The top free client, not popped: undici asks twice per dispatch and only the first
     * one is used; a client that turned busy is dropped on the next look. */
    [getDispatcher](): StackedClient | undefined {
      const free = this.#free;
      while (free.length > 0) {
        const client = free[free.length - 1]!;
        const expired = this.#expired(client);
        if (!(client as unknown as Record<symbol, boolean>)[needDrain] && client.dropped !== true && client.closed !== true && client.destroyed !== true && !expired) return client;
        free.pop();
        client.stacked = false;
        if (expired) (this as unknown as Hooks)[removeClient]!.call(this, client);
      }
      // None free: undici's own path creates (and adds) a new client when the cap allows.
      const created = base[getDispatcher]!.call(this) as StackedClient | undefined;
      if (created !== undefined) this.#push(created);
      return created;
    }

    [addClient](client: StackedClient): unknown {
      const result = base[addClient]!.call(this, client);
      // After Pool's own drain listener (which may hand it a queued request first).
      client.on('drain', () => {
        if (!(client as unknown as Record<symbol, boolean>)[needDrain] && client.dropped !== true) this.#push(client);
      });
      // Pool takes a client out of its list on a connection error, so close() would no
      // longer reach it: it must not come back from the stack either.
      client.on('connectionError', () => {
        client.dropped = true;
      });
      return result;
    }

    #push(client: StackedClient): void {
      if (client.stacked === true) return;
      client.stacked = true;
      this.#free.push(client);
    }

    #expired(client: StackedClient): boolean {
      return this.#ttl > 0 && client.ttl !== undefined && client.ttl > 0 && Date.now() - client.ttl > this.#ttl;
    }
  }
  return StackPool;
}

const StackPoolClass = HOOKS_PRESENT ? makeStackPool() : Pool;

/** Whether pools pick connections from the O(1) free stack (false: undici changed, plain Pool). */
export const STACK_POOL_ACTIVE = HOOKS_PRESENT;

/** An undici Pool whose connection pick is O(1) (see above); same options as Pool. */
export function createStackPool(origin: string, options: Pool.Options): Pool {
  return new StackPoolClass(origin, options);
}
