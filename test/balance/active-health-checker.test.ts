import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, UpstreamServer } from '../../src/routing/route-table.ts';
import { createBalancer } from '../../src/dataplane/balance/create-balancer.ts';
import { ActiveHealthChecker } from '../../src/dataplane/health/active-health-checker.ts';
import { backend, ctx } from './servers.ts';

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

/** A real backend whose /healthz answers `status()`; counts checks. */
async function healthServer(status: () => number): Promise<{ server: UpstreamServer; checks: () => number }> {
  let checks = 0;
  const srv: Server = createServer((req, res) => {
    if (req.url === '/healthz') checks += 1;
    res.statusCode = req.url === '/healthz' ? status() : 404;
    res.end('ok');
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  opened.push({ close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r(undefined)); }) });
  const { port } = srv.address() as AddressInfo;
  return { server: { host: '127.0.0.1', port, weight: 1, backup: false, maxFails: 1, failTimeoutMs: 10_000 }, checks: () => checks };
}

function checked(servers: UpstreamServer[], healthyThreshold = 2, unhealthyThreshold = 2, timeoutMs = 1_000): Backend {
  return backend('RoundRobin', servers, { healthCheck: { path: '/healthz', intervalMs: 50, timeoutMs, healthyThreshold, unhealthyThreshold } });
}

async function until(condition: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('active health checks against real servers', () => {
  it('marks a server down after unhealthyThreshold failures and back after healthyThreshold passes', async () => {
    let status = 200;
    const a = await healthServer(() => status);
    const b = await healthServer(() => 200);
    const be = checked([a.server, b.server]);
    const balancer = createBalancer(be);
    const flips: boolean[] = [];
    const checker = new ActiveHealthChecker(be, balancer, { onChange: (s, healthy) => { if (s.port === a.server.port) flips.push(healthy); } });
    opened.push({ close: () => checker.stop() });
    checker.start();
    await until(() => a.checks() >= 2);
    expect(balancer.health.isDown(0, Date.now())).toBe(false);

    status = 500;
    await until(() => flips.length === 1);
    expect(flips).toEqual([false]);
    expect(checker.healthy(a.server)).toBe(false);
    expect(new Set(Array.from({ length: 10 }, () => balancer.pick(ctx())))).toEqual(new Set([1]));

    status = 204;
    await until(() => flips.length === 2);
    expect(flips).toEqual([false, true]);
    expect(new Set(Array.from({ length: 10 }, () => balancer.pick(ctx())))).toEqual(new Set([0, 1]));
  });

  it('counts a connection refused or a timeout as a failure', async () => {
    const dead = await healthServer(() => 200);
    const deadServer = dead.server;
    await opened.pop()!.close(); // the port is now closed
    const slow = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    opened.push({ close: () => new Promise((r) => { slow.closeAllConnections(); slow.close(() => r(undefined)); }) });
    const slowServer = { ...deadServer, port: (slow.address() as AddressInfo).port };
    const be = checked([deadServer, slowServer], 1, 1, 100);
    const balancer = createBalancer(be);
    const checker = new ActiveHealthChecker(be, balancer);
    opened.push({ close: () => checker.stop() });
    checker.start();
    await until(() => !checker.healthy(deadServer) && !checker.healthy(slowServer));
    expect(balancer.health.isDown(0, Date.now()) && balancer.health.isDown(1, Date.now())).toBe(true);
  });

  it('keeps verdicts across a table swap and applies them to the new balancer', async () => {
    const a = await healthServer(() => 503);
    const b = await healthServer(() => 200);
    const first = checked([a.server, b.server], 1, 1);
    const balancer = createBalancer(first);
    const checker = new ActiveHealthChecker(first, balancer);
    opened.push({ close: () => checker.stop() });
    checker.start();
    await until(() => !checker.healthy(a.server));
    const second = checked([b.server, a.server], 1, 1);
    const next = createBalancer(second);
    checker.update(second, next);
    expect(next.health.isDown(1, Date.now())).toBe(true);
    expect(next.health.isDown(0, Date.now())).toBe(false);
  });

  it('stops probing after stop()', async () => {
    const a = await healthServer(() => 200);
    const be = checked([a.server]);
    const checker = new ActiveHealthChecker(be, createBalancer(be));
    checker.start();
    await until(() => a.checks() >= 1);
    await checker.stop();
    const seen = a.checks();
    await new Promise((r) => setTimeout(r, 150));
    expect(a.checks()).toBe(seen);
  });
});
