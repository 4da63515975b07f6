import promClient from 'prom-client';
import type { CacheCounters } from '../dataplane/cache/cache-store.ts';
import type { Dataplane } from '../dataplane/create-dataplane.ts';
import type { DataplaneStats } from '../dataplane/dataplane-stats.ts';
import { FAILURE_KINDS } from '../dataplane/upstream/upstream-failure.ts';

/**
 * The worker-side metrics that describe a worker's state rather than its requests (those are
 * the route meters, observe/request-totals.ts). Workers never touch prom-client on the hot
 * path: the dataplane keeps plain counters and these metrics read them at scrape time
 * (`collect`). The primary asks every worker for its registry through prom-client's
 * AggregatorRegistry (cluster IPC) and combines them: counters and gauges are summed across
 * workers. (`pier_upstream_up` is rendered by the primary: observe/upstream-up.ts.)
 */

/** Registers them in the worker's global registry (the one prom-client's cluster aggregation
 * asks for). Call once per worker. */
export function registerWorkerMetrics(dataplane: Dataplane): void {
  // Constructing an AggregatorRegistry in a worker is what installs prom-client's IPC listener
  // that answers the primary's metrics requests.
  new promClient.AggregatorRegistry();
  const stats = () => dataplane.stats;
  const counter = (name: string, help: string, read: (s: DataplaneStats) => number) =>
    new promClient.Counter({ name, help, collect() { this.reset(); this.inc(read(stats())); } });
  counter('pier_upstream_retries_total', 'Upstream tries repeated after a failure (another connection or server).', (s) => s.retries);
  counter('pier_upstream_aborts_total', 'Responses cut short because the upstream failed after the head was sent.', (s) => s.upstreamAborts);
  counter('pier_client_aborts_total', 'Requests whose client went away before the response was complete.', (s) => s.clientAborts);
  counter('pier_upgrades_total', 'Upgrade (WebSocket) tunnels established.', (s) => s.upgrades);
  counter('pier_ssl_passthrough_connections_total', 'TLS connections relayed undeciphered to an ssl-passthrough backend.', (s) => s.passthroughConnections);
  new promClient.Counter({
    name: 'pier_mirror_requests_total', help: 'Mirror requests (mirror-target), by result: sent (the mirror answered), failed (refused, timed out, cut), dropped (too many in flight, or the mirror slower than the client\'s body).', labelNames: ['result'],
    collect() {
      this.reset();
      for (const [result, n] of Object.entries(stats().mirrors)) this.inc({ result }, n);
    },
  });
  new promClient.Counter({
    name: 'pier_responses_generated_total', help: 'Responses Pier produced itself (no route, no endpoint, upstream failure), by status.', labelNames: ['code'],
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(stats().errors)) this.inc({ code }, n);
    },
  });
  new promClient.Counter({
    name: 'pier_upstream_failures_total', help: 'Upstream tries that failed, by reason (connect, connect-timeout, reset, timeout, bad-response, status).', labelNames: ['reason'],
    collect() {
      this.reset();
      const failures = stats().failures;
      for (const reason of FAILURE_KINDS) this.inc({ reason }, failures[reason]);
    },
  });
  new promClient.Gauge({
    name: 'pier_upstream_connections', help: 'Upstream connections: carrying a request (active) or kept alive (idle).', labelNames: ['state'],
    collect() {
      const { active, idle } = dataplane.pools.connectionCounts();
      this.set({ state: 'active' }, active);
      this.set({ state: 'idle' }, idle);
    },
  });
}

/**
 * The shared cache's per-Ingress counters in a worker (dataplane/cache/cache-store.ts), summed
 * across workers: hits (HIT, STALE, REVALIDATED), misses (MISS, EXPIRED, BYPASS), bytes.
 */
export function registerCacheMetrics(counters: () => ReadonlyMap<string, CacheCounters>): void {
  const counter = (name: string, help: string, read: (c: CacheCounters) => number) =>
    new promClient.Counter({
      name, help, labelNames: ['ingress'],
      collect() {
        this.reset();
        for (const [ingress, c] of counters()) this.inc({ ingress }, read(c));
      },
    });
  counter('pier_cache_hits_total', 'Responses served from the shared cache (HIT, STALE, REVALIDATED), by Ingress.', (c) => c.hits);
  counter('pier_cache_misses_total', 'Cacheable requests sent upstream (MISS, EXPIRED, BYPASS), by Ingress.', (c) => c.misses);
  counter('pier_cache_hit_bytes_total', 'Body bytes served from the shared cache, by Ingress.', (c) => c.hitBytes);
  counter('pier_cache_stored_bytes_total', 'Body bytes written to the shared cache, by Ingress.', (c) => c.storedBytes);
}
