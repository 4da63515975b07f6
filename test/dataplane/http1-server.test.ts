import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, backendOf, closeAll, sleep, startBackend, startDataplane, tableFor } from './helpers.ts';
import { rawSocket, rawTranscript, statusLines, until } from './http1-raw.ts';

afterEach(closeAll);

/** A backend echoing `<method> <url> <body>`, answering after `?delay=ms`, with `?status=`. */
async function echoBackend(name = 'echo') {
  return startBackend(name, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      const body = `${req.method} ${url.pathname} ${Buffer.concat(chunks).toString('latin1')}`;
      const status = Number(url.searchParams.get('status') ?? 200);
      const chunked = url.searchParams.has('chunked');
      setTimeout(() => {
        if (chunked) {
          res.writeHead(status);
          res.write(body);
          res.end();
        } else {
          res.writeHead(status, { 'content-length': Buffer.byteLength(body) });
          res.end(body);
        }
      }, Number(url.searchParams.get('delay') ?? 0));
    });
  });
}

describe('HTTP/1.1 server: pipelining', () => {
  it('answers three pipelined requests (with bodies) strictly in order, the slowest first', async () => {
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('echo', [await echoBackend()])]));
    const client = await RawClient.open(port);
    client.send(
      'POST /one?delay=150 HTTP/1.1\r\nHost: foo.com\r\nContent-Length: 3\r\n\r\nabc'
      + 'POST /two?delay=50 HTTP/1.1\r\nHost: foo.com\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n'
      + 'GET /three HTTP/1.1\r\nHost: foo.com\r\n\r\n',
    );
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push((await client.response()).body);
    expect(bodies).toEqual(['POST /one abc', 'POST /two def', 'GET /three ']);
    expect(client.closed).toBe(false);
  });
});

describe('HTTP/1.1 server: keep-alive and framing by client version', () => {
  it.each([
    { name: 'HTTP/1.0 without keep-alive: close-delimited body, closed', req: 'GET /a?chunked HTTP/1.0\r\nHost: foo.com\r\n\r\n', closes: true, framing: 'none' },
    { name: 'HTTP/1.0 with keep-alive, upstream length: kept open', req: 'GET /a HTTP/1.0\r\nHost: foo.com\r\nConnection: keep-alive\r\n\r\n', closes: false, framing: 'length' },
    { name: 'HTTP/1.0 with keep-alive, no upstream length: close-delimited, closed', req: 'GET /a?chunked HTTP/1.0\r\nHost: foo.com\r\nConnection: keep-alive\r\n\r\n', closes: true, framing: 'none' },
    { name: 'HTTP/1.1 Connection: close: closed after the response', req: 'GET /a HTTP/1.1\r\nHost: foo.com\r\nConnection: close\r\n\r\n', closes: true, framing: 'length' },
    { name: 'HTTP/1.1, no upstream length: chunked, kept open', req: 'GET /a?chunked HTTP/1.1\r\nHost: foo.com\r\n\r\n', closes: false, framing: 'chunked' },
  ])('$name', async ({ req, closes, framing }) => {
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('echo', [await echoBackend()])]));
    const t = await rawTranscript(port, req, closes ? 3_000 : 300);
    expect(t.closed).toBe(closes);
    const [head, body] = [t.text.slice(0, t.text.indexOf('\r\n\r\n')).toLowerCase(), t.text.slice(t.text.indexOf('\r\n\r\n') + 4)];
    expect(head).toMatch(/^http\/1\.1 200 ok\r\n/);
    expect(head).toContain(closes ? 'connection: close' : 'connection: keep-alive');
    expect(head).toMatch(/\r\ndate: \w{3}, \d\d \w{3} \d{4} /);
    expect(head.includes('content-length:')).toBe(framing === 'length');
    expect(head.includes('transfer-encoding: chunked')).toBe(framing === 'chunked');
    expect(body).toBe(framing === 'chunked' ? '7\r\nGET /a \r\n0\r\n\r\n' : 'GET /a ');
  });

  it('keeps a response slower than the keepalive timeout (the timeout only counts idle time)', async () => {
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('echo', [await echoBackend()])]), { keepaliveTimeoutMs: 100 });
    const client = await RawClient.open(port);
    expect((await client.get('foo.com', '/slow?delay=400')).body).toBe('GET /slow ');
    expect(await client.waitClosed(2_000)).toBe(true); // and then the idle timeout applies
  });

  // `--keepalive-timeout 0s` announced `keep-alive: timeout=0` and then closed; nginx treats 0 as
  // keepalive off and says `Connection: close`.
  it.each([
    { name: 'proxied', path: '/a' },
    { name: 'Pier\'s own 404', path: '/a', host: 'nobody.example' },
  ])('keepalive timeout 0 turns keepalive off: connection: close, then closed ($name)', async ({ path, host }) => {
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('echo', [await echoBackend()])]), { keepaliveTimeoutMs: 0 });
    const t = await rawTranscript(port, `GET ${path} HTTP/1.1\r\nHost: ${host ?? 'foo.com'}\r\n\r\n`);
    const head = t.text.slice(0, t.text.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).toMatch(host ? /^http\/1\.1 404 / : /^http\/1\.1 200 /);
    expect(head).toContain('\r\nconnection: close');
    expect(head).not.toContain('keep-alive');
    expect(t.closed).toBe(true);
  });
});

describe('HTTP/1.1 server: responses without a body', () => {
  it.each([
    { name: 'HEAD keeps the upstream length, sends no body', req: 'HEAD /h HTTP/1.1\r\nHost: foo.com\r\n\r\n', status: 200, length: true },
    { name: '204 has neither length nor chunking', req: 'GET /n?status=204&chunked HTTP/1.1\r\nHost: foo.com\r\n\r\n', status: 204, length: false },
    { name: '304 has neither length nor chunking', req: 'GET /n?status=304&chunked HTTP/1.1\r\nHost: foo.com\r\n\r\n', status: 304, length: false },
  ])('$name; the next request on the connection is answered', async ({ req, status, length }) => {
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('echo', [await echoBackend()])]));
    const s = await rawSocket(port);
    s.socket.write(req);
    expect(await until(() => s.received().includes('\r\n\r\n'), 3_000)).toBe(true);
    await sleep(50); // anything after the head would have arrived by now
    s.socket.write('GET /next HTTP/1.1\r\nHost: foo.com\r\n\r\n');
    expect(await until(() => s.received().endsWith('GET /next '), 3_000)).toBe(true);
    const first = s.received().slice(0, s.received().indexOf('\r\n\r\n') + 4).toLowerCase();
    expect(first).toMatch(new RegExp(`^http/1\\.1 ${status} `));
    expect(first.includes('content-length')).toBe(length);
    expect(first).not.toContain('transfer-encoding');
    expect(statusLines(s.received())).toHaveLength(2);
    expect(s.received().slice(first.length)).toMatch(/^HTTP\/1\.1 200 OK\r\n/); // no stray body bytes
  });
});

describe('HTTP/1.1 server: request heads', () => {
  it('reassembles a head the parser flushes in batches (more than 32 headers, long URL)', async () => {
    const backend = await startBackend('a');
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]));
    const client = await RawClient.open(port);
    const extra = Array.from({ length: 40 }, (_, i) => `X-H${i}: v${i}\r\n`).join('');
    const path = `/long/${'p'.repeat(3000)}?q=1`;
    expect((await client.get('foo.com', path, extra)).status).toBe(200);
    const seen = backend.seen[0]!;
    expect(seen.url).toBe(path);
    for (let i = 0; i < 40; i++) expect(seen.headers[`x-h${i}`]).toBe(`v${i}`);
  });

  it('starts every connection from a clean parser, whatever the connections before it left (parsers are reused)', async () => {
    const backend = await startBackend('a');
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]));
    // Connections that end mid-head, mid-body, after a parse error and after an upgrade attempt:
    // their parsers go back to the spare list one loop turn after they close.
    const leftovers = [
      'GET /half HTTP/1.1\r\nHost: fo',
      'POST /up HTTP/1.1\r\nHost: foo.com\r\nContent-Length: 100\r\n\r\nabc',
      'GET / HTTP/1.1\r\nHost: foo.com\r\nBad Header\r\n\r\n',
      'POST /up HTTP/1.1\r\nHost: foo.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab',
    ];
    for (const bytes of leftovers) {
      const s = await rawSocket(port);
      s.socket.write(bytes);
      await sleep(30);
      s.socket.destroy();
    }
    for (let i = 0; i < 6; i++) {
      await sleep(5);
      const client = await RawClient.open(port);
      const res = await client.get('foo.com', `/clean/${i}`);
      expect(res.status).toBe(200);
    }
    // (The two uploads were forwarded, then cut.)
    expect(backend.seen.map((s) => s.url).filter((u) => u.startsWith('/clean/'))).toEqual([0, 1, 2, 3, 4, 5].map((i) => `/clean/${i}`));
  });
});

describe('HTTP/1.1 server: request bodies', () => {
  it('reads and drops a body it answered before reading (404), then serves the next request on the connection', async () => {
    const backend = await echoBackend();
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('echo', [backend])]));
    const s = await rawSocket(port);
    s.socket.write('POST /x HTTP/1.1\r\nHost: nowhere.com\r\nContent-Length: 10\r\n\r\nabcde');
    expect(await until(() => s.received().includes('404 Not Found\n'), 3_000)).toBe(true);
    expect(s.received().toLowerCase()).not.toContain('connection: close');
    // The rest of the body, then a request in the same write: the body is dropped, not parsed.
    s.socket.write('fghijGET /y HTTP/1.1\r\nHost: foo.com\r\n\r\n');
    expect(await until(() => s.received().includes('GET /y '), 3_000)).toBe(true);
    expect(s.received().match(/HTTP\/1\.1 \d{3} [A-Za-z ]+\r\n/g)).toEqual(['HTTP/1.1 404 Not Found\r\n', 'HTTP/1.1 200 OK\r\n']);
    expect(s.closed()).toBe(false);
    expect(backend.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /y']);
  });

  it('closes after answering an Expect: 100-continue request it never invited (the next bytes could be body or request)', async () => {
    const backend = await echoBackend();
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('echo', [backend])]));
    const t = await rawTranscript(port, 'POST /x HTTP/1.1\r\nHost: nowhere.com\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n');
    expect(t.text).toMatch(/^HTTP\/1\.1 404 /);
    expect(t.text).not.toContain('100 Continue');
    expect(t.text.toLowerCase()).toContain('connection: close');
    expect(t.closed).toBe(true);
    expect(backend.seen).toEqual([]);
  });

  it('answers a large upload to a missing route without a reset: the client reads the 404', async () => {
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('echo', [await echoBackend()])]));
    const s = await rawSocket(port);
    const size = 8 * 1024 * 1024;
    s.socket.write(`POST /x HTTP/1.1\r\nHost: nowhere.com\r\nContent-Length: ${size}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 97);
    const deadline = Date.now() + 5_000;
    for (let sent = 0; sent < size && Date.now() < deadline; sent += chunk.length) {
      if (!s.socket.write(chunk)) await Promise.race([new Promise((r) => s.socket.once('drain', r)), sleep(500)]);
    }
    expect(await until(() => s.received().includes('404 Not Found\n'), 5_000)).toBe(true);
    s.socket.write('GET /after HTTP/1.1\r\nHost: foo.com\r\n\r\n');
    expect(await until(() => s.received().includes('GET /after '), 3_000)).toBe(true);
    expect(s.closed()).toBe(false);
  });

  it('forwards a chunked request body intact, chunk extensions and all', async () => {
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('echo', [await echoBackend()])]));
    const client = await RawClient.open(port);
    client.send('POST /c HTTP/1.1\r\nHost: foo.com\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n');
    await sleep(30);
    client.send('1\r\n \r\n5\r\nworld\r\n0\r\n\r\n');
    expect((await client.response()).body).toBe('POST /c hello world');
  });

  it('answers Expect: 100-continue before the body is sent, then relays the body', async () => {
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('echo', [await echoBackend()])]));
    const s = await rawSocket(port);
    s.socket.write('PUT /e HTTP/1.1\r\nHost: foo.com\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
    expect(await until(() => s.received().includes('\r\n\r\n'), 3_000)).toBe(true);
    expect(s.received()).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    s.socket.write('data');
    expect(await until(() => s.received().endsWith('PUT /e data'), 3_000)).toBe(true);
  });

  it('streams a 20 MiB upload with backpressure: a stalled upstream stops the client', async () => {
    let backendBytes = 0;
    let reading = false;
    const hash = createHash('sha256');
    const backend = await startBackend('slow-reader', (req, res) => {
      req.pause();
      setTimeout(() => {
        reading = true;
        req.on('data', (c: Buffer) => {
          backendBytes += c.length;
          hash.update(c);
        });
        req.resume();
      }, 500);
      req.on('end', () => res.end(hash.digest('hex')));
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('slow', [backend])]));
    const total = 20 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 3);
    const sent = createHash('sha256');
    const client = await RawClient.open(port);
    client.send(`POST /up HTTP/1.1\r\nHost: foo.com\r\nContent-Length: ${total}\r\n\r\n`);
    let written = 0;
    let writtenBeforeRead = 0;
    while (written < total) {
      sent.update(chunk);
      written += chunk.length;
      if (!client.socket.write(chunk)) await new Promise((r) => client.socket.once('drain', r));
      if (!reading) writtenBeforeRead = written;
    }
    const res = await client.response(15_000);
    expect(res.body).toBe(sent.digest('hex'));
    expect(backendBytes).toBe(total);
    // Kernel buffers on two loopback connections plus one parser chunk, not the whole upload.
    expect(writtenBeforeRead).toBeLessThan(14 * 1024 * 1024); // ~8 MiB measured on loopback
  }, 30_000);
});
