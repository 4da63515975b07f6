import promClient from 'prom-client';
import type { DataplaneStats } from '../dataplane/dataplane-stats.ts';
import type { WorkerStats } from '../supervisor/supervisor.ts';
import type { CacheCounters } from '../dataplane/cache/cache-store.ts';

/**
 * Every Prometheus metric Pier exposes is defined in this file, once.
 *
 * Workers never touch prom-client on the hot path: the dataplane keeps plain counters, and the
 * metrics below read them at scrape time (`collect`). The primary asks every worker for its
 * registry through prom-client's AggregatorRegistry (cluster IPC) and sums them; per-worker
 * series carry a `worker` label.
 */

/**
 * Registers the worker-side metrics in the worker's global registry (the one prom-client's
 * cluster aggregation asks for). Call once per worker. Counters are summed across workers.
 */
export function registerWorkerMetrics(stats: () => DataplaneStats): void {
  // Constructing an AggregatorRegistry in a worker is what installs prom-client's IPC listener
  // that answers the primary's metrics requests.
  new promClient.AggregatorRegistry();
  const counter = (name: string, help: string, read: (s: DataplaneStats) => number) =>
    new promClient.Counter({ name, help, collect() { this.reset(); this.inc(read(stats())); } });
  counter('pier_requests_total', 'Requests received by the dataplane.', (s) => s.requests);
  counter('pier_upstream_retries_total', 'Upstream tries repeated after a failure (another connection or server).', (s) => s.retries);
  counter('pier_upstream_aborts_total', 'Responses cut short because the upstream failed after the head was sent.', (s) => s.upstreamAborts);
  counter('pier_client_aborts_total', 'Requests whose client went away before the response was complete.', (s) => s.clientAborts);
  counter('pier_upgrades_total', 'Upgrade (WebSocket) tunnels established.', (s) => s.upgrades);
  new promClient.Counter({
    name: 'pier_responses_generated_total', help: 'Responses Pier produced itself (no route, no endpoint, upstream failure), by status.', labelNames: ['code'],
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(stats().errors)) this.inc({ code }, n);
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

export interface PrimaryMetricsSources {
  readonly isReady: () => boolean;
  readonly controller: { readonly lastBuildMs: number };
  readonly supervisor: { readonly generation: number; stats(): WorkerStats[] };
  readonly cache?: { readonly bytes: number; readonly entries: number; readonly evictions: number };
}

/** The primary's own metrics plus the workers' aggregated ones. */
export class PrimaryMetrics {
  readonly #registry = new promClient.Registry();
  readonly #aggregator = new promClient.AggregatorRegistry();

  constructor(sources: PrimaryMetricsSources) {
    const registers = [this.#registry];
    new promClient.Gauge({ name: 'pier_ready', help: '1 when every worker serves a table built after the initial sync.', registers, collect() { this.set(sources.isReady() ? 1 : 0); } });
    new promClient.Gauge({ name: 'pier_table_generation', help: 'Generation of the newest routing table published.', registers, collect() { this.set(sources.supervisor.generation); } });
    new promClient.Gauge({ name: 'pier_translate_duration_seconds', help: 'Time the last translation of the whole snapshot took.', registers, collect() { this.set(sources.controller.lastBuildMs / 1000); } });
    const perWorker = (name: string, help: string, read: (w: WorkerStats) => number) =>
      new promClient.Gauge({
        name, help, registers, labelNames: ['slot'],
        collect() {
          this.reset();
          for (const w of sources.supervisor.stats()) if (w.state !== 'draining') this.set({ slot: String(w.slot) }, read(w));
        },
      });
    perWorker('pier_worker_table_generation', 'Routing table generation each worker serves (acked).', (w) => w.generation);
    perWorker('pier_worker_swap_duration_seconds', 'Duration of each worker\'s last table swap (compile + reference swap).', (w) => w.lastSwapMs / 1000);
    perWorker('pier_worker_restarts', 'Restarts of each worker slot after a crash.', (w) => w.restarts);
    perWorker('pier_worker_delta_swaps', 'Table swaps of each worker that compiled only what a delta changed (the others compiled the whole table).', (w) => w.deltaSwaps);
    const cache = sources.cache;
    if (cache !== undefined) {
      new promClient.Gauge({ name: 'pier_cache_bytes', help: 'Bytes held by the shared cache\'s files.', registers, collect() { this.set(cache.bytes); } });
      new promClient.Gauge({ name: 'pier_cache_entries', help: 'Files in the shared cache (responses and vary records).', registers, collect() { this.set(cache.entries); } });
      new promClient.Counter({ name: 'pier_cache_evictions_total', help: 'Files evicted from the shared cache to stay within --cache-size.', registers, collect() { this.reset(); this.inc(cache.evictions); } });
    }
    promClient.collectDefaultMetrics({ register: this.#registry, prefix: 'pier_primary_' });
  }

  async collect(): Promise<{ contentType: string; body: string }> {
    const [own, workers] = await Promise.all([this.#registry.metrics(), this.#aggregator.clusterMetrics().catch(() => '')]);
    return { contentType: this.#registry.contentType, body: own + '\n' + workers };
  }
}
