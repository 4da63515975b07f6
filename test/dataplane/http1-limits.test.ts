import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, backendOf, closeAll, onCleanup, sleep, startBackend, startDataplane, tableFor } from './helpers.ts';
import { rawSocket, rawTranscript, until } from './http1-raw.ts';

afterEach(closeAll);

const H = 'Host: foo.com\r\n';

describe('HTTP/1.1 server: malformed input', () => {
  it.each([
    { name: 'garbage request line', req: 'HELLO\r\n\r\n', status: 400 },
    { name: 'HTTP version 9.9 (well formed, not 1.x)', req: `GET / HTTP/9.9\r\n${H}\r\n`, status: 505 },
    { name: 'malformed HTTP version', req: `GET / HTTP/1.x\r\n${H}\r\n`, status: 400 },
    { name: 'header line without a colon', req: `GET / HTTP/1.1\r\n${H}Oops\r\n\r\n`, status: 400 },
    { name: 'space before the colon', req: `GET / HTTP/1.1\r\n${H}X-A : b\r\n\r\n`, status: 400 },
    { name: 'Content-Length and Transfer-Encoding (smuggling)', req: `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, status: 400 },
    { name: 'two different Content-Lengths', req: `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`, status: 400 },
    { name: 'Transfer-Encoding not ending in chunked', req: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\nabc`, status: 400 },
    { name: 'bad chunk size', req: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, status: 400 },
    { name: 'bare LF line endings', req: `GET / HTTP/1.1\n${H}\n`, status: 400 },
    { name: 'chunk extensions over 16 KiB', req: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(20_000)}\r\na\r\n0\r\n\r\n`, status: 413 },
    { name: 'header block over 16 KiB', req: `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431 },
  ])('$name → $status, closed; the next connection is served', async ({ req, status }) => {
    const backend = await startBackend('a');
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]));
    const t = await rawTranscript(port, req);
    expect(t.closed).toBe(true);
    expect(t.text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} [A-Za-z ]+\\r\\n`));
    expect(t.text).toContain('Connection: close');
    expect(t.text).not.toMatch(/node|pier|\d+\.\d+\.\d+/i);
    expect(dp.stats.errors[status as 400]).toBe(1);
    expect(backend.seen).toHaveLength(0); // nothing of it reached the upstream
    const client = await RawClient.open(port);
    expect((await client.get('foo.com')).body).toBe('backend=a');
  });

  it('answers the requests before a malformed pipelined one, then 400, then closes', async () => {
    const backend = await startBackend('a');
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]));
    const t = await rawTranscript(port, `GET /1 HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\n${H}\r\nNOPE\r\n\r\n`);
    expect(t.closed).toBe(true);
    expect(t.text.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 400']);
  });

  it('CONNECT → 405 and closed (not a forward proxy)', async () => {
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('a', [await startBackend('a')])]));
    const t = await rawTranscript(port, 'CONNECT foo.com:443 HTTP/1.1\r\nHost: foo.com:443\r\n\r\n');
    expect(t.closed).toBe(true);
    expect(t.text).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(dp.stats.errors[405]).toBe(1);
  });
});

describe('HTTP/1.1 server: timeouts', () => {
  it('answers 408 and closes when a request head is not complete within headersTimeoutMs', async () => {
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('a', [await startBackend('a')])]), { headersTimeoutMs: 200 });
    const s = await rawSocket(port);
    s.socket.write('GET / HTTP/1.1\r\nHost: fo');
    const started = Date.now();
    expect(await until(s.closed, 3_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(195); // never early
    expect(s.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(dp.stats.errors[408]).toBe(1);
  });

  it('counts the headers timeout from a fresh connection too (a client that sends nothing)', async () => {
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [await startBackend('a')])]), { headersTimeoutMs: 200 });
    const s = await rawSocket(port);
    expect(await until(s.closed, 3_000)).toBe(true);
  });

  it('applies the headers timeout to a later request on a keepalive connection, not the idle timeout', async () => {
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('a', [await startBackend('a')])]), { headersTimeoutMs: 200, keepaliveTimeoutMs: 10_000 });
    const s = await rawSocket(port);
    s.socket.write(`GET /1 HTTP/1.1\r\n${H}\r\n`);
    expect(await until(() => /backend=a/.test(s.received()), 3_000)).toBe(true);
    const started = Date.now();
    s.socket.write('GET /2 HTTP/1.1\r\nHo'); // then nothing: a slow (or slowloris) client
    expect(await until(s.closed, 3_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(195); // counted from this head, never early
    expect(s.received()).toMatch(/HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(dp.stats.errors[408]).toBe(1);
  });

  it('leaves an idle keepalive connection to the idle timeout after a body that came in its own packet (no 408)', async () => {
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('a', [await startBackend('a')])]), { headersTimeoutMs: 150, keepaliveTimeoutMs: 600 });
    const s = await rawSocket(port);
    s.socket.write(`POST /1 HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\n`);
    await sleep(50);
    s.socket.write('hello');
    expect(await until(() => /backend=a/.test(s.received()), 3_000)).toBe(true);
    const idle = Date.now();
    expect(await until(s.closed, 3_000)).toBe(true);
    expect(Date.now() - idle).toBeGreaterThanOrEqual(580); // never early
    expect(s.received()).not.toMatch(/408/);
    expect(dp.stats.errors[408]).toBe(0);
  });

  it('answers 408 and closes when a request body stops arriving for bodyTimeoutMs (nginx client_body_timeout)', async () => {
    const backend = await startBackend('a');
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]), { bodyTimeoutMs: 200 });
    const s = await rawSocket(port);
    s.socket.write(`POST /up HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nabc`); // 7 bytes never come
    const started = Date.now();
    expect(await until(s.closed, 3_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(195); // never early
    expect(s.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(dp.stats.errors[408]).toBe(1);
  });

  it('keeps a slow but steady upload going: the body timeout runs between two reads, not over the whole body', async () => {
    const backend = await startBackend('a');
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]), { bodyTimeoutMs: 250 });
    const s = await rawSocket(port);
    s.socket.write(`POST /up HTTP/1.1\r\n${H}Content-Length: 8\r\n\r\n`);
    for (let i = 0; i < 8; i++) {
      await sleep(100); // 800 ms in all, over three body timeouts
      s.socket.write('x');
    }
    expect(await until(() => /backend=a/.test(s.received()), 3_000)).toBe(true);
    expect(s.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(dp.stats.errors[408]).toBe(0);
  });

  it('does not charge the client for a body Pier holds back while the upstream is not reading it', async () => {
    const upstream = createServer((req, res) => {
      // Reads nothing for 700 ms (over two body timeouts), then the whole body.
      setTimeout(() => {
        let n = 0;
        req.on('data', (b: Buffer) => (n += b.length));
        req.on('end', () => res.end(`got=${n}`));
      }, 700);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    onCleanup(() => { upstream.closeAllConnections(); upstream.close(); });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('slow', [{ host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }])]), { bodyTimeoutMs: 250 });
    const size = 8 * 1024 * 1024; // far over the socket buffers: the client is paused meanwhile
    const s = await rawSocket(port);
    s.socket.write(`POST /up HTTP/1.1\r\n${H}Content-Length: ${size}\r\n\r\n`);
    s.socket.write(Buffer.alloc(size, 120));
    expect(await until(() => s.received().includes(`got=${size}`), 5_000)).toBe(true);
    expect(s.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(dp.stats.errors[408]).toBe(0);
  });

  it('does not count the rest of an answered request body as a request head (no 408 while it is dropped)', async () => {
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('a', [await startBackend('a')])]), { headersTimeoutMs: 150 });
    const s = await rawSocket(port);
    s.socket.write(`POST /1 HTTP/1.1\r\nHost: nowhere.example\r\nContent-Length: 10\r\n\r\nabc`); // 404 before its body
    expect(await until(() => /404/.test(s.received()), 3_000)).toBe(true);
    await sleep(50);
    s.socket.write('def'); // still the dropped body, in a read of its own
    await sleep(300);
    s.socket.write(`ghij` + `GET /2 HTTP/1.1\r\n${H}\r\n`);
    expect(await until(() => /backend=a/.test(s.received()), 3_000)).toBe(true);
    expect(s.received()).not.toMatch(/408/);
    expect(dp.stats.errors[408]).toBe(0);
  });
});

describe('HTTP/1.1 server: upgrade', () => {
  it('hands the socket over with the bytes that followed the head in the same packet', async () => {
    const backend = await startBackend('ws');
    backend.server.on('upgrade', (_req, socket, head: Buffer) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      socket.write(`[head=${head.toString('latin1')}]`);
      socket.pipe(socket); // echo
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('ws', [backend])]));
    const s = await rawSocket(port);
    s.socket.write(`GET /chat HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\nEARLY`);
    // The proxy relays the early bytes once the upstream accepted the upgrade: they come back
    // through the echo, first, and ahead of anything sent later.
    expect(await until(() => s.received().endsWith('EARLY'), 3_000)).toBe(true);
    s.socket.write('later');
    expect(await until(() => s.received().endsWith('[head=]EARLYlater'), 3_000)).toBe(true);
    expect(s.received()).toMatch(/^HTTP\/1\.1 101 /);
  });
});

describe('HTTP/1.1 server: upgrade hand-off in a loop', () => {
  // Regression: the parser was closed inside its own native read (kOnExecute of the upgrade
  // head), a use-after-free that aborted the process ("double free") about once in 1,500.
  it('survives 400 upgrades in a row with bytes after the head (the parser is not closed under its own read)', async () => {
    const backend = await startBackend('ws');
    backend.server.on('upgrade', (_req, socket) => {
      socket.on('error', () => {});
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      socket.pipe(socket);
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('ws', [backend])]));
    for (let i = 0; i < 400; i++) {
      const s = await rawSocket(port);
      s.socket.write(`GET /chat HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\nEARLY`);
      expect(await until(() => s.received().endsWith('EARLY'), 3_000)).toBe(true);
      s.socket.destroy();
    }
    expect(dp.stats.upgrades).toBe(400);
  }, 30_000);
});

describe('HTTP/1.1 server: client side backpressure and aborts', () => {
  it('aborts the upstream when the client disconnects mid-response', async () => {
    let upstreamClosed = false;
    const backend = await startBackend('stream', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const t = setInterval(() => res.write('tick\n'), 10);
      req.socket.on('close', () => {
        upstreamClosed = true;
        clearInterval(t);
      });
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('stream', [backend])]));
    const s = await rawSocket(port);
    s.socket.write(`GET / HTTP/1.1\r\n${H}\r\n`);
    expect(await until(() => s.received().includes('tick'), 3_000)).toBe(true);
    s.socket.destroy();
    expect(await until(() => upstreamClosed, 3_000)).toBe(true);
    expect(dp.stats.clientAborts).toBe(1);
  });

  it('holds the upstream back while a slow client does not read (memory bounded), then delivers everything', async () => {
    const total = 32 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 5);
    let backendWritten = 0;
    const backend = await startBackend('big', (_req, res) => {
      res.writeHead(200, { 'content-length': String(total) });
      const pump = (): void => {
        while (backendWritten < total) {
          backendWritten += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('big', [backend])]));
    const socket = connect(port, '127.0.0.1');
    onCleanup(() => {
      socket.destroy();
    });
    socket.pause();
    socket.write(`GET /big HTTP/1.1\r\n${H}\r\n`);
    await sleep(600);
    const heldBack = backendWritten;
    const hash = createHash('sha256');
    let received = 0;
    let headSkipped = false;
    await new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        if (!headSkipped) {
          d = d.subarray(d.indexOf('\r\n\r\n') + 4);
          headSkipped = true;
        }
        received += d.length;
        hash.update(d);
        if (received >= total) resolve();
      });
      socket.resume();
    });
    expect(received).toBe(total);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(Buffer.alloc(total, 5)).digest('hex'));
    // Two loopback connections' kernel buffers (~8 MiB measured), not the 32 MiB response.
    expect(heldBack).toBeLessThan(16 * 1024 * 1024);
  }, 30_000);
});

describe('HTTP/1.1 server: drain', () => {
  it('finishes the busy connection with Connection: close, closes the idle one after the grace, then resolves', async () => {
    const backend = await startBackend('slow', (req, res) => {
      setTimeout(() => res.end('done'), req.url === '/slow' ? 300 : 0);
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('slow', [backend])]));
    const idle = await RawClient.open(port);
    const busy = await RawClient.open(port);
    await idle.get('foo.com');
    busy.send(`GET /slow HTTP/1.1\r\n${H}\r\n`);
    await until(() => backend.seen.length === 2, 2_000);
    const started = Date.now();
    let drained = false;
    const draining = dp.drain(100).then(() => (drained = true));
    const res = await busy.response();
    expect(res.body).toBe('done');
    expect(res.headers['connection']).toBe('close');
    expect(await busy.waitClosed(1_000)).toBe(true);
    expect(await idle.waitClosed(1_000)).toBe(true);
    await draining;
    expect(drained).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});
