import { HISTOGRAMS, METHODS } from '../dataplane/metrics/meter-layout.ts';
import type { MeterReport } from '../dataplane/metrics/metrics-report.ts';
import { meterLabels, type MeterLabels } from '../dataplane/metrics/route-meter.ts';
import type { RouteTable } from '../routing/route-table.ts';

/**
 * The per-request metrics, defined here once: the names, helps and labels of what the
 * workers' route meters count (dataplane/metrics/meter-layout.ts gives the buckets).
 */
const REQUESTS = { name: 'pier_requests_total', help: 'Requests answered, by namespace, Ingress, Service, method and status (exact code; 499: the client left first).' };
const HISTOGRAM_METRICS: Readonly<Record<(typeof HISTOGRAMS)[number]['name'], { name: string; help: string }>> = {
  duration: { name: 'pier_request_duration_seconds', help: 'Time from a request\'s arrival to the end of its response, by namespace, Ingress and Service.' },
  upstream: { name: 'pier_upstream_response_seconds', help: 'Time from sending a request to the upstream to the end of its response (the last try), by namespace, Ingress and Service.' },
  requestSize: { name: 'pier_request_size_bytes', help: 'Request length (request line, headers and body), by namespace, Ingress and Service.' },
  responseSize: { name: 'pier_response_size_bytes', help: 'Response length (head and body as sent), by namespace, Ingress and Service.' },
};

/** The names of every metric this file exposes (tests, the dashboard check). */
export const REQUEST_METRIC_NAMES: readonly string[] = [REQUESTS.name, ...Object.values(HISTOGRAM_METRICS).map((m) => m.name)];

/** One metric in prom-client's JSON form (what `Registry.getMetricsAsJSON()` gives and
 * `AggregatorRegistry.aggregate()` renders); prom-client does not export the type. */
export interface MetricJson {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: MetricSample[];
}

interface MetricSample {
  readonly value: number;
  readonly labels: Record<string, string>;
  readonly metricName?: string;
}

interface Totals {
  readonly labels: MeterLabels;
  /** `status * 16 + method index` → requests. */
  readonly requests: Map<number, number>;
  readonly cells: Float64Array;
}

const keyOf = (l: MeterLabels) => `${l.namespace}\0${l.ingress}\0${l.service}`;

/**
 * The request metrics of the whole pod, held by the primary. Workers report what they counted
 * since their last report (metrics-report.ts); the totals live here, so a worker that exits or
 * is replaced takes nothing away and the counters never go down while the pod runs. Label sets
 * that leave the routing table are dropped at the next publish (as ingress-nginx removes the
 * metrics of a deleted Ingress), which bounds the series by the table in force plus one set
 * for requests no rule matched.
 */
export class RequestTotals {
  readonly #totals = new Map<string, Totals>();
  /** The table in force (undefined until the first publish: everything is kept). */
  #table: RouteTable | undefined;
  /** Label sets of #keptFor, and each route's label key by `origin\0backend` (reused across tables). */
  #kept: Set<string> | undefined;
  #keptFor: RouteTable | undefined;
  #labelKeys = new Map<string, string>();

  /** Adds one worker's report. */
  add(meters: readonly MeterReport[]): void {
    const kept = this.#keep();
    for (const m of meters) {
      const key = keyOf(m.labels);
      if (kept !== undefined && !kept.has(key)) continue; // a route gone since
      let t = this.#totals.get(key);
      if (t === undefined) {
        t = { labels: m.labels, requests: new Map(), cells: new Float64Array(m.cells.length) };
        this.#totals.set(key, t);
      }
      for (let i = 0; i + 2 < m.requests.length; i += 3) {
        const k = m.requests[i]! * 16 + m.requests[i + 1]!;
        t.requests.set(k, (t.requests.get(k) ?? 0) + m.requests[i + 2]!);
      }
      for (let i = 0; i < m.cells.length && i < t.cells.length; i++) t.cells[i]! += m.cells[i]!;
    }
  }

  /** A new table is published: only its label sets (and the unmatched one) are kept from now
   * on. Nothing is computed here (publishes can come many times per scrape): the next report
   * or scrape prunes, once per table. */
  retain(table: RouteTable): void {
    this.#table = table;
  }

  /** The label sets of the table in force, pruning the totals of others when it changed. */
  #keep(): Set<string> | undefined {
    const table = this.#table;
    if (table === undefined || table === this.#keptFor) return this.#kept;
    const previous = this.#labelKeys;
    const labelKeys = new Map<string, string>();
    const keyFor = (origin: string | undefined, backend: string) => {
      const raw = origin === undefined ? backend : `${origin}\0${backend}`;
      let key = labelKeys.get(raw) ?? previous.get(raw);
      if (key === undefined) key = keyOf(meterLabels(origin, backend));
      labelKeys.set(raw, key);
      return key;
    };
    const keep = new Set([keyOf({ namespace: '', ingress: '', service: '' })]);
    for (const vhost of table.virtualHosts) for (const route of vhost.routes) keep.add(keyFor(route.origin, route.backend));
    if (table.defaultBackend !== undefined) keep.add(keyFor(undefined, table.defaultBackend));
    for (const key of this.#totals.keys()) if (!keep.has(key)) this.#totals.delete(key);
    this.#labelKeys = labelKeys;
    this.#kept = keep;
    this.#keptFor = table;
    return keep;
  }

  /** The metrics in prom-client's JSON form (rendered by AggregatorRegistry.aggregate). */
  metrics(): MetricJson[] {
    this.#keep();
    const requests: MetricSample[] = [];
    const histograms = HISTOGRAMS.map(() => [] as MetricSample[]);
    for (const t of this.#totals.values()) {
      const base = { namespace: t.labels.namespace, ingress: t.labels.ingress, service: t.labels.service };
      for (const [k, value] of t.requests) requests.push({ value, labels: { ...base, method: METHODS[k % 16]!, status: String(Math.floor(k / 16)) } });
      let at = 0;
      HISTOGRAMS.forEach((h, i) => {
        histogramValues(HISTOGRAM_METRICS[h.name].name, h.buckets, t.cells, at, base, histograms[i]!);
        at += h.buckets.length + 2;
      });
    }
    return [
      { ...REQUESTS, type: 'counter', aggregator: 'sum', values: requests },
      ...HISTOGRAMS.map((h, i): MetricJson => ({ ...HISTOGRAM_METRICS[h.name], type: 'histogram', aggregator: 'sum', values: histograms[i]! })),
    ];
  }
}

/** `_bucket{le}` (cumulative), `_sum` and `_count` of one label set's histogram. */
function histogramValues(name: string, buckets: readonly number[], cells: Float64Array, at: number, labels: Record<string, string>, out: MetricSample[]): void {
  let cumulative = 0;
  for (let b = 0; b <= buckets.length; b++) {
    cumulative += cells[at + b]!;
    out.push({ metricName: `${name}_bucket`, value: cumulative, labels: { ...labels, le: b < buckets.length ? String(buckets[b]) : '+Inf' } });
  }
  out.push({ metricName: `${name}_sum`, value: cells[at + buckets.length + 1]!, labels });
  out.push({ metricName: `${name}_count`, value: cumulative, labels });
}
