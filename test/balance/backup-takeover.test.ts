import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamServer } from '../../src/routing/route-table.ts';
import { createBalancer } from '../../src/dataplane/balance/create-balancer.ts';
import type { BaseBalancer } from '../../src/dataplane/balance/base-balancer.ts';
import { backend, ctx } from './servers.ts';

/**
 * Passive health and backup takeover against real sockets: a minimal client loop that does
 * what the proxy does with a balancer (pick, try, report failure/success, retry elsewhere).
 */
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function listen(name: string, port = 0): Promise<Server> {
  const srv = createServer((_req, res) => res.end(name));
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', resolve);
  });
  cleanup.push(() => close(srv));
  return srv;
}

function close(srv: Server): Promise<void> {
  srv.closeAllConnections();
  return new Promise((r) => srv.close(() => r()));
}

const upstream = (srv: Server, over: Partial<UpstreamServer> = {}): UpstreamServer => ({
  host: '127.0.0.1', port: (srv.address() as AddressInfo).port, weight: 1, backup: false, maxFails: 1, failTimeoutMs: 1_000, ...over,
});

/** One proxied request: up to 3 tries on different servers. Returns the body or 'error'. */
async function proxy(balancer: BaseBalancer, agent: Agent, stats: { failures: number }): Promise<string> {
  const tried = new Set<number>();
  for (let attempt = 0; attempt < 3; attempt++) {
    const index = balancer.pick(ctx(), tried);
    if (index < 0) break;
    tried.add(index);
    const s = balancer.servers[index]!;
    balancer.started(index);
    try {
      const res = await request(`http://${s.host}:${s.port}/`, { dispatcher: agent });
      const body = await res.body.text();
      balancer.succeeded(index);
      return body;
    } catch {
      stats.failures += 1;
      balancer.failed(index, Date.now());
    } finally {
      balancer.finished(index);
    }
  }
  return 'error';
}

describe('backup takeover with real failing sockets', () => {
  it('moves to the backup when every primary fails, and back once failTimeout passed', async () => {
    const a = await listen('a');
    const b = await listen('b');
    const spare = await listen('backup');
    const servers = [upstream(a), upstream(b), upstream(spare, { backup: true })];
    const balancer = createBalancer(backend('RoundRobin', servers));
    const agent = new Agent({ keepAliveTimeout: 10 });
    cleanup.push(() => agent.close());
    const stats = { failures: 0 };

    const first = await Promise.all(Array.from({ length: 6 }, () => proxy(balancer, agent, stats)));
    expect(new Set(first)).toEqual(new Set(['a', 'b']));

    await close(a);
    await close(b);
    const during: string[] = [];
    for (let i = 0; i < 20; i++) during.push(await proxy(balancer, agent, stats));
    // Every request still succeeds; each primary costs one failed try before it is marked down.
    expect(new Set(during)).toEqual(new Set(['backup']));
    expect(stats.failures).toBe(2);

    // The primaries come back on the same ports; after failTimeout they take traffic again.
    await listen('a', servers[0]!.port);
    await listen('b', servers[1]!.port);
    await new Promise((r) => setTimeout(r, 1_050));
    const after = await Promise.all(Array.from({ length: 6 }, () => proxy(balancer, agent, stats)));
    expect(new Set(after)).toEqual(new Set(['a', 'b']));
  });
});
