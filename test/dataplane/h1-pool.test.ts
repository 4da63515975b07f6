import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyFailure, isKeepaliveRace } from '../../src/dataplane/upstream/upstream-failure.ts';
import { h1Pool, headDone, rawPeer, Recorder, send } from './h1-pool-helpers.ts';
import { closeAll, deadPort, sleep, startBackend, type TestBackend } from './helpers.ts';

afterEach(closeAll);

/** A backend answering each request with the client port of its connection (which upstream
 * connection carried it), or holding requests until released. */
async function portBackend(hold = false): Promise<{ backend: TestBackend; held: ServerResponse[] }> {
  const held: ServerResponse[] = [];
  const backend = await startBackend('ports', (req, res) => {
    req.resume();
    if (hold) held.push(res);
    else res.end(String(req.socket.remotePort));
  });
  return { backend, held };
}

async function heldCount(held: ServerResponse[], n: number): Promise<void> {
  for (let i = 0; i < 200 && held.length < n; i++) await sleep(10);
  expect(held.length).toBe(n);
}

const text = async (p: Promise<{ body: Buffer }>): Promise<string> => (await p).body.toString();

describe('H1Pool connections', () => {
  it('carries N sequential requests on one keepalive connection (no pause needed between them)', async () => {
    const { backend } = await portBackend();
    const p = h1Pool(backend.port);
    const ports = new Set<string>();
    for (let i = 0; i < 10; i++) ports.add(await text(send(p)));
    expect(ports.size).toBe(1);
    expect(backend.connections).toBe(1);
    expect(backend.seen.every((r) => r.headers.connection === 'keep-alive')).toBe(true);
  });

  it('picks the connection freed last (LIFO)', async () => {
    const { backend, held } = await portBackend(true);
    const p = h1Pool(backend.port);
    const pending = ['/a', '/b', '/c'].map((path) => send(p, { path }));
    await heldCount(held, 3);
    const order: number[] = [];
    for (let i = 0; i < 3; i++) {
      order.push(held[i]!.req.socket.remotePort!);
      held[i]!.end('done');
      await pending[i];
    }
    held.length = 0;
    const next = send(p, { path: '/next' });
    await heldCount(held, 1);
    expect(held[0]!.req.socket.remotePort).toBe(order[2]);
    held[0]!.end('done');
    await next;
    expect(backend.connections).toBe(3);
  });

  it('a burst beyond the free connections opens new ones (no cap), all reused by the next burst', async () => {
    const { backend, held } = await portBackend(true);
    const p = h1Pool(backend.port);
    for (let round = 0; round < 2; round++) {
      const pending = Array.from({ length: 6 }, (_, i) => send(p, { path: `/${i}` }));
      await heldCount(held, 6);
      for (const res of held.splice(0)) res.end('ok');
      for (const r of pending) expect((await r).status).toBe(200);
    }
    expect(backend.connections).toBe(6);
    expect(p.free).toBe(6);
  });

  it('maxIdle N (nginx keepalive N): after a burst of 6, the 2 most recently freed stay open, the rest close', async () => {
    const { backend, held } = await portBackend(true);
    const p = h1Pool(backend.port, { maxIdle: 2 });
    const open = new Set<number>();
    backend.server.on('connection', (s) => {
      open.add(s.remotePort!);
      s.on('close', () => open.delete(s.remotePort!));
    });
    const pending = Array.from({ length: 6 }, (_, i) => send(p, { path: `/${i}` }));
    await heldCount(held, 6);
    const freedLast = [held[4]!.req.socket.remotePort!, held[5]!.req.socket.remotePort!];
    for (const res of held.splice(0)) {
      res.end('ok');
      await sleep(5); // freed in this order
    }
    for (const r of pending) expect((await r).status).toBe(200);
    for (let i = 0; i < 100 && open.size > 2; i++) await sleep(10);
    expect([...open].sort()).toEqual([...freedLast].sort());
    expect(p.free).toBe(2);
    // The next request reuses one of the kept connections.
    const next = send(p, { path: '/next' });
    await heldCount(held, 1);
    expect(freedLast).toContain(held[0]!.req.socket.remotePort);
    held[0]!.end('ok');
    await next;
    expect(backend.connections).toBe(6);
  });

  it('reset: true sends connection: close and never reuses the connection', async () => {
    const { backend } = await portBackend();
    const p = h1Pool(backend.port);
    for (let i = 0; i < 3; i++) await send(p, { reset: true });
    expect(backend.seen.map((r) => r.headers.connection)).toEqual(['close', 'close', 'close']);
    expect(backend.connections).toBe(3);
  });

  it('maxRequestsPerClient M: the backend sees M + 1 requests per connection, the last with connection: close', async () => {
    const { backend } = await portBackend();
    const p = h1Pool(backend.port, { maxRequestsPerClient: 2 });
    const ports: string[] = [];
    for (let i = 0; i < 6; i++) ports.push(await text(send(p)));
    expect(backend.connections).toBe(2);
    expect(new Set(ports.slice(0, 3)).size).toBe(1);
    expect(ports[3]).not.toBe(ports[0]);
    expect(backend.seen.map((r) => r.headers.connection)).toEqual(['keep-alive', 'keep-alive', 'close', 'keep-alive', 'keep-alive', 'close']);
  });

  it('a connection older than clientTtl is not reused', async () => {
    const { backend } = await portBackend();
    const p = h1Pool(backend.port, { clientTtl: 150 });
    const first = await text(send(p));
    expect(await text(send(p))).toBe(first);
    await sleep(250);
    expect(await text(send(p))).not.toBe(first);
    expect(backend.connections).toBe(2);
  });

  it.each([
    // node:http announces Keep-Alive: timeout=30; keepAliveMaxTimeout caps it (as poolOptions does).
    { name: 'keepAliveTimeout 200 ms', options: { keepAliveTimeout: 200, keepAliveMaxTimeout: 200 }, keepAlive: undefined, stillWarm: 100, cold: 400 },
    // timeout=1 s minus a 500 ms threshold: 500 ms, although the pool's own timeout is 10 s.
    { name: 'Keep-Alive: timeout=1 lowers it', options: { keepAliveTimeout: 10_000, keepAliveMaxTimeout: 10_000, keepAliveTimeoutThreshold: 500 }, keepAlive: 'timeout=1', stillWarm: 250, cold: 750 },
  ])('idle connections close after the idle timeout: $name', async ({ options, keepAlive, stillWarm, cold }) => {
    const backend = await startBackend('idle', (req, res) => {
      req.resume();
      if (keepAlive !== undefined) res.setHeader('keep-alive', keepAlive);
      res.end(String(req.socket.remotePort));
    });
    const p = h1Pool(backend.port, options);
    const first = await text(send(p));
    await sleep(stillWarm);
    expect(await text(send(p))).toBe(first);
    await sleep(cold);
    expect(p.connections).toBe(0);
    expect(await text(send(p))).not.toBe(first);
  });

  it('drops a free connection the peer closed: the next request succeeds on a new one, without an error', async () => {
    const backend = await startBackend('closer', (req, res) => {
      req.resume();
      res.end(String(req.socket.remotePort));
    });
    backend.server.keepAliveTimeout = 100;
    const p = h1Pool(backend.port);
    const first = await text(send(p));
    await sleep(300);
    expect(p.free).toBe(0);
    const second = await send(p);
    expect(second.error).toBeNull();
    expect(second.body.toString()).not.toBe(first);
  });

  it('a free connection that receives stray bytes is closed at once', async () => {
    const peer = await rawPeer((socket, received) => {
      if (!headDone(received)) return;
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\n'), 30);
    });
    const p = h1Pool(peer.port);
    expect((await send(p)).body.toString()).toBe('ok');
    for (let i = 0; i < 50 && p.connections > 0; i++) await sleep(10);
    expect(p.connections).toBe(0);
  });

  it('a reused connection closed unanswered (keepalive race) drops the older free ones before the caller retries', async () => {
    let dropping = false;
    const peer = await rawPeer((socket, received) => {
      if (!received.endsWith('\r\n\r\n')) return;
      if (dropping) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
    const p = h1Pool(peer.port);
    await Promise.all([send(p), send(p), send(p)]);
    expect(p.free).toBe(3);
    dropping = true;
    let freeAtError = -1;
    const recorder = new Recorder();
    const onError = recorder.onError.bind(recorder);
    recorder.onError = (err) => {
      freeAtError = p.free; // what a synchronous retry would find
      onError(err);
    };
    const out = await send(p, {}, recorder);
    expect(out.error?.code).toBe('UND_ERR_SOCKET');
    expect(isKeepaliveRace(out.error)).toBe(true);
    expect(freeAtError).toBe(0);
    // A fresh connection closed unanswered is the server's doing, not the race.
    const fresh = await send(p);
    expect(fresh.error?.code).toBe('UND_ERR_SOCKET');
    expect(isKeepaliveRace(fresh.error)).toBe(false);
  });

  it('connections closed but not yet gone when a retry walks past them still leave the idle count: maxIdle keeps holding its N', async () => {
    // The retry runs in the same tick as the keepalive race that closed the older free
    // connections, before their sockets report 'close': the pool must not go on counting them
    // as idle, or every later freed connection is over maxIdle and closes (a new connection per
    // request from then on, as seen after a backend reload).
    let dropping = false;
    const peer = await rawPeer((socket, received) => {
      if (!received.endsWith('\r\n\r\n')) return;
      if (dropping) {
        dropping = false;
        socket.destroy();
      } else {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
    });
    const p = h1Pool(peer.port, { maxIdle: 3 });
    await Promise.all([send(p), send(p), send(p)]);
    expect(p.free).toBe(3);
    dropping = true;
    const retried = new Recorder();
    const first = new Recorder();
    const onError = first.onError.bind(first);
    first.onError = (err) => {
      void send(p, {}, retried); // a synchronous retry, as the proxy's
      onError(err);
    };
    expect((await send(p, {}, first)).error?.code).toBe('UND_ERR_SOCKET');
    expect((await retried.done).body.toString()).toBe('ok');
    for (let i = 0; i < 50 && p.connections > 1; i++) await sleep(10);
    expect(p.connections).toBe(1);
    // Two at once: the kept connection and a new one, both idle afterwards (2 ≤ maxIdle 3).
    await Promise.all([send(p), send(p)]);
    expect(p.free).toBe(2);
    await Promise.all([send(p), send(p)]);
    expect(p.free).toBe(2);
    expect(peer.accepted()).toBe(5);
  });

  it('the peer closing as the request is written fails the try as a reset (UND_ERR_SOCKET), not a crash', async () => {
    const peer = await rawPeer((socket, received) => {
      if (headDone(received)) socket.destroy();
    });
    const p = h1Pool(peer.port);
    const out = await send(p);
    expect(out.error?.code).toMatch(/^(UND_ERR_SOCKET|ECONNRESET|EPIPE)$/);
    expect(classifyFailure(out.error)).toBe('reset');
    expect(out.calls).toEqual(['onConnect', 'onError']);
  });

  it('connect refused: the socket error\'s own code, no onConnect', async () => {
    const p = h1Pool(await deadPort());
    const out = await send(p);
    expect(out.error?.code).toBe('ECONNREFUSED');
    expect(out.calls).toEqual(['onError']);
    expect(p.connections).toBe(0);
  });

  it('connect timeout: UND_ERR_CONNECT_TIMEOUT (a name lookup that never answers keeps the socket connecting)', async () => {
    const lookup = (): void => {};
    const p = h1Pool(1, { connect: { timeout: 100, lookup } as never }, 'localhost');
    const started = Date.now();
    const out = await send(p);
    expect(out.error?.code).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('headersTimeout: no head in time fails with UND_ERR_HEADERS_TIMEOUT; a per-request override wins', async () => {
    const peer = await rawPeer(() => {});
    const p = h1Pool(peer.port, { headersTimeout: 5_000 });
    const started = Date.now();
    const out = await send(p, { headersTimeout: 200 } as never);
    const took = Date.now() - started;
    expect(out.error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(1_000);
  });

  it('headersTimeout counts from the last byte of a streamed body (nginx): a pause in the upload longer than it is not charged', async () => {
    const peer = await rawPeer(() => {}); // reads everything, never answers
    const p = h1Pool(peer.port, { headersTimeout: 200 });
    const body = new Readable({ read() {} });
    const done = send(p, { method: 'POST', body });
    body.push('first');
    await sleep(500);
    body.push('second');
    body.push(null);
    const ended = Date.now();
    const out = await done;
    const took = Date.now() - ended;
    expect(out.error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(1_000);
  });

  it('bodyTimeout: a body stalled after the head fails with UND_ERR_BODY_TIMEOUT', async () => {
    const peer = await rawPeer((socket, received) => {
      if (headDone(received)) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
    });
    const p = h1Pool(peer.port, { bodyTimeout: 200 });
    const out = await send(p);
    expect(out.status).toBe(200);
    expect(out.error?.code).toBe('UND_ERR_BODY_TIMEOUT');
    expect(out.body.toString()).toBe('abc');
  });

  it('headersTimeout then bodyTimeout: a head at once and a body dribbled under the timeout, across several timer firings, completes', async () => {
    // The one timer per connection moves lazily (h1-connection #arm): the head's deadline was
    // scheduled at send, the body's are recorded later and checked when that timer fires.
    const peer = await rawPeer((socket, received) => {
      if (!headDone(received)) return;
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n');
      let sent = 0;
      const tick = setInterval(() => {
        socket.write('x');
        if (++sent === 12) clearInterval(tick);
      }, 100); // 1.2 s in all: three 400 ms timeouts, each gap a quarter of one (a loaded
      // machine stretched 90 ms gaps past a 150 ms timeout)
    });
    const p = h1Pool(peer.port, { headersTimeout: 400, bodyTimeout: 400 });
    const out = await send(p);
    expect(out.error).toBeNull();
    expect(out.body.toString()).toBe('x'.repeat(12));
  });

  it('bodyTimeout is not charged while the handler holds the response back', async () => {
    const peer = await rawPeer((socket, received) => {
      if (!headDone(received)) return;
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
      setTimeout(() => socket.write('defghij'), 500);
    });
    const p = h1Pool(peer.port, { bodyTimeout: 200 });
    const recorder = new Recorder();
    recorder.hold = () => {
      setTimeout(() => recorder.resume!(), 450);
      recorder.hold = null;
      return false;
    };
    const out = await send(p, {}, recorder);
    expect(out.error).toBeNull();
    expect(out.body.toString()).toBe('abcdefghij');
  });

  it('close(): no new dispatch (UND_ERR_CLOSED), the request in flight finishes, then every connection is gone', async () => {
    const { backend, held } = await portBackend(true);
    const p = h1Pool(backend.port);
    const inFlight = send(p);
    await heldCount(held, 1);
    const closing = p.close();
    expect((await send(p)).error?.code).toBe('UND_ERR_CLOSED');
    held[0]!.end('late');
    expect((await inFlight).body.toString()).toBe('late');
    await closing;
    expect(p.connections).toBe(0);
  });

  it('destroy(): the request in flight fails at once (UND_ERR_DESTROYED), later dispatches too', async () => {
    const { backend, held } = await portBackend(true);
    const p = h1Pool(backend.port);
    const inFlight = send(p);
    await heldCount(held, 1);
    await p.destroy();
    expect((await inFlight).error?.code).toBe('UND_ERR_DESTROYED');
    expect((await send(p)).error?.code).toBe('UND_ERR_DESTROYED');
    expect(p.connections).toBe(0);
  });

  it('emits connect and disconnect per connection (the registry counts connects)', async () => {
    const { backend } = await portBackend();
    const p = h1Pool(backend.port);
    const events: string[] = [];
    p.on('connect', (origin) => events.push(`connect ${origin.host}`));
    p.on('disconnect', () => events.push('disconnect'));
    await send(p);
    await send(p, { reset: true });
    for (let i = 0; i < 50 && events.length < 2; i++) await sleep(10);
    expect(events).toEqual([`connect 127.0.0.1:${backend.port}`, 'disconnect']);
  });
});
