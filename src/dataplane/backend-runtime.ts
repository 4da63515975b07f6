import type { UpstreamPool } from './upstream/upstream-handler.ts';
import { createBalancer } from './balance/create-balancer.ts';
import type { Balancer } from './balance/balancer.ts';
import type { BaseBalancer } from './balance/base-balancer.ts';
import type { Backend, UpstreamServer } from '../routing/route-table.ts';
import { ActiveHealthChecker } from './health/active-health-checker.ts';
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
  readonly pools: readonly UpstreamPool[];
  /** Upstream keepalive off: send each request with `Connection: close`. */
  readonly reset: boolean;
  /** Extra tries after the first, and on which failures (from policy.retries). */
  readonly retries: number;
  readonly retryConnect: boolean;
  readonly retryReset: boolean;
  readonly retryTimeout: boolean;
  readonly retryNonIdempotent: boolean;
  /** Upstream statuses (500/502/503/504/403/404/429) that are retried like failures, if idempotent. */
  readonly retryStatuses: ReadonlySet<number>;
  /** No new try after this long since the first (0 = no bound). */
  readonly retryTimeoutMs: number;
  /** nginx proxy_send_timeout (policy.timeouts.sendMs); 0 = none. */
  readonly sendTimeoutMs: number;
  /** Active health checks, when policy.healthCheck is set (running while the runtime is in force). */
  readonly checker: ActiveHealthChecker | undefined;
}

/** What binding needs besides the backend: the pools, and the health-check collaborators. */
export interface BindContext {
  readonly pools: PoolRegistry;
  /** An active health check flipped a server (logs; never called per request). */
  readonly onHealthChange?: (backendId: string, server: UpstreamServer, healthy: boolean) => void;
}

/**
 * Binds `backend` for serving. `previous` is the runtime the same backend id had in the table
 * being replaced: its balancer hands over passive-health state (createBalancer decides what
 * carries over) and its health checker, if any, is kept and pointed at the new balancer (so
 * servers keep their verdicts). Pools come from the registry, so endpoints present before keep
 * theirs. A checker `previous` had and this runtime does not take over is stopped by
 * `releaseRuntimes`, once the new table is in force.
 */
export function bindBackend(backend: Backend, previous: BackendRuntime | undefined, ctx: BindContext): BackendRuntime {
  const unavailable = backend.unavailable !== undefined || backend.servers.length === 0;
  const policy = backend.policy;
  const on = policy.retries.on;
  const balancer = createBalancer(backend, previous?.balancer);
  return {
    backend,
    unavailable,
    balancer,
    pools: unavailable ? [] : backend.servers.map((server) => ctx.pools.acquire(server, policy)),
    reset: upstreamReset(policy),
    retries: Math.max(0, policy.retries.attempts),
    retryConnect: on.includes('connect-failure'),
    retryReset: on.includes('reset'),
    retryTimeout: on.includes('timeout'),
    retryNonIdempotent: policy.retries.nonIdempotent,
    retryStatuses: new Set(on.filter((c) => /^[0-9]{3}$/.test(c)).map(Number)),
    retryTimeoutMs: policy.retries.timeoutMs ?? 0,
    sendTimeoutMs: Math.max(0, policy.timeouts.sendMs),
    checker: unavailable || policy.healthCheck === undefined ? undefined : checkerFor(backend, balancer, previous?.checker, ctx),
  };
}

/** The previous checker updated to the new server list and balancer, else a new one started. */
function checkerFor(backend: Backend, balancer: BaseBalancer, previous: ActiveHealthChecker | undefined, ctx: BindContext): ActiveHealthChecker {
  if (previous !== undefined) {
    previous.update(backend, balancer);
    return previous;
  }
  const onHealthChange = ctx.onHealthChange;
  const checker = new ActiveHealthChecker(backend, balancer, {
    onChange: onHealthChange === undefined ? undefined : (server, healthy) => onHealthChange(backend.id, server, healthy),
  });
  checker.start();
  return checker;
}

/**
 * After a swap: stops the health checkers of `previous` runtimes that no runtime of `next`
 * took over (the backend left the table, lost its health check or became unavailable).
 * Resolves (never rejects) when their probes have settled.
 */
export async function releaseRuntimes(previous: Iterable<BackendRuntime>, next: Iterable<BackendRuntime>): Promise<void> {
  const kept = new Set<ActiveHealthChecker>();
  for (const runtime of next) if (runtime.checker !== undefined) kept.add(runtime.checker);
  const stopping: Promise<void>[] = [];
  for (const runtime of previous) {
    if (runtime.checker !== undefined && !kept.has(runtime.checker)) stopping.push(runtime.checker.stop());
  }
  await Promise.allSettled(stopping);
}

/**
 * An incremental swap replaced or removed `runtime`'s backend: its servers' pools lose one
 * binding each (retired when none is left). Returns how many pools retired.
 */
export function releasePools(runtime: BackendRuntime, pools: PoolRegistry): number {
  if (runtime.unavailable) return 0; // bound no pool (bindBackend)
  let retired = 0;
  for (const server of runtime.backend.servers) if (pools.release(server, runtime.backend.policy)) retired++;
  return retired;
}
