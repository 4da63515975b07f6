import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { ServerResponse } from 'node:http';
import { DEFAULT_POLICY } from '../../src/routing/route-table.ts';
import { RawClient, backendOf, closeAll, policy, prefixRoute, sleep, startBackend, startDataplane, swapTo, tableFor, type SwapMode } from './helpers.ts';

afterEach(closeAll);

describe.each<SwapMode>(['whole', 'delta'])('table swaps (%s)', (mode) => {
  it('keeps the client connection and the upstream pools across 50 swaps', async () => {
    const a = await startBackend('a');
    const b = await startBackend('b');
    const backends = [backendOf('a', [a]), backendOf('b', [b])];
    const toA = tableFor('foo.com', backends, [prefixRoute('/', 'a')]);
    const toB = tableFor('foo.com', backends, [prefixRoute('/', 'b')]);
    const { port, dp } = await startDataplane(toA);
    const client = await RawClient.open(port);
    // Warm-up: one upstream connection each.
    expect((await client.get('foo.com')).body).toBe('backend=a');
    swapTo(dp, mode, toA, toB, 2);
    expect((await client.get('foo.com')).body).toBe('backend=b');
    const warm = { a: a.connections, b: b.connections };
    for (let g = 3; g < 53; g++) {
      const result = swapTo(dp, mode, g % 2 === 0 ? toA : toB, g % 2 === 0 ? toB : toA, g);
      expect(result).toMatchObject({ generation: g, mode });
      const res = await client.get('foo.com');
      expect(res.body).toBe(g % 2 === 0 ? 'backend=b' : 'backend=a');
      expect(res.headers['connection']).toBe('keep-alive');
    }
    expect(client.closed).toBe(false);
    expect({ a: a.connections, b: b.connections }).toEqual(warm);
    expect(dp.generation).toBe(52);
    expect(dp.stats).toMatchObject({ swaps: 52, deltaSwaps: mode === 'delta' ? 51 : 0 });
    expect(dp.pools.stats.created).toBe(2);
    expect(dp.pools.stats.closed).toBe(0);
  });

  it('flips a route between two backends that each leave the table: retired pools are revived, no new upstream connection', async () => {
    const a = await startBackend('a');
    const b = await startBackend('b');
    // As a manifest flip does: only the routed backend is in the table.
    const toA = tableFor('foo.com', [backendOf('a', [a])]);
    const toB = tableFor('foo.com', [backendOf('b', [b])]);
    const { port, dp } = await startDataplane(toA);
    const client = await RawClient.open(port);
    expect((await client.get('foo.com')).body).toBe('backend=a');
    swapTo(dp, mode, toA, toB, 2);
    expect((await client.get('foo.com')).body).toBe('backend=b');
    const warm = { a: a.connections, b: b.connections };
    for (let g = 3; g < 43; g++) {
      expect(swapTo(dp, mode, g % 2 === 0 ? toA : toB, g % 2 === 0 ? toB : toA, g).mode).toBe(mode);
      expect((await client.get('foo.com')).body).toBe(g % 2 === 0 ? 'backend=b' : 'backend=a');
    }
    expect({ a: a.connections, b: b.connections }).toEqual(warm);
    expect(dp.pools.stats).toMatchObject({ pools: 1, retired: 1, created: 2, closed: 0, revived: 40 });
  });

  it('finishes a request in flight on the table it started with; the removed pool is retired, then closed after its idle timeout', async () => {
    let release: (() => void) | undefined;
    const slow = await startBackend('slow', (req, res: ServerResponse) => {
      req.resume();
      release = () => res.end('slow done');
    });
    const other = await startBackend('other');
    const shortIdle = policy({ keepalive: { ...DEFAULT_POLICY.keepalive, idleTimeoutMs: 300 } });
    const before = tableFor('', [backendOf('slow', [slow], shortIdle)]);
    const { origin, dp } = await startDataplane(before);
    const inFlight = request(`${origin}/x`);
    while (release === undefined) await sleep(5);
    swapTo(dp, mode, before, tableFor('', [backendOf('other', [other])]), 2); // the slow endpoint is gone
    expect(dp.pools.stats).toMatchObject({ retired: 1, closed: 0 });
    const after = await request(`${origin}/y`);
    expect(await after.body.text()).toBe('backend=other');
    // Retirement outlasts the request: it still completes on the retired pool.
    await sleep(400);
    expect(dp.pools.stats).toMatchObject({ retired: 0, closed: 1 });
    release();
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('slow done');
  });

  it('shares one pool between backends naming the same endpoint', async () => {
    const a = await startBackend('a');
    const table = {
      virtualHosts: [{ host: '', routes: [prefixRoute('/one', 'one'), prefixRoute('/two', 'two')] }],
      backends: [backendOf('one', [a]), backendOf('two', [a])],
    };
    const { port, dp } = await startDataplane(table);
    const client = await RawClient.open(port);
    await client.get('x', '/one');
    await client.get('x', '/two');
    await client.get('x', '/one');
    expect(dp.pools.stats.pools).toBe(1);
    expect(a.connections).toBe(1);
  });
});

describe('drain', () => {
  it('lets in-flight requests finish, says Connection: close, closes idle connections after the grace', async () => {
    let release: (() => void) | undefined;
    const backend = await startBackend('a', (req, res) => {
      req.resume();
      if (req.url === '/slow') release = () => res.end('slow done');
      else res.end('fast');
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]));
    const busy = await RawClient.open(port);
    const active = await RawClient.open(port);
    const idle = await RawClient.open(port);
    expect((await active.get('foo.com')).headers['connection']).toBe('keep-alive');
    expect((await idle.get('foo.com')).headers['connection']).toBe('keep-alive');
    busy.send('GET /slow HTTP/1.1\r\nHost: foo.com\r\n\r\n');
    while (release === undefined) await sleep(5);

    let drained = false;
    const draining = dp.drain(400).then(() => (drained = true));
    await sleep(50);
    // New connections are refused...
    await expect(RawClient.open(port)).rejects.toThrow();
    // ...a keepalive client's next request is answered, with Connection: close.
    const next = await active.get('foo.com');
    expect(next.body).toBe('fast');
    expect(next.headers['connection']).toBe('close');
    expect(await active.waitClosed(1000)).toBe(true);
    // The in-flight request finishes (and closes its connection).
    release();
    const slow = await busy.response();
    expect(slow.body).toBe('slow done');
    expect(slow.headers['connection']).toBe('close');
    // The idle one is closed only after the grace period.
    expect(idle.closed).toBe(false);
    expect(await idle.waitClosed(2000)).toBe(true);
    await draining;
    expect(drained).toBe(true);
  });
});
