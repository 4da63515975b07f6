import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import {
  RawClient, backendOf, closeAll, closeNet, deadPort, onCleanup, policy, sleep, startBackend, startDataplane, tableFor,
} from './helpers.ts';

afterEach(closeAll);

/**
 * A raw `net` backend speaking just enough HTTP/1.1 (GET/HEAD without body) that closes every
 * connection after `idleMs` without a request, and never says so (no Keep-Alive header): the
 * Tomcat-with-a-short-keepalive case. A request arriving on a connection idle for
 * `crossedAfterMs` or more is treated as having crossed the close on the wire: the connection
 * is dropped without an answer (on loopback the real race window is too small to hit at will).
 */
async function startIdleClosingBackend(idleMs: number, crossedAfterMs: number) {
  const sockets = new Set<Socket>();
  const stats = { connections: 0, answered: 0, crossed: 0 };
  const server = createNetServer((socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let idleSince = Date.now();
    let timer = setTimeout(() => socket.destroy(), idleMs);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      let end;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        buffered = buffered.slice(end + 4);
        clearTimeout(timer);
        if (Date.now() - idleSince >= crossedAfterMs) {
          stats.crossed++;
          socket.destroy();
          return;
        }
        stats.answered++;
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok');
        idleSince = Date.now();
        timer = setTimeout(() => socket.destroy(), idleMs);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => closeNet(server, sockets));
  return { host: '127.0.0.1', port: (server.address() as AddressInfo).port, stats };
}

describe('upstream keepalive race', () => {
  // `crossed`: requests reaching a connection about to close are dropped unanswered, forcing
  // the race on every near miss. `plain`: only the real timer (the race is rarer on loopback).
  it.each([
    // 250 ms: a 50 ms window before the close, wide enough to be hit on a loaded machine too.
    { variant: 'crossed', crossedAfterMs: 250 },
    { variant: 'plain', crossedAfterMs: Infinity },
  ])('a backend closing idle connections after ~300 ms without Keep-Alive causes zero client errors ($variant)', async ({ variant, crossedAfterMs }) => {
    const backend = await startIdleClosingBackend(300, crossedAfterMs);
    const { origin, dp } = await startDataplane(tableFor('', [backendOf('tomcat', [backend])]));
    const clients = 10;
    const perClient = 30;
    let ok = 0;
    const failures: string[] = [];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 1 });
        onCleanup(() => dispatcher.close());
        for (let i = 0; i < perClient && Date.now() - started < 25_000; i++) {
          // Pace around the backend's idle time, so Pier keeps reusing connections right as
          // the backend gives up on them.
          await sleep(270 + ((c * 7 + i * 13) % 40));
          try {
            const res = await request(`${origin}/r/${c}/${i}`, { dispatcher });
            const body = await res.body.text();
            if (res.statusCode === 200 && body === 'ok') ok++;
            else failures.push(`${res.statusCode} ${body.trim()}`);
          } catch (err) {
            failures.push(String(err));
          }
        }
      }),
    );
    console.log(
      `idle-close race (${variant}): ${ok} ok, ${failures.length} failed, ${dp.stats.retries} retries, ` +
      `${backend.stats.connections} upstream connections opened, ${backend.stats.crossed} crossed closes`,
    );
    expect(failures).toEqual([]);
    expect(ok).toBe(clients * perClient);
    if (variant === 'crossed') {
      expect(backend.stats.crossed).toBeGreaterThan(0); // the race really happened...
      // ...and every instance was retried (plus any the real close timer caused on its own).
      expect(dp.stats.retries).toBeGreaterThanOrEqual(backend.stats.crossed);
    }
  }, 40_000);
});

describe('retry rules', () => {
  it('retries a connect failure on another server, for any method', async () => {
    const good = await startBackend('good');
    const dead = { host: '127.0.0.1', port: await deadPort() };
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('b', [dead, good])]));
    const client = await RawClient.open(port);
    for (let i = 0; i < 4; i++) {
      client.send('POST /p HTTP/1.1\r\nHost: foo.com\r\nContent-Length: 3\r\n\r\nabc');
      const res = await client.response();
      expect(res.status).toBe(200);
      expect(res.body).toBe('backend=good');
    }
    expect(good.seen).toHaveLength(4);
    // The first try that hits the dead server is retried; passive health (maxFails 1) may then
    // keep the balancer off it, so later requests need no retry at all.
    expect(dp.stats.retries).toBeGreaterThanOrEqual(1);
    expect(dp.stats.errors[502]).toBe(0);
  });

  it('retries a reset for GET (up to retries.attempts) but never for POST', async () => {
    let hits = 0;
    const rude = await startBackend('rude', (req) => {
      hits++;
      req.socket.destroy();
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('b', [rude], policy({ retries: { attempts: 2, on: ['connect-failure', 'reset'], nonIdempotent: false } }))]));
    const client = await RawClient.open(port);
    expect((await client.get('foo.com')).status).toBe(502);
    expect(hits).toBe(3);
    hits = 0;
    client.send('POST / HTTP/1.1\r\nHost: foo.com\r\nContent-Length: 0\r\n\r\n');
    expect((await client.response()).status).toBe(502);
    expect(hits).toBe(1);
  });

  it('never retries once the response started streaming to the client', async () => {
    let hits = 0;
    const half = await startBackend('half', (req, res) => {
      hits++;
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const { origin, dp } = await startDataplane(tableFor('', [backendOf('b', [half])]));
    const res = await request(`${origin}/`);
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toThrow();
    expect(hits).toBe(1);
    expect(dp.stats.upstreamAborts).toBe(1);
  });

  it('does not retry when the policy has no attempts', async () => {
    let hits = 0;
    const rude = await startBackend('rude', (req) => {
      hits++;
      req.socket.destroy();
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('b', [rude], policy({ retries: { attempts: 0, on: ['reset'], nonIdempotent: false } }))]));
    const client = await RawClient.open(port);
    expect((await client.get('foo.com')).status).toBe(502);
    expect(hits).toBe(1);
  });
});

describe('retry on upstream status', () => {
  const on503 = policy({ retries: { attempts: 1, on: ['connect-failure', 'reset', '503'], nonIdempotent: false } });

  it('tries another server when one answers a status listed in retries.on', async () => {
    const busy = await startBackend('busy', (req, res) => {
      req.resume();
      res.writeHead(503, { 'content-length': '4' }).end('busy');
    });
    const good = await startBackend('good');
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('b', [busy, good], on503)]));
    const client = await RawClient.open(port);
    for (let i = 0; i < 4; i++) expect((await client.get('foo.com')).body).toBe('backend=good');
    expect(dp.stats.retries).toBeGreaterThanOrEqual(1);
  });

  it('relays the last answer as it is when the attempts run out, and never retries POST', async () => {
    let hits = 0;
    const busy = await startBackend('busy', (req, res) => {
      hits++;
      req.resume();
      res.writeHead(503, { 'content-length': '4' }).end('busy');
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('b', [busy], on503)]));
    const client = await RawClient.open(port);
    const res = await client.get('foo.com');
    expect([res.status, res.body, hits]).toEqual([503, 'busy', 2]);
    client.send('POST / HTTP/1.1\r\nHost: foo.com\r\nContent-Length: 0\r\n\r\n');
    const post = await client.response();
    expect([post.status, post.body, hits]).toEqual([503, 'busy', 3]);
  });
});

describe('retries that go back to a server', () => {
  it('retries the idle-close race (a reused connection closed unanswered) without using up a try, at once', async () => {
    // The backend answers the first request of each connection, then drops the connection at the
    // next request as if its idle timeout crossed it on the wire.
    const served = new WeakMap<object, number>();
    const arrivals: number[] = [];
    const flaky = await startBackend('flaky', (req, res) => {
      arrivals.push(performance.now());
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1) {
        req.socket.destroy();
        return;
      }
      req.resume();
      res.end('fresh');
    });
    const none = policy({ retries: { attempts: 0, on: ['reset'], nonIdempotent: false } });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('b', [flaky], none)]));
    const client = await RawClient.open(port);
    expect((await client.get('foo.com')).body).toBe('fresh');
    // attempts 0: any other failure would be a 502 (previous test); the race is retried anyway,
    // on a fresh connection.
    const res = await client.get('foo.com');
    expect([res.status, res.body]).toEqual([200, 'fresh']);
    expect(flaky.seen).toHaveLength(3);
    expect(dp.stats.retries).toBe(1);
    // A POST on a reused connection is still not retried (it may have run).
    client.send('POST / HTTP/1.1\r\nHost: foo.com\r\nContent-Length: 0\r\n\r\n');
    expect((await client.response()).status).toBe(502);
    expect(flaky.seen).toHaveLength(4);
    expect(arrivals).toHaveLength(4);
  });

  it('waits a growing back-off before trying the only server again after it reset a fresh connection', async () => {
    const arrivals: number[] = [];
    const restarting = await startBackend('restarting', (req, res) => {
      arrivals.push(performance.now());
      if (arrivals.length <= 2) {
        req.socket.destroy();
        return;
      }
      req.resume();
      res.end('back');
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('b', [restarting], policy({ retries: { attempts: 2, on: ['reset'], nonIdempotent: false } }))]));
    const client = await RawClient.open(port);
    const res = await client.get('foo.com');
    expect([res.status, res.body]).toEqual([200, 'back']);
    expect(dp.stats.retries).toBe(2);
    // Back-offs of 12.5–25 ms, then 25–50 ms (timers may round down a millisecond).
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(11);
    expect(arrivals[2]! - arrivals[1]!).toBeGreaterThanOrEqual(24);
  });

  it('answers at once rather than back off past proxy-next-upstream-timeout', async () => {
    let hits = 0;
    const rude = await startBackend('rude', (req) => {
      hits++;
      req.socket.destroy();
    });
    const bounded = policy({ retries: { attempts: 2, on: ['reset'], nonIdempotent: false, timeoutMs: 10 } });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('b', [rude], bounded)]));
    const client = await RawClient.open(port);
    expect((await client.get('foo.com')).status).toBe(502);
    expect(hits).toBe(1);
  });
});
