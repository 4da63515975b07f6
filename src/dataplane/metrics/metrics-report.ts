import type { MeterLabels } from './route-meter.ts';

/**
 * Request metrics between a worker (RequestMeters) and the primary (observe/request-totals.ts),
 * over the cluster IPC channel (structured clone: typed arrays cross as they are).
 *
 *   primary → metrics-request(id)   before each scrape of /metrics
 *   worker  → metrics(id, meters)   the counts since its last report; also sent unasked
 *                                   (id -1) when the worker drains, just before it exits
 */
export interface MetricsRequest {
  readonly type: 'metrics-request';
  readonly id: number;
}

export interface MetricsReport {
  readonly type: 'metrics';
  readonly id: number;
  readonly meters: readonly MeterReport[];
  /** The servers this worker holds down now, as `${backend id}\n${host}:${port}`
   * (observe/upstream-up.ts renders pier_upstream_up from them and the table). */
  readonly down: readonly string[];
}

/** One label set's counts since the last report. */
export interface MeterReport {
  readonly labels: MeterLabels;
  /** `[status, method index, count, ...]` (method index into meter-layout.ts METHODS). */
  readonly requests: readonly number[];
  /** The histograms, per bucket (not cumulative), in meter-layout.ts HISTOGRAMS order. */
  readonly cells: Float64Array;
}
