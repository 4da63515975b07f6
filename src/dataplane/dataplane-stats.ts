/** Statuses Pier answers itself (never the upstream's). */
export const PIER_STATUSES = [400, 404, 405, 408, 413, 431, 501, 502, 503, 504, 505] as const;
export type PierStatus = (typeof PIER_STATUSES)[number];

/**
 * Metrics-ready counters of one dataplane: plain numbers bumped on the hot path, read and
 * exported elsewhere (observe/), so prom-client never runs per request.
 */
export interface DataplaneStats {
  /** Requests received (malformed ones that never became a request excluded). */
  requests: number;
  /** Responses Pier produced itself, by status. */
  errors: Record<PierStatus, number>;
  /** Upstream tries repeated after a failure. */
  retries: number;
  /** Responses cut short because the upstream failed after the head was sent. */
  upstreamAborts: number;
  /** Requests whose client went away before the response was complete. */
  clientAborts: number;
  /** WebSocket / Upgrade tunnels established. */
  upgrades: number;
  /** Table swaps applied, and how long the last one took. */
  swaps: number;
  lastSwapMs: number;
  /** Swaps that compiled only what a table delta changed (the others compiled a whole table). */
  deltaSwaps: number;
}

/** All counters at zero. */
export function createStats(): DataplaneStats {
  const errors = {} as Record<PierStatus, number>;
  for (const s of PIER_STATUSES) errors[s] = 0;
  return { requests: 0, errors, retries: 0, upstreamAborts: 0, clientAborts: 0, upgrades: 0, swaps: 0, lastSwapMs: 0, deltaSwaps: 0 };
}
