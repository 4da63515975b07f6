import { constants, type ServerHttp2Stream } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyFailure } from '../../src/dataplane/upstream/upstream-failure.ts';
import { closeAll, deadPort, onCleanup } from '../dataplane/helpers.ts';
import { h2Pool, Recorder, send, startH2Backend, until } from './h2-helpers.ts';

afterEach(closeAll);

/** A backend that holds every stream until the test answers it. */
async function holdingBackend(settings?: { maxConcurrentStreams?: number }) {
  const held: ServerHttp2Stream[] = [];
  const backend = await startH2Backend((stream) => {
    stream.resume();
    held.push(stream);
  }, settings);
  return { backend, held };
}

const answer = (stream: ServerHttp2Stream, text = 'ok') => {
  stream.respond({ ':status': 200 });
  stream.end(text);
};

describe('H2Pool requests', () => {
  it('GET: status, fields (repeats kept, no pseudo-headers), body; Host becomes :authority; connection-specific fields are not sent', async () => {
    const backend = await startH2Backend((stream) => {
      stream.respond({ ':status': 201, 'set-cookie': ['a=1', 'b=2'], 'x-one': 'v' });
      stream.end('hello');
    });
    const out = await send(h2Pool(backend.port), {
      path: '/p?q=1',
      headers: ['Host', 'site.example', 'X-Custom', 'a', 'x-custom', 'b', 'Connection', 'keep-alive', 'Keep-Alive', '5', 'Transfer-Encoding', 'chunked', 'Upgrade', 'x', 'TE', 'gzip'],
    });
    expect(out.error).toBeNull();
    expect(out.status).toBe(201);
    expect(out.body.toString()).toBe('hello');
    expect(out.trailers).toBeNull();
    expect(out.headers.filter((_, i) => i % 2 === 0).some((n) => n.startsWith(':'))).toBe(false);
    expect(out.headers).toEqual(expect.arrayContaining(['set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-one', 'v']));
    expect(out.calls).toEqual(['onConnect', 'onHeaders:201', 'onData', 'onComplete']);
    const seen = backend.seen[0]!;
    expect(seen.headers[':authority']).toBe('site.example');
    expect(seen.headers[':path']).toBe('/p?q=1');
    expect(seen.headers[':scheme']).toBe('http');
    expect(seen.headers['x-custom']).toBe('a, b');
    expect(seen.headers.te).toBe('trailers');
    for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host']) expect(seen.headers[name]).toBeUndefined();
  });

  it('POST streams the request body (backpressure both ways) and relays response trailers as a flat list', async () => {
    const backend = await startH2Backend((stream) => {
      let n = 0;
      stream.on('data', (c: Buffer) => (n += c.length));
      stream.on('end', () => {
        stream.respond({ ':status': 200 }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'x-received': String(n), 'grpc-status': '0' }));
        stream.end(`got ${n}`);
      });
    });
    const body = new PassThrough();
    const done = send(h2Pool(backend.port), { method: 'POST', body, headers: ['host', 'a'] });
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 32; i++) if (!body.write(chunk)) await new Promise((r) => body.once('drain', r));
    body.end();
    const out = await done;
    expect(out.body.toString()).toBe(`got ${32 * 64 * 1024}`);
    expect(out.trailers).toEqual(['x-received', String(32 * 64 * 1024), 'grpc-status', '0']);
  });

  it('multiplexes concurrent requests on one connection', async () => {
    const { backend, held } = await holdingBackend();
    const pool = h2Pool(backend.port);
    const pending = Array.from({ length: 20 }, (_, i) => send(pool, { path: `/${i}` }));
    await until(() => held.length === 20, 3_000, '20 streams');
    expect(pool.connections).toBe(1);
    expect(pool.streams).toBe(20);
    for (const s of held.splice(0)) answer(s);
    for (const p of pending) expect((await p).status).toBe(200);
    await until(() => pool.streams === 0, 1_000, 'streams closed');
    expect(backend.connections).toBe(1);
  });

  it("respects the server's SETTINGS_MAX_CONCURRENT_STREAMS: beyond it, new connections (refused streams move silently)", async () => {
    const { backend, held } = await holdingBackend({ maxConcurrentStreams: 5 });
    const pool = h2Pool(backend.port);
    // The first request lets the client learn the server's limit.
    const first = send(pool, { path: '/first' });
    await until(() => held.length === 1, 3_000, 'first stream');
    const pending = Array.from({ length: 14 }, (_, i) => send(pool, { path: `/${i}` }));
    await until(() => held.length === 15, 3_000, '15 streams');
    expect(pool.connections).toBe(3);
    for (const session of backend.sessions) expect(held.filter((s) => s.session === session).length).toBeLessThanOrEqual(5);
    for (const s of held.splice(0)) answer(s);
    expect((await first).status).toBe(200);
    for (const p of pending) expect((await p).error).toBeNull();
  });

  it('GOAWAY: streams above the last stream id move to a new connection; none is lost', async () => {
    let sent = 0;
    const backend = await startH2Backend((stream, headers) => {
      if (sent++ === 0) {
        // Accept only the first stream of this connection, then refuse the rest with GOAWAY.
        stream.session!.goaway(constants.NGHTTP2_NO_ERROR, stream.id);
        setTimeout(() => answer(stream, String(headers[':path'])), 20);
        return;
      }
      answer(stream, String(headers[':path']));
    });
    const pool = h2Pool(backend.port);
    const outs = await Promise.all(Array.from({ length: 6 }, (_, i) => send(pool, { path: `/${i}` })));
    expect(outs.map((o) => o.error)).toEqual(Array(6).fill(null));
    expect(outs.map((o) => o.body.toString())).toEqual(['/0', '/1', '/2', '/3', '/4', '/5']);
    expect(backend.connections).toBe(2);
  });

  it('a GOAWAY\'d connection whose server keeps its side open is closed after a grace period, and close() resolves (it used to wait for the server forever)', async () => {
    let first = true;
    const backend = await startH2Backend((stream) => {
      if (first) {
        first = false;
        // node:http2's server sends GOAWAY and keeps the connection open after the client's FIN.
        stream.session!.goaway(constants.NGHTTP2_NO_ERROR, stream.id);
      }
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    const pool = h2Pool(backend.port);
    expect((await send(pool)).body.toString()).toBe('ok');
    await until(() => pool.connections === 0, 10_000, 'the GOAWAY\'d connection closed');
    expect((await send(pool)).body.toString()).toBe('ok'); // on a new connection
    expect(backend.connections).toBe(2);
    let closed = false;
    const closing = pool.close().then(() => (closed = true));
    await until(() => closed, 10_000, 'pool.close() resolved');
    await closing;
    expect(pool.connections).toBe(0);
  });

  it('a stream reset by the server (not REFUSED_STREAM) is a reset failure', async () => {
    const backend = await startH2Backend((stream) => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
    const out = await send(h2Pool(backend.port));
    expect(classifyFailure(out.error)).toBe('reset');
  });

  it('a body cut by the server after the head is a reset failure, never a complete response', async () => {
    const backend = await startH2Backend((stream) => {
      stream.respond({ ':status': 200 });
      stream.write('part', () => setTimeout(() => stream.session!.destroy(), 10));
    });
    const out = await send(h2Pool(backend.port));
    expect(out.status).toBe(200);
    expect(out.completed).toBe(false);
    expect(classifyFailure(out.error)).toBe('reset');
  });
});

describe('H2Pool failures and timeouts', () => {
  it('connection refused: a connect failure (nothing was sent)', async () => {
    const out = await send(h2Pool(await deadPort()));
    expect(classifyFailure(out.error)).toBe('connect');
  });

  it('connect timeout (a TLS server that never completes the handshake)', async () => {
    const sockets = new Set<Socket>();
    const silent = createNetServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    onCleanup(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => silent.close(() => r()));
    });
    const pool = h2Pool((silent.address() as AddressInfo).port, { connectTimeoutMs: 150, tls: { rejectUnauthorized: false } }, 'https');
    const out = await send(pool);
    expect(classifyFailure(out.error)).toBe('connect-timeout');
  });

  it('read timeout: no head in time → headers timeout; a stalled body → body timeout', async () => {
    const backend = await startH2Backend((stream, headers) => {
      stream.resume();
      if (headers[':path'] === '/stall') {
        stream.respond({ ':status': 200 });
        stream.write('x');
      }
    });
    const pool = h2Pool(backend.port, { readTimeoutMs: 150 });
    const [noHead, stalled] = await Promise.all([send(pool, { path: '/nohead' }), send(pool, { path: '/stall' })]);
    expect(noHead.error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(stalled.error?.code).toBe('UND_ERR_BODY_TIMEOUT');
    expect(classifyFailure(noHead.error)).toBe('timeout');
    // Both streams were cancelled upstream; the connection stays for the next request.
    await until(() => pool.streams === 0, 1_000, 'streams released');
    expect(pool.connections).toBe(1);
  });

  it('abort() cancels the stream upstream (RST_STREAM CANCEL) and frees its slot; the connection is reused', async () => {
    const { backend, held } = await holdingBackend();
    const pool = h2Pool(backend.port);
    const rec = new Recorder();
    const pending = send(pool, { path: '/slow' }, rec);
    await until(() => held.length === 1, 3_000, 'stream');
    const closed = new Promise<number>((resolve) => held[0]!.on('close', () => resolve(held[0]!.rstCode)));
    rec.abort!(new Error('client gone'));
    const out = await pending;
    expect(out.error?.message).toBe('client gone');
    expect(await closed).toBe(constants.NGHTTP2_CANCEL);
    await until(() => pool.streams === 0, 1_000, 'slot freed');
    const next = send(pool, { path: '/next' });
    await until(() => held.length === 2, 3_000, 'next stream');
    answer(held[1]!);
    expect((await next).status).toBe(200);
    expect(backend.connections).toBe(1);
  });

  it('a handler holding the body back pauses the stream: the server can send no more than the flow-control window', async () => {
    let written = 0;
    let finished = false;
    const backend = await startH2Backend((stream) => {
      stream.respond({ ':status': 200 });
      const chunk = Buffer.alloc(16 * 1024);
      const pump = () => {
        while (written < 4 * 1024 * 1024) {
          written += chunk.length;
          if (!stream.write(chunk)) return void stream.once('drain', pump);
        }
        stream.end(() => (finished = true));
      };
      pump();
    });
    const rec = new Recorder();
    let held = false;
    rec.hold = () => {
      held = true;
      return false;
    };
    const done = send(h2Pool(backend.port), {}, rec);
    await until(() => held, 3_000, 'first chunk');
    // Give the server every chance to push more: it must stay blocked by flow control.
    const before = written;
    await new Promise((r) => setTimeout(r, 200));
    expect(written - before).toBeLessThanOrEqual(256 * 1024);
    expect(finished).toBe(false);
    rec.hold = null;
    rec.resume!();
    const out = await done;
    expect(out.completed).toBe(true);
    expect(out.body.length).toBe(4 * 1024 * 1024);
  });
});

describe('H2Pool connection life', () => {
  it('an idle connection closes after the idle timeout', async () => {
    const backend = await startH2Backend();
    const pool = h2Pool(backend.port, { idleTimeoutMs: 100 });
    expect((await send(pool)).status).toBe(200);
    expect(pool.connections).toBe(1);
    await until(() => pool.connections === 0, 2_000, 'idle close');
  });

  it('keepalive off (maxRequests 1): one stream per connection', async () => {
    const backend = await startH2Backend();
    const pool = h2Pool(backend.port, { maxRequests: 1 });
    for (let i = 0; i < 3; i++) expect((await send(pool)).status).toBe(200);
    expect(backend.connections).toBe(3);
  });

  it("close() lets streams in flight finish; destroy() fails them; neither takes new requests", async () => {
    const { backend, held } = await holdingBackend();
    const pool = h2Pool(backend.port);
    const inFlight = send(pool);
    await until(() => held.length === 1, 3_000, 'stream');
    const closing = pool.close();
    expect(classifyFailure((await send(pool)).error)).toBe('connect');
    answer(held[0]!);
    expect((await inFlight).status).toBe(200);
    await closing;
    expect(pool.connections).toBe(0);

    const pool2 = h2Pool(backend.port);
    const doomed = send(pool2);
    await until(() => held.length === 2, 3_000, 'stream 2');
    await pool2.destroy();
    expect((await doomed).error?.code).toBe('UND_ERR_DESTROYED');
  });

  it("emits 'connect' once per new connection (the registry counts upstream connections)", async () => {
    const backend = await startH2Backend();
    const pool = h2Pool(backend.port);
    let connects = 0;
    pool.on('connect', () => connects++);
    await Promise.all(Array.from({ length: 10 }, () => send(pool)));
    expect(connects).toBe(1);
  });
});
