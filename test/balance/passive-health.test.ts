import { describe, expect, it } from 'vitest';
import type { Algorithm } from '../../src/routing/route-table.ts';
import { createBalancer } from '../../src/dataplane/balance/create-balancer.ts';
import { backend, ctx, server } from './servers.ts';

const ALGORITHMS: Algorithm[] = ['RoundRobin', 'LeastConnections', 'Random', 'IPHash', 'ConsistentHash'];
const hashKey = { source: 'ClientAddress' } as const;

function picks(b: ReturnType<typeof createBalancer>, n = 40): Set<number> {
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) seen.add(b.pick(ctx(`10.9.${i}.1`)));
  return seen;
}

describe('passive health (maxFails within failTimeout)', () => {
  const table = [
    { name: 'maxFails 1: one failure marks down', maxFails: 1, failures: [0], downAt: 5, upAt: 10_001 },
    { name: 'maxFails 3: three failures within the window', maxFails: 3, failures: [0, 100, 200], downAt: 300, upAt: 10_201 },
    { name: 'maxFails 3: failures spread beyond the window do not', maxFails: 3, failures: [0, 6_000, 12_000], downAt: undefined, upAt: 0 },
    { name: 'maxFails 0: never marked down', maxFails: 0, failures: [0, 1, 2, 3, 4], downAt: undefined, upAt: 0 },
  ];
  for (const algorithm of ALGORITHMS) {
    it.each(table)(`${algorithm}: $name`, ({ maxFails, failures, downAt, upAt }) => {
      let now = 0;
      const b = createBalancer(backend(algorithm, [server(1, { maxFails }), server(2, { maxFails })], { hashKey }), undefined, { now: () => now });
      for (const t of failures) {
        now = t;
        b.failed(0, t);
      }
      if (downAt === undefined) {
        now += 1;
        expect(b.health.isDown(0, now)).toBe(false);
        return;
      }
      now = downAt;
      expect(picks(b)).toEqual(new Set([1]));
      now = upAt;
      expect(picks(b, 200)).toContain(0);
    });
  }

  it('a success clears the failure count', () => {
    const b = createBalancer(backend('RoundRobin', [server(1, { maxFails: 2 }), server(2)]), undefined, { now: () => 50 });
    b.failed(0, 0);
    b.succeeded(0);
    b.failed(0, 10);
    expect(b.health.isDown(0, 20)).toBe(false);
  });
});

describe('backup servers', () => {
  for (const algorithm of ['RoundRobin', 'LeastConnections', 'Random'] as const) {
    it(`${algorithm}: backups serve only while every primary is down`, () => {
      let now = 0;
      const b = createBalancer(backend(algorithm, [server(1), server(2), server(3, { backup: true })]), undefined, { now: () => now });
      expect(picks(b)).toEqual(new Set([0, 1]));
      b.failed(0, now);
      expect(picks(b)).toEqual(new Set([1]));
      b.failed(1, now);
      expect(picks(b)).toEqual(new Set([2]));
      now = 10_001;
      expect(picks(b)).toEqual(new Set([0, 1]));
    });
  }

  it('a retry moves to the backup once every primary was tried', () => {
    const b = createBalancer(backend('RoundRobin', [server(1), server(2, { backup: true })]));
    expect(b.pick(ctx(), new Set([0]))).toBe(1);
    expect(b.pick(ctx(), new Set([0, 1]))).toBe(-1);
  });
});

describe('everything down', () => {
  it.each(ALGORITHMS)('%s fails open: still picks a server rather than none', (algorithm) => {
    const now = 0;
    const b = createBalancer(backend(algorithm, [server(1), server(2)], { hashKey }), undefined, { now: () => now });
    b.failed(0, now);
    b.failed(1, now);
    const index = b.pick(ctx());
    expect([0, 1]).toContain(index);
    expect(b.pick(ctx(), new Set([0, 1]))).toBe(-1);
    // The first success proves the server alive again.
    b.succeeded(index);
    expect(picks(b)).toEqual(new Set([index]));
  });

  it('an empty backend picks nothing', () => {
    expect(createBalancer(backend('RoundRobin', [])).pick(ctx())).toBe(-1);
  });
});

describe('table swaps', () => {
  it('carry health over for servers with the same host:port', () => {
    const now = 0;
    const first = createBalancer(backend('RoundRobin', [server(1), server(2)]), undefined, { now: () => now });
    first.failed(0, now);
    // Server 1 moved to index 1; server 3 is new.
    const second = createBalancer(backend('LeastConnections', [server(3), server(1), server(2)]), first, { now: () => now });
    expect(second.health.isDown(1, now)).toBe(true);
    expect(second.health.isDown(0, now)).toBe(false);
    expect(picks(second)).toEqual(new Set([0, 2]));
  });

  it('do not carry in-flight counts (requests finish on the balancer they started on)', () => {
    const first = createBalancer(backend('LeastConnections', [server(1), server(2)]));
    first.started(0);
    const second = createBalancer(backend('LeastConnections', [server(1), server(2)]), first);
    expect(second.active[0]).toBe(0);
  });
});
