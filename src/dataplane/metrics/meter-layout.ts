/**
 * How a worker's per-route request counters are laid out: the label values a request can
 * take besides its route (method, status) and the histograms' buckets. The primary renders
 * the same layout (observe/request-totals.ts), so it is defined here, once.
 *
 * Cardinality: a route's labels (namespace, Ingress, Service) come from the routing table, so
 * they are bounded by it; a request that matches no rule counts under one fixed set of empty
 * labels, whatever its host or path. The method is one of METHODS (anything else is
 * `OTHER`); the status is the exact code, as ingress-nginx reports it (at most 500 values).
 */

/** ingress-nginx's request_duration_seconds buckets (its --time-buckets default, prometheus.DefBuckets). */
export const TIME_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** ingress-nginx's --size-buckets default (prometheus.ExponentialBuckets(10, 10, 7)): 10 B … 10 MB. */
export const SIZE_BUCKETS: readonly number[] = [10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/** The method label's values; OTHER stands for any other token. */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'OTHER'] as const;

/** Index of `method` in METHODS (a switch: no hashing per request). */
export function methodIndex(method: string): number {
  switch (method) {
    case 'GET': return 0;
    case 'HEAD': return 1;
    case 'POST': return 2;
    case 'PUT': return 3;
    case 'DELETE': return 4;
    case 'OPTIONS': return 5;
    case 'PATCH': return 6;
    case 'TRACE': return 7;
    case 'CONNECT': return 8;
    default: return 9;
  }
}

/** Status codes a response can carry (RFC 9110 §15: three digits, 100–599); others count as 0. */
export const MAX_STATUS = 599;

/**
 * The four histograms of a route, in this order in one Float64Array: for each, one count per
 * bucket plus one past the last (+Inf), then the sum of observed values. Counts are stored per
 * bucket, not cumulative: recording increments one cell; the exporter accumulates them.
 */
export const HISTOGRAMS = [
  { name: 'duration', buckets: TIME_BUCKETS },
  { name: 'upstream', buckets: TIME_BUCKETS },
  { name: 'requestSize', buckets: SIZE_BUCKETS },
  { name: 'responseSize', buckets: SIZE_BUCKETS },
] as const;

export type HistogramName = (typeof HISTOGRAMS)[number]['name'];

/** Where each histogram starts in the array, and the array's length. */
export const HISTOGRAM_OFFSET: Readonly<Record<HistogramName, number>> = offsets();
export const HISTOGRAM_CELLS = HISTOGRAMS.reduce((n, h) => n + h.buckets.length + 2, 0);

function offsets(): Record<HistogramName, number> {
  const out = {} as Record<HistogramName, number>;
  let at = 0;
  for (const h of HISTOGRAMS) {
    out[h.name] = at;
    at += h.buckets.length + 2;
  }
  return out;
}

/** Counts `value` into the histogram starting at `offset` (linear search: at most 11 buckets). */
export function observe(cells: Float64Array, offset: number, buckets: readonly number[], value: number): void {
  let i = 0;
  while (i < buckets.length && value > buckets[i]!) i++;
  cells[offset + i]! += 1;
  cells[offset + buckets.length + 1]! += value;
}
