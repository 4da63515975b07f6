import { afterEach, describe, expect, it } from 'vitest';
import { LeakyBucket, nginxRate } from '../../src/dataplane/limits/leaky-bucket.ts';
import { LeasedLimiter } from '../../src/dataplane/limits/leased-limiter.ts';
import type { RateZone } from '../../src/dataplane/limits/limiter.ts';
import { LocalLimiter } from '../../src/dataplane/limits/local-limiter.ts';
import { policyZones } from '../../src/dataplane/limits/rate-zones.ts';
import { LimitBroker } from '../../src/supervisor/limit-broker.ts';
import type { RouteTable } from '../../src/routing/route-table.ts';

describe('LeakyBucket (nginx limit_req arithmetic)', () => {
  it('rate 10r/s burst 5 nodelay: 6 at once, then one per 100 ms', () => {
    const b = new LeakyBucket();
    const rate = nginxRate(10, 's');
    const burst = 5 * 1000;
    const at0 = Array.from({ length: 8 }, () => b.take(rate, burst, 1_000));
    expect(at0).toEqual([true, true, true, true, true, true, false, false]);
    expect(b.take(rate, burst, 1_099)).toBe(false);
    expect(b.take(rate, burst, 1_100)).toBe(true);
    expect(b.take(rate, burst, 1_100)).toBe(false);
  });

  it('burst 0: exactly the rate, nothing at once', () => {
    const b = new LeakyBucket();
    const rate = nginxRate(2, 's');
    expect(b.take(rate, 0, 0)).toBe(true);
    expect(b.take(rate, 0, 0)).toBe(false);
    expect(b.take(rate, 0, 499)).toBe(false);
    expect(b.take(rate, 0, 500)).toBe(true);
  });

  it('r/m: nginx truncates the per-second rate (10r/m → 166)', () => {
    expect(nginxRate(10, 'm')).toBe(166);
    expect(policyZones({ zone: 'ns/web', rps: 3, rpm: 60, burstMultiplier: 5 })).toEqual([
      { id: 'ns/web#rps', rate: 3_000, burst: 15_000 }, { id: 'ns/web#rpm', rate: 1_000, burst: 300_000 },
    ]);
  });

  it('idle: a drained bucket behaves as a new node and can be forgotten', () => {
    const b = new LeakyBucket();
    const rate = nginxRate(10, 's');
    b.take(rate, 5_000, 0);
    b.take(rate, 5_000, 0);
    expect(b.idle(rate, 50)).toBe(false);
    expect(b.idle(rate, 200)).toBe(true);
  });
});

describe('LocalLimiter', () => {
  it('connections: at most `limit` in progress per key; release frees one', () => {
    const l = new LocalLimiter();
    expect([l.acquire('z', 'a', 2), l.acquire('z', 'a', 2), l.acquire('z', 'a', 2), l.acquire('z', 'b', 2)]).toEqual([true, true, false, true]);
    l.release('z', 'a');
    expect(l.acquire('z', 'a', 2)).toBe(true);
  });
});

/** A primary and `n` workers wired in-process; messages cross on the next turn (like IPC). */
function pod(n: number, zone: RateZone) {
  const table: RouteTable = {
    virtualHosts: [{ host: 'a', routes: [{ path: '/', pathType: 'Prefix', backend: 'b', origin: 'default/web', policies: [{ kind: 'rate-limit', zone: zone.id.split('#')[0]!, rps: zone.rate / 1000, rpm: 0, connections: 0, burstMultiplier: zone.burst / zone.rate, allow: [] }] }] }],
    backends: [],
  };
  const workers: LeasedLimiter[] = [];
  const broker = new LimitBroker((id, msg) => setImmediate(() => workers[id]!.receive(msg)));
  broker.update(table);
  for (let i = 0; i < n; i++) {
    const id = i;
    broker.join(id);
    workers.push(new LeasedLimiter((msg) => setImmediate(() => broker.receive(id, msg)), n));
  }
  return { broker, workers, close: () => { broker.close(); for (const w of workers) w.close(); } };
}

describe('LeasedLimiter + LimitBroker (pod-wide budgets)', () => {
  let closeAll: (() => void) | undefined;
  afterEach(() => closeAll?.());

  it('a client at 2× the rate, spread over 2 workers, gets the configured rate through (±15 %)', async () => {
    const [zone] = policyZones({ zone: 'default/web', rps: 50, rpm: 0, burstMultiplier: 1 });
    const p = pod(2, zone!);
    closeAll = p.close;
    let admitted = 0;
    const seconds = 1.5;
    const started = performance.now();
    for (let i = 0; i < 100 * seconds; i++) {
      const wait = started + i * 10 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (p.workers[i % 2]!.take(zone!, '10.0.0.1')) admitted++;
    }
    const expected = 51 + 50 * seconds;
    expect(admitted).toBeGreaterThanOrEqual(expected * 0.85);
    expect(admitted).toBeLessThanOrEqual(expected * 1.15);
  }, 10_000);

  it('first requests on every worker at once add up to one full bucket, not one per worker', async () => {
    const [zone] = policyZones({ zone: 'default/web', rps: 1, rpm: 0, burstMultiplier: 3 });
    const p = pod(2, zone!);
    closeAll = p.close;
    let admitted = 0;
    for (let i = 0; i < 20; i++) if (p.workers[i % 2]!.take(zone!, 'c')) admitted++;
    expect(admitted).toBe(4); // burst 3 + 1, as nginx, though no budget was leased yet
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 20; i++) if (p.workers[i % 2]!.take(zone!, 'c')) admitted++;
    expect(admitted).toBe(4);
  });

  it('a worker that has not seen an over-limit client gives it no credit', async () => {
    const [zone] = policyZones({ zone: 'default/web', rps: 1, rpm: 0, burstMultiplier: 1 });
    const p = pod(2, zone!);
    closeAll = p.close;
    expect([p.workers[0]!.take(zone!, 'c'), p.workers[0]!.take(zone!, 'c')]).toEqual([true, false]);
    await new Promise((r) => setTimeout(r, 60)); // the grant of the second token arrives (after a tick: the client is new)
    expect([p.workers[0]!.take(zone!, 'c'), p.workers[0]!.take(zone!, 'c')]).toEqual([true, false]);
    await new Promise((r) => setTimeout(r, 60)); // the primary parks the ask and tells worker 1
    expect(p.workers[1]!.take(zone!, 'c')).toBe(false);
  });

  it('connections: counted pod-wide across workers', async () => {
    const [zone] = policyZones({ zone: 'default/web', rps: 1, rpm: 0, burstMultiplier: 1 });
    const p = pod(2, zone!);
    closeAll = p.close;
    const [a, b] = p.workers as [LeasedLimiter, LeasedLimiter];
    expect(a.acquire('z', 'c', 2)).toBe(true);
    expect(b.acquire('z', 'c', 2)).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(a.acquire('z', 'c', 2)).toBe(false);
    expect(b.acquire('z', 'c', 2)).toBe(false);
    a.release('z', 'c');
    await new Promise((r) => setTimeout(r, 20));
    expect(b.acquire('z', 'c', 2)).toBe(true);
  });

  it('a worker that leaves takes its requests in progress with it', async () => {
    const [zone] = policyZones({ zone: 'default/web', rps: 1, rpm: 0, burstMultiplier: 1 });
    const p = pod(2, zone!);
    closeAll = p.close;
    const [a, b] = p.workers as [LeasedLimiter, LeasedLimiter];
    expect(a.acquire('z', 'c', 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(b.acquire('z', 'c', 1)).toBe(false);
    p.broker.leave(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(b.acquire('z', 'c', 1)).toBe(true);
  });
});
