import { get as httpGet } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type BackendPolicy } from '../../src/routing/route-table.ts';
import { RawClient, backendOf, closeAll, onCleanup, sleep, startBackend, startDataplane, tableFor } from './helpers.ts';

afterEach(closeAll);

const withRead = (readMs: number, attempts = 0): BackendPolicy => ({
  ...DEFAULT_POLICY,
  timeouts: { ...DEFAULT_POLICY.timeouts, readMs },
  retries: { ...DEFAULT_POLICY.retries, attempts, on: ['connect-failure', 'reset', 'timeout'] },
});

/** One GET through a fresh client connection; status, body and the time it took. */
async function timed(port: number, path = '/') {
  const client = await RawClient.open(port);
  const started = performance.now();
  client.send(`GET ${path} HTTP/1.1\r\nHost: foo.com\r\n\r\n`);
  try {
    const res = await client.response(5_000);
    return { status: res.status, body: res.body, ms: performance.now() - started, cut: false };
  } catch {
    return { status: 0, body: '', ms: performance.now() - started, cut: true };
  }
}

describe('keepalive.requests (nginx keepalive_requests)', () => {
  it.each([1, 3])('N = %i: exactly N requests per upstream connection', async (n) => {
    const sockets: Socket[] = [];
    const backend = await startBackend('counted', (req, res) => {
      req.resume();
      sockets.push(req.socket);
      res.end('ok');
    });
    const p: BackendPolicy = { ...DEFAULT_POLICY, keepalive: { ...DEFAULT_POLICY.keepalive, requests: n } };
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('counted', [backend], p)]));
    const client = await RawClient.open(port);
    for (let i = 0; i < 3 * n; i++) expect((await client.get('foo.com')).body).toBe('ok');
    const perConnection = new Map<Socket, number>();
    for (const s of sockets) perConnection.set(s, (perConnection.get(s) ?? 0) + 1);
    expect([...perConnection.values()]).toEqual([n, n, n]);
    expect(backend.connections).toBe(3);
  });
});

describe('read timeout (timeouts.readMs, nginx proxy_read_timeout)', () => {
  it('a short read timeout fires on time (not rounded up to undici\'s ~0.5-1 s timer tick)', async () => {
    const silent = await startBackend('silent', (req) => req.resume()); // never answers
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('silent', [silent], withRead(300))]));
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await timed(port);
      expect(res.status).toBe(504);
      times.push(res.ms);
    }
    expect(Math.min(...times)).toBeGreaterThanOrEqual(290);
    expect(Math.min(...times)).toBeLessThan(480);
    expect(dp.stats.errors[504]).toBe(3);
  });

  it('counts between two reads of the body: a stall after the head cuts the response', async () => {
    const stalling = await startBackend('stalling', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial'); // ...and nothing more
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('stalling', [stalling], withRead(300))]));
    const res = await timed(port);
    expect(res.cut).toBe(true);
    expect(res.ms).toBeGreaterThanOrEqual(290);
    expect(res.ms).toBeLessThan(1_000);
    expect(dp.stats.upstreamAborts).toBe(1);
  });

  it('does not charge the upstream while the client holds the response back', async () => {
    const size = 16 * 1024 * 1024; // far beyond every socket buffer on the way
    const big = await startBackend('big', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': String(size) });
      res.end(Buffer.alloc(size, 98));
    });
    // 1 s, not 300 ms: on a loaded machine the head itself took longer than 300 ms (a fair 504).
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('big', [big], withRead(1_000))]));
    // A client not reading for twice the read timeout: the proxy must stop the upstream, not time it out.
    const { status, bytes } = await new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      const req = httpGet({ port, host: '127.0.0.1', path: '/', headers: { host: 'foo.com' }, agent: false }, (res) => {
        res.pause();
        let bytes = 0;
        setTimeout(() => {
          res.on('data', (d: Buffer) => (bytes += d.length));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
          res.on('error', reject);
          res.resume();
        }, 2_000);
      });
      req.on('error', reject);
      onCleanup(() => {
        req.destroy();
      });
    });
    expect(status).toBe(200);
    expect(bytes).toBe(size);
    expect(dp.stats.upstreamAborts).toBe(0);
  });

  // Regression: the proxy's own read timer (for values under 5 s) started when the try was
  // written and ran on while a long request body still uploaded, so a slow upload answered 504
  // although the backend was fine. As nginx's, the wait for the head starts once the whole
  // request is written: a client pausing longer than the read timeout is not the backend's fault.
  it.each([
    { name: 'a backend answering once it read the whole body: 200', chunks: 6, gapMs: 250, answerAfterMs: 0, status: 200 },
    { name: 'a client pausing 800 ms between its two chunks: 200', chunks: 2, gapMs: 800, answerAfterMs: 0, status: 200 },
    { name: 'a backend reading the body, then silent for 1 s: 504 about 500 ms after the last chunk', chunks: 6, gapMs: 250, answerAfterMs: 1_000, status: 504 },
  ])('slow upload ($chunks chunks $gapMs ms apart), timeouts.read 500ms: $name', async ({ chunks, gapMs, answerAfterMs, status }) => {
    const backend = await startBackend('upload', (req, res) => {
      let bytes = 0;
      req.on('data', (d: Buffer) => (bytes += d.length));
      req.on('end', () => setTimeout(() => res.end(`got ${bytes}`), answerAfterMs));
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('upload', [backend], withRead(500))]));
    const client = await RawClient.open(port);
    client.send(`POST /up HTTP/1.1\r\nHost: foo.com\r\nContent-Length: ${chunks * 10}\r\n\r\n`);
    for (let i = 0; i < chunks; i++) {
      await sleep(gapMs);
      client.send('x'.repeat(10));
    }
    const lastChunk = performance.now();
    const res = await client.response(5_000);
    const ms = performance.now() - lastChunk;
    expect(res.status).toBe(status);
    if (status === 200) {
      expect(res.body).toBe(`got ${chunks * 10}`);
      expect(dp.stats.errors[504]).toBe(0);
    } else {
      expect(ms).toBeGreaterThanOrEqual(450);
      expect(ms).toBeLessThan(900);
    }
  });

  it('a slow but steady body never times out, and a read timeout is retried when retries.on lists it', async () => {
    let hits = 0;
    const backend = await startBackend('dribble', (req, res) => {
      req.resume();
      hits++;
      if (hits === 1) return; // first try: silence, to be retried
      res.writeHead(200, { 'content-length': '5' });
      let sent = 0;
      const tick = setInterval(() => {
        res.write('x');
        if (++sent === 5) {
          clearInterval(tick);
          res.end();
        }
      }, 150); // 750 ms in all, each gap under the 300 ms timeout
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('dribble', [backend], withRead(300, 1))]));
    const res = await timed(port);
    expect(res).toMatchObject({ status: 200, body: 'xxxxx' });
    expect(hits).toBe(2);
    expect(dp.stats.retries).toBe(1);
  });
});
