import { LeakyBucket } from '../dataplane/limits/leaky-bucket.ts';
import { policyZones } from '../dataplane/limits/rate-zones.ts';
import type { LimitGrants, LimitReport } from '../dataplane/limits/limit-messages.ts';
import type { RateZone } from '../dataplane/limits/limiter.ts';
import type { RouteTable } from '../routing/route-table.ts';

/** An ask nobody could serve is answered with 0 after this long (the worker asks again). */
const PARK_MS = 1_000;
/** Parked asks are served this often at most (sooner for zones whose bucket fills faster). */
const MAX_TICK_MS = 10;
/** Clients are forgotten this often when their buckets drained. */
const SWEEP_MS = 10_000;

interface Outgoing {
  readonly rates: (string | number)[];
  readonly conns: (string | number)[];
  readonly empty: string[];
}

interface Ask {
  readonly worker: number;
  readonly zone: RateZone;
  readonly key: string;
  want: number;
  readonly since: number;
}

/**
 * The primary's side of pod-wide rate limits (see LeasedLimiter): the one nginx bucket per
 * client and zone, from which workers lease budget, and the pod-wide count of each client's
 * requests in progress. Zones are learnt from each published table (the primary publishes
 * before any worker can see a zone). Asks it cannot serve are parked and served as buckets
 * refill, every few ms, in the order they came.
 */
export class LimitBroker {
  readonly #send: (worker: number, msg: LimitGrants) => void;
  readonly #clock: () => number;
  #zones = new Map<string, RateZone>();
  readonly #buckets = new Map<string, LeakyBucket>();
  /** When each bucket was created: asks on a bucket younger than a tick wait for the tick. */
  readonly #born = new Map<string, number>();
  readonly #parked = new Map<string, Ask>();
  /** `zone\nkey` → worker → requests in progress. */
  readonly #conns = new Map<string, Map<number, number>>();
  readonly #workers = new Set<number>();
  readonly #out = new Map<number, Outgoing>();
  #flushQueued = false;
  #tick: NodeJS.Timeout | undefined;
  #sweep: NodeJS.Timeout | undefined;

  constructor(send: (worker: number, msg: LimitGrants) => void, clock: () => number = Date.now) {
    this.#send = send;
    this.#clock = clock;
  }

  /** Learns the rate zones of `table` (a zone whose rate changed keeps its clients' state). */
  update(table: RouteTable): void {
    const zones = new Map<string, RateZone>();
    for (const zone of rateZonesOf(table)) zones.set(zone.id, zone);
    this.#zones = zones;
  }

  /** A worker joined (it is told others' counts from then on). */
  join(worker: number): void {
    this.#workers.add(worker);
  }

  /** A worker is gone: its requests in progress no longer count, its asks lapse. */
  leave(worker: number): void {
    this.#workers.delete(worker);
    this.#out.delete(worker);
    for (const [id, ask] of this.#parked) if (ask.worker === worker) this.#parked.delete(id);
    for (const [id, counts] of this.#conns) {
      if (!counts.delete(worker)) continue;
      const [zone, key] = id.split('\n') as [string, string];
      this.#tellOthers(zone, key, counts, worker);
    }
  }

  receive(worker: number, msg: LimitReport): void {
    this.#workers.add(worker);
    const now = this.#clock();
    const rates = msg.rates;
    for (let i = 0; i < rates.length; i += 5) {
      const zone = this.#zones.get(rates[i] as string);
      if (zone === undefined) continue; // the zone left the table
      const key = rates[i + 1] as string;
      const bucket = this.#bucket(zone, key);
      const debt = rates[i + 3] as number;
      for (let n = 0; n < debt; n++) bucket.force(zone.rate, now);
      const returned = rates[i + 4] as number;
      if (returned > 0) bucket.refund(returned);
      const want = rates[i + 2] as number;
      if (want > 0) this.#serve({ worker, zone, key, want, since: now }, now, true);
    }
    const conns = msg.conns;
    for (let i = 0; i < conns.length; i += 3) {
      const zone = conns[i] as string;
      const key = conns[i + 1] as string;
      const id = `${zone}\n${key}`;
      let counts = this.#conns.get(id);
      if (counts === undefined) this.#conns.set(id, (counts = new Map()));
      const count = conns[i + 2] as number;
      if (count === 0) counts.delete(worker);
      else counts.set(worker, count);
      this.#tellOthers(zone, key, counts, worker);
      if (counts.size === 0) this.#conns.delete(id);
    }
  }

  close(): void {
    clearTimeout(this.#tick);
    clearInterval(this.#sweep);
  }

  /** Grants what the bucket allows now, or parks a new ask (`fresh`) until it can; an ask parked
   * for PARK_MS is answered with 0. */
  #serve(ask: Ask, now: number, fresh: boolean): boolean {
    const bucket = this.#bucket(ask.zone, ask.key);
    // A client new to the pod: other workers may have admitted it on credit too, and their
    // reports are on their way; serve the ask at the next tick, once they are charged.
    const young = fresh && now - (this.#born.get(`${ask.zone.id}\n${ask.key}`) ?? 0) < MAX_TICK_MS;
    let granted = 0;
    while (!young && granted < ask.want && bucket.take(ask.zone.rate, ask.zone.burst, now)) granted++;
    const id = `${ask.worker}\n${ask.zone.id}\n${ask.key}`;
    if (granted > 0 || now - ask.since >= PARK_MS) {
      this.#parked.delete(id);
      // room: the bucket could grant as much again (the worker may then overdraw while it asks).
      const room = granted === ask.want && bucket.excess + ask.want * 1000 <= ask.zone.burst ? 1 : 0;
      this.#queue(ask.worker).rates.push(ask.zone.id, ask.key, granted, room);
      return true;
    }
    if (fresh) {
      this.#parked.set(id, ask);
      this.#armTick();
      // The client is over its limit: workers that do not know it yet must not admit it on credit.
      if (!young) for (const worker of this.#workers) if (worker !== ask.worker) this.#queue(worker).empty.push(ask.zone.id, ask.key);
    }
    return false;
  }

  #armTick(): void {
    if (this.#tick !== undefined) return;
    let ms = MAX_TICK_MS;
    // A bucket that holds little (small burst) must be visited before it overflows.
    for (const ask of this.#parked.values()) ms = Math.min(ms, ((ask.zone.burst + 1000) * 1000) / Math.max(1, ask.zone.rate) / 2);
    this.#tick = setTimeout(() => {
      this.#tick = undefined;
      const now = this.#clock();
      for (const ask of [...this.#parked.values()]) this.#serve(ask, now, false);
      if (this.#parked.size > 0) this.#armTick();
    }, Math.max(1, Math.floor(ms)));
  }

  #bucket(zone: RateZone, key: string): LeakyBucket {
    const id = `${zone.id}\n${key}`;
    let bucket = this.#buckets.get(id);
    if (bucket === undefined) {
      this.#buckets.set(id, (bucket = new LeakyBucket()));
      this.#born.set(id, this.#clock());
      this.#sweep ??= setInterval(() => this.#forgetIdle(), SWEEP_MS).unref();
    }
    return bucket;
  }

  #forgetIdle(): void {
    const now = this.#clock();
    for (const [id, bucket] of this.#buckets) {
      const zone = this.#zones.get(id.slice(0, id.indexOf('\n')));
      if (zone === undefined || bucket.idle(zone.rate, now)) {
        this.#buckets.delete(id);
        this.#born.delete(id);
      }
    }
  }

  #tellOthers(zone: string, key: string, counts: Map<number, number>, from: number): void {
    let total = 0;
    for (const n of counts.values()) total += n;
    for (const worker of this.#workers) {
      if (worker === from) continue;
      this.#queue(worker).conns.push(zone, key, total - (counts.get(worker) ?? 0));
    }
  }

  #queue(worker: number): Outgoing {
    let out = this.#out.get(worker);
    if (out === undefined) this.#out.set(worker, (out = { rates: [], conns: [], empty: [] }));
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      setImmediate(() => this.#flush());
    }
    return out;
  }

  #flush(): void {
    this.#flushQueued = false;
    for (const [worker, out] of this.#out) this.#send(worker, { type: 'limit-grants', ...out });
    this.#out.clear();
  }
}

/** The `limit_req` zones of a table's rate-limit policies: `<ingress>#rps`, `<ingress>#rpm`. */
export function rateZonesOf(table: RouteTable): RateZone[] {
  const zones: RateZone[] = [];
  const seen = new Set<string>();
  for (const vhost of table.virtualHosts) {
    for (const route of vhost.routes) {
      for (const p of route.policies ?? []) {
        if (p.kind !== 'rate-limit' || seen.has(p.zone)) continue;
        seen.add(p.zone);
        zones.push(...policyZones(p));
      }
    }
  }
  return zones;
}
