import { describe, expect, it } from 'vitest';
import type { Dispatcher, Pool } from 'undici';
import { EventEmitter } from 'node:events';
import { PoolRegistry } from '../../src/dataplane/upstream/pool-registry.ts';
import { poolOptions } from '../../src/dataplane/upstream/pool-options.ts';
import { DEFAULT_POLICY, DEFAULT_SERVER_LIMITS, type BackendPolicy } from '../../src/routing/route-table.ts';

class FakePool extends EventEmitter {
  closed = false;
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
    return this.close();
  }
}

function registry() {
  const made: FakePool[] = [];
  const reg = new PoolRegistry({
    factory: (origin, options) => {
      const p = new FakePool(origin, options);
      made.push(p);
      return p as unknown as Dispatcher;
    },
  });
  return { reg, made };
}
const server = (host: string, port: number) => ({ host, port, ...DEFAULT_SERVER_LIMITS });

describe('PoolRegistry', () => {
  it('shares a pool per endpoint and settings, keeps it across commits, closes removed ones', () => {
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
    expect(made[0]!.closed).toBe(false);
    expect(made[1]!.closed).toBe(true);
    expect(reg.stats).toMatchObject({ pools: 1, created: 2, closed: 1 });
  });

  it('gives an endpoint a new pool when its settings change', () => {
    const { reg } = registry();
    const slow: BackendPolicy = { ...DEFAULT_POLICY, timeouts: { ...DEFAULT_POLICY.timeouts, readMs: 1 } };
    const a = reg.acquire(server('10.0.0.1', 80), DEFAULT_POLICY);
    const b = reg.acquire(server('10.0.0.1', 80), slow);
    expect(b).not.toBe(a);
    const https = reg.acquire(server('10.0.0.1', 80), { ...DEFAULT_POLICY, protocol: 'HTTPS' });
    expect(https).not.toBe(a);
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

describe('poolOptions', () => {
  it('maps the policy onto undici options', () => {
    expect(poolOptions(DEFAULT_POLICY, server('10.0.0.1', 80))).toMatchObject({
      connections: 64,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 60_000,
      maxRequestsPerClient: 10_000,
      clientTtl: 3_600_000,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
      connect: { timeout: 5_000 },
    });
    const off = poolOptions({ ...DEFAULT_POLICY, keepalive: { connections: 0, requests: 0, timeMs: 0, idleTimeoutMs: 0 } }, server('10.0.0.1', 80));
    expect(off).toMatchObject({ connections: null, maxRequestsPerClient: undefined, clientTtl: null });
  });
});
