import { FAILURE_KINDS, type FailureKind } from './upstream/upstream-failure.ts';

/** Statuses Pier answers itself (never the upstream's). */
export const PIER_STATUSES = [400, 404, 405, 408, 413, 431, 501, 502, 503, 504, 505] as const;
export type PierStatus = (typeof PIER_STATUSES)[number];

/**
 * Metrics-ready counters of one dataplane: plain numbers bumped on the hot path, read and
 * exported elsewhere (observe/), so prom-client never runs per request. Requests themselves
 * are counted by route (metrics/request-meters.ts).
 */
export interface DataplaneStats {
  /** Responses Pier produced itself, by status. */
  errors: Record<PierStatus, number>;
  /** Upstream tries repeated after a failure. */
  retries: number;
  /** Upstream tries that failed, by why (a try cut after its head counts too). */
  failures: Record<FailureKind, number>;
  /** Responses cut short because the upstream failed after the head was sent. */
  upstreamAborts: number;
  /** Requests whose client went away before the response was complete. */
  clientAborts: number;
  /** WebSocket / Upgrade tunnels established. */
  upgrades: number;
  /** TLS connections relayed undeciphered (ssl-passthrough). */
  passthroughConnections: number;
  /** Table swaps applied, and how long the last one took. */
  swaps: number;
  lastSwapMs: number;
  /** Swaps that compiled only what a table delta changed (the others compiled a whole table). */
  deltaSwaps: number;
  /** Mirror requests (`mirror-target`): answered (any status), failed (refused, timed out,
   * cut), or dropped (too many in flight, or a mirror slower than the client's body). */
  mirrors: { sent: number; failed: number; dropped: number };
}

/** All counters at zero. */
export function createStats(): DataplaneStats {
  const errors = {} as Record<PierStatus, number>;
  for (const s of PIER_STATUSES) errors[s] = 0;
  const failures = {} as Record<FailureKind, number>;
  for (const k of FAILURE_KINDS) failures[k] = 0;
  return { errors, retries: 0, failures, upstreamAborts: 0, clientAborts: 0, upgrades: 0, passthroughConnections: 0, swaps: 0, lastSwapMs: 0, deltaSwaps: 0, mirrors: { sent: 0, failed: 0, dropped: 0 } };
}
