import type { Dispatcher } from 'undici';
import { createBalancer } from './balance/create-balancer.ts';
import type { Balancer } from './balance/balancer.ts';
import type { Backend } from '../routing/route-table.ts';
import { upstreamReset } from './upstream/pool-options.ts';
import type { PoolRegistry } from './upstream/pool-registry.ts';

/**
 * A backend as one worker serves it: the table's data plus its balancer and one upstream pool
 * per server (same indexes as `backend.servers`). Built once per swap, read per request.
 */
export interface BackendRuntime {
  readonly backend: Backend;
  /** True when requests must be answered 503 (unavailable, or no server at all). */
  readonly unavailable: boolean;
  readonly balancer: Balancer;
  readonly pools: readonly Dispatcher[];
  /** Upstream keepalive off: send each request with `Connection: close`. */
  readonly reset: boolean;
  /** Extra tries after the first, and on which failures (from policy.retries). */
  readonly retries: number;
  readonly retryConnect: boolean;
  readonly retryReset: boolean;
  readonly retryTimeout: boolean;
  readonly retryNonIdempotent: boolean;
  /** Upstream statuses (502/503/504) that are retried like failures, if idempotent. */
  readonly retryStatuses: ReadonlySet<number>;
}

/**
 * Binds `backend` for serving. `previous` is the runtime the same backend id had in the table
 * being replaced: its balancer hands over passive-health state (createBalancer decides what
 * carries over). Pools come from the registry, so endpoints present before keep theirs.
 */
export function bindBackend(backend: Backend, previous: BackendRuntime | undefined, pools: PoolRegistry): BackendRuntime {
  const unavailable = backend.unavailable !== undefined || backend.servers.length === 0;
  const policy = backend.policy;
  const on = policy.retries.on;
  return {
    backend,
    unavailable,
    balancer: createBalancer(backend, previous?.balancer),
    pools: unavailable ? [] : backend.servers.map((server) => pools.acquire(server, policy)),
    reset: upstreamReset(policy),
    retries: Math.max(0, policy.retries.attempts),
    retryConnect: on.includes('connect-failure'),
    retryReset: on.includes('reset'),
    retryTimeout: on.includes('timeout'),
    retryNonIdempotent: policy.retries.nonIdempotent,
    retryStatuses: new Set(on.filter((c) => c === '502' || c === '503' || c === '504').map(Number)),
  };
}
