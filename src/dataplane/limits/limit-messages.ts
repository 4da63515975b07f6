/**
 * Rate-limit leasing between a worker (LeasedLimiter) and the primary (LimitBroker), over the
 * cluster IPC channel. Batched: one message per event-loop turn at most, flat arrays.
 *
 *   worker  → limits(rates, conns)
 *     rates: [zoneId, key, want, debt, returned, ...]  ask for `want` requests' budget; `debt`
 *            requests were admitted on credit (charge them); `returned` unused budget
 *     conns: [zoneId, key, count, ...]                 this worker's requests in progress (absolute)
 *   primary → limit-grants(rates, conns)
 *     rates: [zoneId, key, granted, room, ...]         answers an ask (0: none came within the wait);
 *                                                      room 1: the bucket had as much again to spare
 *     conns: [zoneId, key, others, ...]                requests in progress in the other workers
 *     empty: [zoneId, key, ...]                        this client's bucket is empty: no credit for it
 */
export interface LimitReport {
  readonly type: 'limits';
  readonly rates: (string | number)[];
  readonly conns: (string | number)[];
}

export interface LimitGrants {
  readonly type: 'limit-grants';
  readonly rates: (string | number)[];
  readonly conns: (string | number)[];
  readonly empty: string[];
}

/** Budget asked per round trip: about 20 ms of the zone's rate, within 1..64 requests. */
export function leaseQuantum(rate: number): number {
  return Math.min(64, Math.max(1, Math.ceil((rate / 1000) * 0.02)));
}
