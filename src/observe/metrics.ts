import promClient from 'prom-client';
import type { WorkerStats } from '../supervisor/supervisor.ts';
import type { CertificateExpiries } from './certificate-expiry.ts';
import type { ReloadStatus } from './reload-status.ts';
import type { RequestTotals } from './request-totals.ts';
import type { UpstreamUp } from './upstream-up.ts';

/**
 * `/metrics`: the primary's own metrics (defined here), the workers' state metrics
 * (worker-metrics.ts, summed over cluster IPC by prom-client) and the request metrics
 * (request-totals.ts, reported by the workers before each scrape). Each metric is defined
 * once, in one of those three files.
 */

/** How long a scrape waits for the workers' request counts (a late worker reports next time). */
const FLUSH_TIMEOUT_MS = 1_000;

export interface PrimaryMetricsSources {
  readonly isReady: () => boolean;
  readonly controller: { readonly lastBuildMs: number };
  readonly supervisor: { readonly generation: number; stats(): WorkerStats[]; flushMetrics(timeoutMs: number): Promise<void> };
  readonly cache?: { readonly bytes: number; readonly entries: number; readonly evictions: number };
  readonly requests: RequestTotals;
  readonly upstreamUp: UpstreamUp;
  readonly reload: ReloadStatus;
  readonly certificates: CertificateExpiries;
}

/** The primary's own metrics plus the workers' aggregated ones. */
export class PrimaryMetrics {
  readonly #registry = new promClient.Registry();
  readonly #aggregator = new promClient.AggregatorRegistry();
  readonly #sources: PrimaryMetricsSources;

  constructor(sources: PrimaryMetricsSources) {
    this.#sources = sources;
    const registers = [this.#registry];
    new promClient.Gauge({ name: 'pier_ready', help: '1 when every worker serves a table built after the initial sync.', registers, collect() { this.set(sources.isReady() ? 1 : 0); } });
    new promClient.Gauge({ name: 'pier_table_generation', help: 'Generation of the newest routing table published.', registers, collect() { this.set(sources.supervisor.generation); } });
    new promClient.Gauge({
      name: 'pier_config_last_reload_successful', help: 'Whether the last routing table built was applied by every worker (1), or translation failed or a worker died applying it (0).',
      registers, collect() { this.set(sources.reload.successful); },
    });
    new promClient.Gauge({
      name: 'pier_config_last_reload_successful_timestamp_seconds', help: 'When the last routing table was applied by every worker (Unix seconds).',
      registers, collect() { this.set(sources.reload.successTimestamp); },
    });
    new promClient.Gauge({
      name: 'pier_ssl_certificate_expiry_seconds', help: 'When each served TLS certificate expires (Unix seconds; alert on it minus time()), by host and Secret.',
      labelNames: ['host', 'secret'], registers,
      collect() {
        this.reset();
        for (const c of sources.certificates.current) this.set({ host: c.host, secret: c.secret }, c.expiresAt);
      },
    });
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
    const flushed = this.#sources.supervisor.flushMetrics(FLUSH_TIMEOUT_MS);
    const [own, workers] = await Promise.all([this.#registry.metrics(), this.#aggregator.clusterMetrics().catch(() => ''), flushed]);
    const requests = await promClient.AggregatorRegistry.aggregate([this.#sources.requests.metrics()]).metrics();
    return { contentType: this.#registry.contentType, body: `${own}\n${workers}\n${this.#sources.upstreamUp.text()}\n${requests}` };
  }
}
