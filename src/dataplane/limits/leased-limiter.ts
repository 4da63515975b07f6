import type { LimitGrants, LimitReport } from './limit-messages.ts';
import { leaseQuantum } from './limit-messages.ts';
import type { LimitStatus, Limiter, RateZone } from './limiter.ts';

/** The most a worker admits on credit for a client it has no lease for (the largest quantum). */
const MAX_CREDIT = 64;
/** How often unused budget is returned and idle clients forgotten. */
const SWEEP_MS = 1_000;
/** Budget unused this long goes back to the primary. */
const RETURN_AFTER_MS = 1_000;
/** A client is forgotten after this long idle at the least (longer when its bucket drains slower). */
const FORGET_AFTER_MS = 10_000;

class RateLease {
  tokens = 0;
  /** An ask is with the primary: no second one until it answers. */
  asked = false;
  debt = 0;
  returned = 0;
  lastUse = 0;
  /** Requests admitted since the last ask was sent (sizes the next ask). */
  used = 0;
  /** The last grant (the next ask goes out when half of it is left). */
  lastGrant: number;
  /** An ask is queued for the next flush (not sent yet). */
  queued = false;
  /** What the ask in flight asked for. */
  wanted = 0;
  /** The last ask was granted in full and the bucket had as much again to spare. */
  full = false;
  readonly zone: RateZone;
  readonly key: string;

  constructor(zone: RateZone, key: string) {
    this.zone = zone;
    this.key = key;
    this.lastGrant = leaseQuantum(zone.rate);
  }
}

class ConnCount {
  local = 0;
  others = 0;
}

/**
 * A worker's side of pod-wide rate limits (ARCHITECTURE.md: pod-wide state lives in the
 * primary). The primary's LimitBroker holds each client's nginx bucket; this worker spends
 * budget it leased from there and never waits for IPC:
 * - rates: a request spends one leased token; with half of the last grant left the next is
 *   asked for ahead of need: a quantum (about 20 ms of the rate) or twice what the worker spent
 *   since its last ask, whichever is more. No token and an ask outstanding: refused (the
 *   primary parks the ask and answers as its bucket refills, so an over-limit client gets
 *   exactly the refill, spread over the workers that ask). A client this worker has no lease for
 *   is admitted on credit, up to its share of a full bucket ((burst + 1) / workers, 64 at most), charged
 *   at once: simultaneous first requests on every worker add up to one full bucket (the primary
 *   serves asks for a client new to it only after a tick, once every worker's credit report is
 *   in; a report later than that may add one quantum per worker).
 *   Budget unused for a second goes back. Once a client's bucket is empty the primary tells
 *   every worker, so one that has not seen the client yet gives it no credit.
 * - connections: each worker reports its own count per client, and is told the others'; a
 *   request is admitted while local + others < limit (stale by one IPC hop at most).
 */
export class LeasedLimiter implements Limiter {
  readonly reqStatus: number;
  readonly connStatus: number;
  readonly #send: (msg: LimitReport) => void;
  readonly #workers: number;
  readonly #clock: () => number;
  readonly #rates = new Map<string, RateLease>();
  /** Clients whose bucket the primary said is empty (and when): no credit for them. */
  readonly #noCredit = new Map<string, number>();
  readonly #conns = new Map<string, ConnCount>();
  readonly #asks = new Set<RateLease>();
  readonly #connReports = new Map<string, [string, string, number]>();
  #flushQueued = false;
  #sweep: NodeJS.Timeout | undefined;

  constructor(send: (msg: LimitReport) => void, workers: number, status: LimitStatus = {}, clock: () => number = Date.now) {
    this.#send = send;
    this.#workers = Math.max(1, workers);
    this.reqStatus = status.reqStatus ?? 503;
    this.connStatus = status.connStatus ?? 503;
    this.#clock = clock;
  }

  take(zone: RateZone, key: string): boolean {
    const id = `${zone.id}\n${key}`;
    let lease = this.#rates.get(id);
    if (lease === undefined) {
      lease = new RateLease(zone, key);
      this.#rates.set(id, lease);
      this.#sweep ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
      if (this.#noCredit.delete(id)) {
        lease.lastUse = this.#clock();
        this.#ask(lease);
        return false;
      }
      // Credit: this worker's share of a full bucket (see the class comment), at most one
      // largest lease (a huge burst would otherwise be charged to the primary in one go).
      lease.tokens = Math.max(1, Math.min(MAX_CREDIT, Math.floor((zone.burst / 1000 + 1) / this.#workers)));
      lease.debt = lease.tokens;
      this.#asks.add(lease); // the credit is charged at once, not with the next ask
      this.#queueFlush();
    }
    lease.lastUse = this.#clock();
    if (lease.tokens >= 1) {
      lease.tokens--;
      lease.used++;
      if (!lease.asked && lease.tokens <= lease.lastGrant >> 1) this.#ask(lease);
      return true;
    }
    // Run dry with an ask in flight while the bucket had room to spare at the last grant: the
    // client is not near its limit, so admit on credit (charged with the ask) rather than refuse
    // for want of an IPC answer; at most one grant's worth.
    if (lease.asked && lease.full && lease.debt < lease.lastGrant) {
      lease.debt++;
      lease.used++;
      this.#asks.add(lease);
      this.#queueFlush();
      return true;
    }
    if (!lease.asked) this.#ask(lease);
    return false;
  }

  refund(zone: RateZone, key: string): void {
    const lease = this.#rates.get(`${zone.id}\n${key}`);
    if (lease !== undefined) lease.tokens++;
  }

  acquire(zone: string, key: string, limit: number): boolean {
    const id = `${zone}\n${key}`;
    let count = this.#conns.get(id);
    if (count === undefined) this.#conns.set(id, (count = new ConnCount()));
    if (count.local + count.others >= limit) return false;
    count.local++;
    this.#reportConns(id, zone, key, count.local);
    return true;
  }

  release(zone: string, key: string): void {
    const id = `${zone}\n${key}`;
    const count = this.#conns.get(id);
    if (count === undefined || count.local === 0) return;
    count.local--;
    if (count.local === 0 && count.others === 0) this.#conns.delete(id);
    this.#reportConns(id, zone, key, count.local);
  }

  /** The primary's answers. */
  receive(msg: LimitGrants): void {
    const rates = msg.rates;
    for (let i = 0; i < rates.length; i += 4) {
      const id = `${rates[i] as string}\n${rates[i + 1] as string}`;
      const lease = this.#rates.get(id);
      if (lease === undefined) continue; // forgotten meanwhile: the budget lapses
      lease.asked = false;
      const granted = rates[i + 2] as number;
      lease.full = granted >= lease.wanted && rates[i + 3] === 1;
      lease.tokens += granted;
      lease.lastGrant = Math.max(granted, leaseQuantum(lease.zone.rate));
    }
    const empty = msg.empty;
    for (let i = 0; i < empty.length; i += 2) this.#noCredit.set(`${empty[i]!}\n${empty[i + 1]!}`, this.#clock());
    if (empty.length > 0) this.#sweep ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    const conns = msg.conns;
    for (let i = 0; i < conns.length; i += 3) {
      const id = `${conns[i] as string}\n${conns[i + 1] as string}`;
      const others = conns[i + 2] as number;
      let count = this.#conns.get(id);
      if (count === undefined) {
        if (others === 0) continue;
        this.#conns.set(id, (count = new ConnCount()));
      }
      count.others = others;
      if (count.local === 0 && others === 0) this.#conns.delete(id);
    }
  }

  /** Returns budget idle for RETURN_AFTER_MS; forgets clients idle long enough. */
  sweep(): void {
    const now = this.#clock();
    for (const [id, at] of this.#noCredit) if (now - at >= RETURN_AFTER_MS) this.#noCredit.delete(id);
    for (const [id, lease] of this.#rates) {
      const idle = now - lease.lastUse;
      if (lease.tokens > 0 && idle >= RETURN_AFTER_MS) {
        lease.returned += lease.tokens;
        lease.tokens = 0;
        this.#asks.add(lease);
        this.#queueFlush();
      }
      const drainMs = ((lease.zone.burst + 1000) * 1000) / Math.max(1, lease.zone.rate);
      if (!lease.asked && lease.tokens === 0 && idle >= Math.max(FORGET_AFTER_MS, drainMs)) this.#rates.delete(id);
    }
    if (this.#rates.size === 0 && this.#noCredit.size === 0 && this.#sweep !== undefined) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  close(): void {
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  /**
   * How much to ask for: a quantum (about 20 ms of the zone's rate), or twice what this worker
   * spent since its last ask when that is more (a busy worker must not run dry while its ask is
   * on the way), within its share of a full bucket.
   */
  #want(lease: RateLease): number {
    const quantum = leaseQuantum(lease.zone.rate);
    const share = Math.max(quantum, Math.floor((lease.zone.burst / 1000 + 1) / this.#workers));
    return Math.min(share, Math.max(quantum, 2 * lease.used));
  }

  #ask(lease: RateLease): void {
    lease.asked = true;
    lease.queued = true;
    this.#asks.add(lease);
    this.#queueFlush();
  }

  #reportConns(id: string, zone: string, key: string, local: number): void {
    this.#connReports.set(id, [zone, key, local]);
    this.#queueFlush();
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(() => this.flush());
  }

  /** Sends what this turn of the event loop gathered, in one message. */
  flush(): void {
    this.#flushQueued = false;
    const rates: (string | number)[] = [];
    for (const lease of this.#asks) {
      const want = lease.queued ? this.#want(lease) : 0;
      lease.queued = false;
      if (want > 0) lease.wanted = want;
      lease.used = 0;
      rates.push(lease.zone.id, lease.key, want, lease.debt, lease.returned);
      lease.debt = 0;
      lease.returned = 0;
    }
    this.#asks.clear();
    const conns: (string | number)[] = [];
    for (const [zone, key, local] of this.#connReports.values()) conns.push(zone, key, local);
    this.#connReports.clear();
    if (rates.length > 0 || conns.length > 0) this.#send({ type: 'limits', rates, conns });
  }
}
