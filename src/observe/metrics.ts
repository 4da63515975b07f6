import promClient from 'prom-client';

/**
 * Every Prometheus metric Pier exposes is defined in this file, once.
 *
 * Workers never touch prom-client on the hot path: the dataplane keeps plain counters, and the
 * metrics below read them at scrape time (`collect`). The primary asks every worker for its
 * registry through prom-client's AggregatorRegistry (cluster IPC) and sums them; per-worker
 * series carry a `worker` label.
 */

/** Plain counters a worker keeps; read only when /metrics is scraped. */
export interface WorkerStats {
  readonly generation: number;
  readonly lastSwapMs: number;
  readonly requests: number;
  /** Responses by status code, including the ones Pier produced itself (404/502/503/504). */
  readonly responses: Readonly<Record<string, number>>;
  readonly upstreamRetries: number;
  readonly activeConnections: number;
}

/** Registers the worker-side metrics in the worker's global registry. Call once per worker. */
export function registerWorkerMetrics(workerId: string, stats: () => WorkerStats): void {
  const register = promClient.register;
  register.setDefaultLabels({});
  new promClient.Counter({
    name: 'pier_requests_total', help: 'Requests answered, by status code.', labelNames: ['code'],
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(stats().responses)) this.inc({ code }, n);
    },
  });
  new promClient.Counter({
    name: 'pier_upstream_retries_total', help: 'Requests retried on another upstream connection or server.',
    collect() { this.reset(); this.inc(stats().upstreamRetries); },
  });
  new promClient.Gauge({
    name: 'pier_client_connections', help: 'Open client connections.',
    collect() { this.set(stats().activeConnections); },
  });
  new promClient.Gauge({
    name: 'pier_worker_table_generation', help: 'Routing table generation each worker serves.', labelNames: ['worker'],
    aggregator: 'first',
    collect() { this.set({ worker: workerId }, stats().generation); },
  });
  new promClient.Gauge({
    name: 'pier_worker_swap_duration_seconds', help: 'Time the last table swap took in each worker (compile + swap).', labelNames: ['worker'],
    aggregator: 'first',
    collect() { this.set({ worker: workerId }, stats().lastSwapMs / 1000); },
  });
}

export interface PrimaryMetricsSources {
  readonly isReady: () => boolean;
  readonly controller: { readonly syncedGeneration: number | undefined; readonly lastBuildMs: number };
  readonly supervisor: { readonly generation: number; readonly liveWorkers: number };
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
    new promClient.Gauge({ name: 'pier_workers', help: 'Live dataplane workers.', registers, collect() { this.set(sources.supervisor.liveWorkers); } });
    promClient.collectDefaultMetrics({ register: this.#registry, prefix: 'pier_primary_' });
  }

  async collect(): Promise<{ contentType: string; body: string }> {
    const [own, workers] = await Promise.all([this.#registry.metrics(), this.#aggregator.clusterMetrics().catch(() => '')]);
    return { contentType: this.#registry.contentType, body: own + '\n' + workers };
  }
}
