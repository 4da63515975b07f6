import { describe, expect, it } from 'vitest';
import type { Algorithm } from '../../src/routing/route-table.ts';
import { createBalancer } from '../../src/dataplane/balance/create-balancer.ts';
import { backend, ctx, seeded, server } from './servers.ts';

const N = 14_000;

/** Per-request context varying what each algorithm keys on. */
function requestContext(algorithm: Algorithm, i: number) {
  if (algorithm === 'IPHash') return ctx(`10.${(i >> 8) & 255}.${i & 255}.7`);
  if (algorithm === 'ConsistentHash') return ctx('192.0.2.1', { 'x-user': `user-${i}` });
  return ctx();
}

describe('weights are honoured', () => {
  const table: { algorithm: Algorithm; tolerance: number }[] = [
    { algorithm: 'RoundRobin', tolerance: 0.001 },
    { algorithm: 'LeastConnections', tolerance: 0.001 },
    { algorithm: 'Random', tolerance: 0.03 },
    { algorithm: 'IPHash', tolerance: 0.05 },
    { algorithm: 'ConsistentHash', tolerance: 0.05 },
  ];
  it.each(table)('$algorithm splits 4:2:1 within $tolerance', ({ algorithm, tolerance }) => {
    const servers = [server(1, { weight: 4 }), server(2, { weight: 2 }), server(3, { weight: 1 })];
    const b = createBalancer(backend(algorithm, servers, { hashKey: { source: 'Header', name: 'x-user' } }), undefined, { random: seeded(7) });
    const counts = [0, 0, 0];
    for (let i = 0; i < N; i++) {
      const index = b.pick(requestContext(algorithm, i));
      b.started(index);
      counts[index]! += 1;
      b.finished(index);
    }
    const shares = counts.map((c) => c / N);
    [4 / 7, 2 / 7, 1 / 7].forEach((want, i) => expect(Math.abs(shares[i]! - want)).toBeLessThanOrEqual(tolerance));
  });
});

describe('smooth weighted round robin', () => {
  it('interleaves 5:1:1 as nginx does (a a b a c a a)', () => {
    const b = createBalancer(backend('RoundRobin', [server(1, { weight: 5 }), server(2), server(3)]));
    const seq = Array.from({ length: 14 }, () => 'abc'[b.pick(ctx())]).join('');
    expect(seq).toBe('aabacaaaabacaa');
  });

  it('lowers a failing server\'s share gradually (effective weight)', () => {
    const fresh = createBalancer(backend('RoundRobin', [server(1, { weight: 10, maxFails: 2 }), server(2, { weight: 10, maxFails: 2 })]));
    expect(fresh.pick(ctx())).toBe(0);
    const hurt = createBalancer(backend('RoundRobin', [server(1, { weight: 10, maxFails: 2 }), server(2, { weight: 10, maxFails: 2 })]));
    hurt.failed(0, 0);
    expect(hurt.health.isDown(0, 1)).toBe(false);
    expect([hurt.pick(ctx()), hurt.pick(ctx()), hurt.pick(ctx())]).toEqual([1, 0, 1]);
  });
});

describe('least connections', () => {
  it('sends to the server with fewest in-flight requests relative to weight', () => {
    const b = createBalancer(backend('LeastConnections', [server(1, { weight: 2 }), server(2)]));
    // 0 has 3 in flight with weight 2 (1.5 each), 1 has 1 with weight 1: 1.0 < 1.5 → 1.
    for (let i = 0; i < 3; i++) b.started(0);
    b.started(1);
    expect(b.pick(ctx())).toBe(1);
    b.started(1);
    // now 3/2 < 2/1 → 0
    expect(b.pick(ctx())).toBe(0);
  });

  it('breaks ties by round robin', () => {
    const b = createBalancer(backend('LeastConnections', [server(1), server(2), server(3)]));
    expect([b.pick(ctx()), b.pick(ctx()), b.pick(ctx())].sort()).toEqual([0, 1, 2]);
  });
});

describe('random with two choices', () => {
  it('takes the less loaded of the two draws', () => {
    const b = createBalancer(backend('Random', [server(1), server(2)]), undefined, { random: seeded(1) });
    for (let i = 0; i < 5; i++) b.started(0);
    for (let i = 0; i < 50; i++) expect(b.pick(ctx())).toBe(1);
  });
});
