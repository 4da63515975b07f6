import { createServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request, type Pool } from 'undici';
import { createStackPool, STACK_POOL_ACTIVE } from '../../src/dataplane/upstream/stack-pool.ts';
import { closeAll, deadPort, onCleanup, sleep, startBackend, type TestBackend } from './helpers.ts';

afterEach(closeAll);

/** A backend answering each request with the client port of its connection (which upstream
 * connection of the pool carried it), or holding requests until released. */
async function portBackend(hold = false): Promise<{ backend: TestBackend; held: ServerResponse[] }> {
  const held: ServerResponse[] = [];
  const backend = await startBackend('ports', (req, res) => {
    req.resume();
    if (hold) held.push(res);
    else res.end(String(req.socket.remotePort));
  });
  return { backend, held };
}

function pool(backend: TestBackend, options: Pool.Options = {}): Pool {
  const p = createStackPool(`http://127.0.0.1:${backend.port}`, { connections: null, pipelining: 1, ...options });
  onCleanup(() => p.destroy());
  return p;
}

async function get(p: Pool, path = '/'): Promise<string> {
  const res = await request(`http://x${path}`, { dispatcher: p, signal: AbortSignal.timeout(5_000) });
  return res.body.text();
}

/** Waits until `n` requests are held by the backend. */
async function heldCount(held: ServerResponse[], n: number): Promise<void> {
  for (let i = 0; i < 200 && held.length < n; i++) await sleep(10);
  expect(held.length).toBe(n);
}

describe('StackPool', () => {
  it('is active with the installed undici (its Pool hooks still exist; else pools silently fall back to the O(n) scan)', () => {
    expect(STACK_POOL_ACTIVE).toBe(true);
  });

  // undici emits a client's 'drain' (free again) a tick after the response completed, so a
  // request sent at once sees it busy (then two connections alternate, as with a plain Pool);
  // the tests below pause a little after each response.
  it('sequential requests reuse one keepalive connection', async () => {
    const { backend } = await portBackend();
    const p = pool(backend);
    const ports = new Set<string>();
    for (let i = 0; i < 10; i++) {
      ports.add(await get(p));
      await sleep(5);
    }
    expect(ports.size).toBe(1);
    expect(backend.connections).toBe(1);
  });

  it('picks the connection freed last (LIFO), not the oldest free one as undici\'s scan does', async () => {
    const { backend, held } = await portBackend(true);
    const p = pool(backend);
    const paths = ['/a', '/b', '/c'];
    const pending = paths.map((path) => request(`http://x${path}`, { dispatcher: p, signal: AbortSignal.timeout(5_000) }));
    await heldCount(held, 3);
    // Release in arrival order; each response is read completely before the next is sent.
    const order: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = held[i]!;
      order.push(res.req.socket.remotePort!);
      res.end('done');
      await (await pending[i]!).body.text();
      await sleep(10);
    }
    held.length = 0;
    const next = request('http://x/next', { dispatcher: p, signal: AbortSignal.timeout(5_000) });
    await heldCount(held, 1);
    expect(held[0]!.req.socket.remotePort).toBe(order[2]);
    held[0]!.end('done');
    await (await next).body.text();
    expect(backend.connections).toBe(3);
  });

  it('a burst beyond the free connections opens new ones (no cap), all reused by the next burst', async () => {
    const { backend, held } = await portBackend(true);
    const p = pool(backend);
    const burst = async () => {
      const pending = Array.from({ length: 6 }, (_, i) => request(`http://x/${i}`, { dispatcher: p, signal: AbortSignal.timeout(5_000) }));
      await heldCount(held, 6);
      for (const res of held.splice(0)) res.end('ok');
      for (const r of pending) await (await r).body.text();
      await sleep(20);
    };
    await burst();
    await burst();
    expect(backend.connections).toBe(6);
  });

  it('a connection older than clientTtl (keepalive.timeMs) is retired, not reused', async () => {
    const { backend } = await portBackend();
    const p = pool(backend, { clientTtl: 100 });
    const first = await get(p);
    await sleep(10);
    expect(await get(p)).toBe(first);
    await sleep(250);
    expect(await get(p)).not.toBe(first);
    expect(backend.connections).toBe(2);
  });

  it('never hands out a client the Pool dropped after a connection error, so close() still closes every upstream connection', async () => {
    const port = await deadPort();
    const p = createStackPool(`http://127.0.0.1:${port}`, { connections: null, pipelining: 1 });
    onCleanup(() => p.destroy());
    await expect(get(p)).rejects.toThrow();
    await sleep(20);
    // The endpoint comes up on the same port.
    const open = new Set<Socket>();
    const server = createServer((req, res) => {
      req.resume();
      res.end('ok');
    });
    server.on('connection', (s: Socket) => {
      open.add(s);
      s.on('close', () => open.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    onCleanup(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
    for (let i = 0; i < 3; i++) {
      expect(await get(p)).toBe('ok');
      await sleep(10);
    }
    await p.close();
    for (let i = 0; i < 100 && open.size > 0; i++) await sleep(10);
    expect(open.size).toBe(0);
  });
});
