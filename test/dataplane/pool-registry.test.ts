import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Dispatcher, Pool } from 'undici';
import { EventEmitter } from 'node:events';
import { PoolRegistry } from '../../src/dataplane/upstream/pool-registry.ts';
import {
  MAX_RETIRE_MS, poolOptions, retireMs, upstreamReset,
} from '../../src/dataplane/upstream/pool-options.ts';
import { DEFAULT_POLICY, DEFAULT_SERVER_LIMITS, type BackendPolicy } from '../../src/routing/route-table.ts';

class FakePool extends EventEmitter {
  closed = false;
  destroyed = false;
  readonly origin: string;
  readonly options: Pool.Options;
  constructor(origin: string, options: Pool.Options) {
    super();
    this.origin = origin;
    this.options = options;
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  destroy(): Promise<void> {
    this.destroyed = true;
    return this.close();
  }
}

function registry() {
  const made: FakePool[] = [];
  const reg = new PoolRegistry({
    lazy: false,
    factory: (origin, options) => {
      const p = new FakePool(origin, options);
      made.push(p);
      return p as unknown as Dispatcher;
    },
  });
  return { reg, made };
}
const server = (host: string, port: number) => ({ host, port, ...DEFAULT_SERVER_LIMITS });

const keepalive = (over: Partial<BackendPolicy['keepalive']>): BackendPolicy => ({ ...DEFAULT_POLICY, keepalive: { ...DEFAULT_POLICY.keepalive, ...over } });

describe('PoolRegistry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shares a pool per endpoint and settings, keeps it across commits, retires removed ones', () => {
    const { reg, made } = registry();
    reg.begin();
    const p1 = reg.acquire(server('10.0.0.1', 80), DEFAULT_POLICY);
    expect(reg.acquire(server('10.0.0.1', 80), DEFAULT_POLICY)).toBe(p1);
    reg.acquire(server('10.0.0.2', 80), DEFAULT_POLICY);
    expect(reg.commit()).toBe(0);
    expect(made.map((p) => p.origin)).toEqual(['http://10.0.0.1:80', 'http://10.0.0.2:80']);

    reg.begin();
    expect(reg.acquire(server('10.0.0.1', 80), DEFAULT_POLICY)).toBe(p1);
    expect(reg.commit()).toBe(1);
    expect(made.map((p) => p.closed)).toEqual([false, false]);
    expect(reg.retiredKeys()).toHaveLength(1);
    expect(reg.stats).toMatchObject({ pools: 1, retired: 1, created: 2, closed: 0 });
  });

  it('revives a retired pool when a later table names its endpoint again (the flip-flop of issue 3)', () => {
    vi.useFakeTimers();
    const { reg, made } = registry();
    const a = server('10.0.0.1', 80);
    const b = server('10.0.0.2', 80);
    const bind = (s: typeof a) => {
      reg.begin();
      const pool = reg.acquire(s, DEFAULT_POLICY);
      reg.commit();
      return pool;
    };
    const poolA = bind(a);
    const poolB = bind(b);
    for (let i = 0; i < 100; i++) {
      vi.advanceTimersByTime(100);
      expect(bind(i % 2 === 0 ? a : b)).toBe(i % 2 === 0 ? poolA : poolB);
    }
    expect(made).toHaveLength(2);
    expect(made.some((p) => p.closed)).toBe(false);
    expect(reg.stats).toMatchObject({ pools: 1, retired: 1, created: 2, closed: 0, revived: 100 });
  });

  it('closes a retired pool gracefully once its retirement ends', () => {
    vi.useFakeTimers();
    const { reg, made } = registry();
    const policy = keepalive({ idleTimeoutMs: 5_000 });
    reg.acquire(server('10.0.0.1', 80), policy);
    reg.commit();
    reg.begin();
    reg.commit();
    vi.advanceTimersByTime(4_999);
    expect(made[0]!.closed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(made[0]!).toMatchObject({ closed: true, destroyed: false });
    expect(reg.stats).toMatchObject({ pools: 0, retired: 0, closed: 1 });
    // Gone for good: the endpoint coming back gets a new pool.
    reg.acquire(server('10.0.0.1', 80), policy);
    expect(made).toHaveLength(2);
  });

  it('closes every pool on close(), retired ones included, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const { reg, made } = registry();
    reg.acquire(server('10.0.0.1', 80), DEFAULT_POLICY);
    reg.commit();
    reg.acquire(server('10.0.0.2', 80), DEFAULT_POLICY);
    reg.commit(); // 10.0.0.1 retired
    await reg.close({ destroy: true });
    expect(made.map((p) => p.destroyed)).toEqual([true, true]);
    expect(vi.getTimerCount()).toBe(0);
    expect(reg.stats).toMatchObject({ pools: 0, retired: 0, closed: 2 });
  });

  it('gives an endpoint a new pool when its settings change', () => {
    const { reg } = registry();
    const slow: BackendPolicy = { ...DEFAULT_POLICY, timeouts: { ...DEFAULT_POLICY.timeouts, readMs: 1 } };
    const a = reg.acquire(server('10.0.0.1', 80), DEFAULT_POLICY);
    const b = reg.acquire(server('10.0.0.1', 80), slow);
    expect(b).not.toBe(a);
    const https = reg.acquire(server('10.0.0.1', 80), { ...DEFAULT_POLICY, protocol: 'HTTPS' });
    expect(https).not.toBe(a);
    expect(reg.acquire(server('10.0.0.1', 80), keepalive({ connections: 0 }))).not.toBe(a);
  });

  it('gives a new idle connection count a fresh pool (maxIdle shapes the pool, as nginx keepalive N)', () => {
    const { reg, made } = registry();
    const a = reg.acquire(server('10.0.0.1', 80), keepalive({ connections: 64 }));
    expect(reg.acquire(server('10.0.0.1', 80), keepalive({ connections: 8 }))).not.toBe(a);
    expect(made.map((m) => (m.options as { maxIdle?: number }).maxIdle)).toEqual([64, 8]);
  });

  it('brackets IPv6 origins', () => {
    const { reg, made } = registry();
    reg.acquire(server('fd00::1', 8080), DEFAULT_POLICY);
    expect(made[0]!.origin).toBe('http://[fd00::1]:8080');
  });

  it('counts upstream connections from the pools\' connect events', () => {
    const { reg, made } = registry();
    reg.acquire(server('10.0.0.1', 80), DEFAULT_POLICY);
    made[0]!.emit('connect');
    made[0]!.emit('connect');
    expect(reg.stats.connects).toBe(2);
  });
});

describe('retireMs', () => {
  it.each([
    { name: 'the keepalive idle timeout', keep: { idleTimeoutMs: 10_000 }, want: 10_000 },
    { name: 'undici\'s default idle timeout when the policy says 0', keep: { idleTimeoutMs: 0 }, want: 4_000 },
    { name: 'capped', keep: { idleTimeoutMs: 3_600_000 }, want: MAX_RETIRE_MS },
    { name: 'nothing to keep without upstream keepalive', keep: { connections: 0 }, want: 0 },
    { name: 'nothing to keep with one request per connection', keep: { requests: 1 }, want: 0 },
  ])('$name', ({ keep, want }) => {
    expect(retireMs(keepalive(keep))).toBe(want);
  });
});

describe('poolOptions', () => {
  it('maps the policy onto undici options, with no cap on concurrent connections', () => {
    expect(poolOptions(DEFAULT_POLICY, server('10.0.0.1', 80))).toMatchObject({
      connections: null,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 60_000,
      maxRequestsPerClient: 9_999, // undici closes after N + 1: see poolOptions
      clientTtl: 3_600_000,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
      connect: { timeout: 5_000 },
    });
    const off = poolOptions({ ...DEFAULT_POLICY, keepalive: { connections: 0, requests: 0, timeMs: 0, idleTimeoutMs: 0 } }, server('10.0.0.1', 80));
    expect(off).toMatchObject({ connections: null, maxRequestsPerClient: undefined, clientTtl: null });
  });

  // The pool owns every read timeout: H1Connection's native timer is precise at any value (no
  // split with a timer of the proxy's below 5 s any more).
  it.each([300, 4_999, 5_000, 60_000, 0])('timeouts.read %i ms → the same headersTimeout and bodyTimeout', (readMs) => {
    const policy: BackendPolicy = { ...DEFAULT_POLICY, timeouts: { ...DEFAULT_POLICY.timeouts, readMs } };
    expect(poolOptions(policy, server('10.0.0.1', 80))).toMatchObject({ headersTimeout: readMs, bodyTimeout: readMs });
  });
});

describe('upstreamReset', () => {
  it.each([
    { keep: { connections: 0 }, want: true },
    { keep: { requests: 1 }, want: true },
    { keep: { requests: 2 }, want: false },
    { keep: { requests: 0 }, want: false },
  ])('keepalive $keep → Connection: close on every request: $want', ({ keep, want }) => {
    expect(upstreamReset(keepalive(keep))).toBe(want);
  });
});

describe('PoolRegistry, lazy (the default)', () => {
  // Regression: the first swap of a 10,000-Ingress table created 60,000 undici Pools up front
  // (seconds of CPU, most of a gigabyte); pools now appear with their first request.
  it('creates an endpoint pool on its first request, not when a table names it', () => {
    const made: string[] = [];
    const reg = new PoolRegistry({
      factory: (origin) => {
        made.push(origin);
        return { dispatch: () => true, close: async () => {}, destroy: async () => {}, on() { return this; } } as unknown as Dispatcher;
      },
    });
    reg.begin();
    const a = reg.acquire(server('10.0.0.1', 80), DEFAULT_POLICY);
    reg.acquire(server('10.0.0.2', 80), DEFAULT_POLICY);
    reg.commit();
    expect(made).toEqual([]);
    a.dispatch({ method: 'GET', path: '/', headers: [], body: null }, {} as Dispatcher.DispatchHandler);
    a.dispatch({ method: 'GET', path: '/', headers: [], body: null }, {} as Dispatcher.DispatchHandler);
    expect(made).toEqual(['http://10.0.0.1:80']);
  });
});
