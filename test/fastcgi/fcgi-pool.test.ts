import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FcgiPool } from '../../src/dataplane/upstream/fastcgi/fcgi-pool.ts';
import { fastcgiSettings } from '../../src/dataplane/upstream/fastcgi/fastcgi-settings.ts';
import { setFastcgiLogger } from '../../src/dataplane/upstream/fastcgi/stderr-log.ts';
import { classifyFailure, failureStatus, isKeepaliveRace } from '../../src/dataplane/upstream/upstream-failure.ts';
import type { ClientFacts } from '../../src/dataplane/upstream/upstream-handler.ts';
import type { Logger } from '../../src/observe/logger.ts';
import { ensurePhpFpm, startPhpFpm, type PhpFpm } from './php-fpm.ts';
import { fastcgiPolicy, header, send } from './pool-client.ts';

const env = ensurePhpFpm();
if ('missing' in env) console.log(`SKIPPED test/fastcgi/fcgi-pool.test.ts: ${env.missing}`);
const suite = 'missing' in env ? describe.skip : describe;
const FPM = 'missing' in env ? '' : env.fpm;

const CLIENT: ClientFacts = { address: '192.0.2.7', port: 40000, serverAddress: '127.0.0.1', serverPort: 8080, tls: false };

/** A 10 MB body produced 64 KiB at a time, on demand (never in memory whole). */
function lazyBody(total: number): { stream: Readable; hash: () => string; pauses: () => number } {
  const hash = createHash('sha256');
  let sent = 0;
  let pauses = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(65_536, total - sent);
      const chunk = Buffer.alloc(n, sent % 251);
      sent += n;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  stream.on('pause', () => pauses++);
  return { stream, hash: () => hash.digest('hex'), pauses: () => pauses };
}

suite('FastCGI pool against php-fpm (TCP)', () => {
  let fpm: PhpFpm;
  let pool: FcgiPool;

  beforeAll(async () => {
    fpm = await startPhpFpm(FPM);
    pool = new FcgiPool({ host: '127.0.0.1', port: fpm.port }, fastcgiSettings(fastcgiPolicy({ fastcgi: { documentRoot: fpm.docRoot, index: 'index.php', splitPathInfo: '.php', params: [] } })));
  });
  afterAll(async () => {
    await pool?.destroy();
    await fpm?.stop();
  });

  it('GET with a query string', async () => {
    const a = await send(pool, { path: '/echo.php?q=hello&n=2', client: CLIENT });
    expect(a.error).toBeNull();
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe('q=hello;n=2');
    expect(header(a.headers, 'x-method')).toBe('GET');
    expect(header(a.headers, 'content-type')).toMatch(/^text\/plain/);
  });

  it('keeps the connection: sequential requests share one', async () => {
    const before = pool.connections;
    for (let i = 0; i < 5; i++) expect((await send(pool, { path: `/echo.php?n=${i}` })).body.toString()).toBe(`q=;n=${i}`);
    expect(pool.connections).toBe(Math.max(before, 1));
    expect(pool.free).toBe(pool.connections);
  });

  it('streams a 10 MB POST body (backpressure, never whole in memory)', async () => {
    const total = 10 * 1024 * 1024;
    const body = lazyBody(total);
    const a = await send(pool, { method: 'POST', path: '/upload.php', headers: ['host', 'localhost', 'content-type', 'application/octet-stream', 'content-length', String(total)], body: body.stream });
    expect(a.error).toBeNull();
    const json = JSON.parse(a.body.toString()) as { length: number; sha256: string; contentLength: string; memory: number };
    expect(json.length).toBe(total);
    expect(json.contentLength).toBe(String(total));
    expect(json.sha256).toBe(body.hash());
    // php read it in 64 KiB steps, and Pier's side waited for the socket: it paused.
    expect(json.memory).toBeLessThan(8 * 1024 * 1024);
    expect(body.pauses()).toBeGreaterThan(0);
  });

  it('multipart upload', async () => {
    const file = Buffer.alloc(1024 * 1024, 7);
    const boundary = '----pier-boundary-1';
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="doc"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const a = await send(pool, {
      method: 'POST', path: '/multipart.php', body: Readable.from([payload.subarray(0, 1000), payload.subarray(1000)]),
      headers: ['host', 'localhost', 'content-type', `multipart/form-data; boundary=${boundary}`, 'content-length', String(payload.length)],
    });
    expect(a.error).toBeNull();
    const json = JSON.parse(a.body.toString()) as { post: Record<string, string>; files: Record<string, { name: string; size: number; sha256: string }> };
    expect(json.post).toEqual({ title: 'hello' });
    expect(json.files.doc).toMatchObject({ name: 'a.bin', size: file.length, sha256: createHash('sha256').update(file).digest('hex') });
  });

  it('Status: and custom headers become the status line and headers', async () => {
    const a = await send(pool, { path: '/status.php' });
    expect(a.status).toBe(418);
    expect(a.statusText).toBe("I'm a Teapot"); // php-fpm's own text, passed on
    expect(header(a.headers, 'x-custom')).toBe('one, two');
    expect(header(a.headers, 'cache-control')).toBe('no-store');
    expect(header(a.headers, 'status')).toBeUndefined();
    expect(a.body.toString()).toBe('teapot\n');
  });

  it('Location with an absolute URI and no Status: a client redirect, 302', async () => {
    const a = await send(pool, { path: '/redirect-client.php' });
    expect(a.status).toBe(302);
    expect(header(a.headers, 'location')).toBe('https://example.com/elsewhere?x=1');
  });

  it('Location with a Status: as the script says', async () => {
    const a = await send(pool, { path: '/redirect-status.php' });
    expect(a.status).toBe(301);
    expect(header(a.headers, 'location')).toBe('/moved');
    expect(a.body.toString()).toBe('moved\n');
  });

  it('Location with a path and no Status: a local redirect, served as a GET of that path', async () => {
    const a = await send(pool, { method: 'POST', path: '/redirect-local.php', headers: ['host', 'localhost', 'content-type', 'text/plain', 'content-length', '3'], body: Readable.from([Buffer.from('abc')]) });
    expect(a.error).toBeNull();
    expect(a.status).toBe(200);
    expect(header(a.headers, 'x-method')).toBe('GET');
    expect(a.body.toString()).toBe('q=local;n=');
  });

  it('PATH_INFO as fastcgi_split_path_info, and the index for a directory', async () => {
    const a = JSON.parse((await send(pool, { path: '/pathinfo.php/foo/bar%20baz?x=1' })).body.toString()) as Record<string, string>;
    expect(a).toEqual({ SCRIPT_NAME: '/pathinfo.php', PATH_INFO: '/foo/bar baz', SCRIPT_FILENAME: `${fpm.docRoot}/pathinfo.php`, PHP_SELF: '/pathinfo.php/foo/bar baz' });
    const idx = await send(pool, { path: '/sub/' });
    expect(idx.body.toString()).toBe('index /sub/index.php\n');
  });

  it('a response without Content-Length streams as it comes', async () => {
    const a = await send(pool, { path: '/big.php?kib=4096' }, { holdMs: 50 });
    expect(a.error).toBeNull();
    expect(header(a.headers, 'content-length')).toBeUndefined();
    expect(a.body.length).toBe(4096 * 1024);
  });

  it('a body longer than its Content-Length is cut at it (the client framing is never exceeded)', async () => {
    const a = await send(pool, { path: '/length.php' });
    expect(a.error).toBeNull();
    expect(a.body.toString()).toBe('hello');
  });

  it('STDERR goes to the log at warn', async () => {
    const lines: unknown[][] = [];
    setFastcgiLogger({ warn: (...args: unknown[]) => lines.push(args) } as unknown as Logger);
    const a = await send(pool, { path: '/stderr.php' });
    expect(a.body.toString()).toBe('logged\n');
    expect(JSON.stringify(lines)).toContain('pier-fastcgi-stderr-test');
  });

  it('a path with a NUL byte or above the root is refused with 400, as nginx', async () => {
    expect((await send(pool, { path: '/echo.php%00.txt' })).status).toBe(400);
    expect((await send(pool, { path: '/../etc/passwd' })).status).toBe(400);
  });

  it('a body without Content-Length (chunked) is answered 411: php-fpm would read none of it', async () => {
    const a = await send(pool, { method: 'POST', path: '/upload.php', headers: ['host', 'localhost'], body: Readable.from([Buffer.from('abc')]) });
    expect(a.status).toBe(411);
  });

  it('a slow script past the read timeout fails as a timeout (504)', async () => {
    const slow = new FcgiPool({ host: '127.0.0.1', port: fpm.port }, fastcgiSettings(fastcgiPolicy({ timeouts: { connectMs: 1_000, sendMs: 1_000, readMs: 300 }, fastcgi: { documentRoot: fpm.docRoot, index: 'index.php', splitPathInfo: '.php', params: [] } })));
    try {
      const a = await send(slow, { path: '/slow.php?ms=2000' });
      expect(a.answered).toBe(false);
      expect(classifyFailure(a.error)).toBe('timeout');
      expect(failureStatus(classifyFailure(a.error))).toBe(504);
    } finally {
      await slow.destroy();
    }
  });

  it('a slow script on a reused connection leaves the idle connections alone (it cannot be in the backlog)', async () => {
    const p = new FcgiPool({ host: '127.0.0.1', port: fpm.port }, fastcgiSettings(fastcgiPolicy({ fastcgi: { documentRoot: fpm.docRoot, index: 'index.php', splitPathInfo: '.php', params: [] } })));
    try {
      await Promise.all([send(p, { path: '/echo.php' }), send(p, { path: '/echo.php' })]);
      expect(p.free).toBe(2);
      const slow = send(p, { path: '/slow.php?ms=600' });
      await new Promise((r) => setTimeout(r, 450));
      expect(p.free).toBe(1);
      expect((await slow).body.toString()).toBe('slow\n');
      expect(p.free).toBe(2);
    } finally {
      await p.destroy();
    }
  });

  it('many requests at once open more connections, then keep at most keepalive.connections idle', async () => {
    const p = new FcgiPool({ host: '127.0.0.1', port: fpm.port }, fastcgiSettings(fastcgiPolicy({ keepalive: { connections: 2, requests: 0, timeMs: 0, idleTimeoutMs: 10_000 }, fastcgi: { documentRoot: fpm.docRoot, index: 'index.php', splitPathInfo: '.php', params: [] } })));
    try {
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => send(p, { path: `/echo.php?n=${i}` })));
      expect(answers.map((a) => a.body.toString())).toEqual(Array.from({ length: 6 }, (_, i) => `q=;n=${i}`));
      expect(p.free).toBe(2);
    } finally {
      await p.destroy();
    }
  });
});

suite('FastCGI pool against php-fpm (unix socket, pm.max_requests)', () => {
  let fpm: PhpFpm;

  beforeAll(async () => {
    fpm = await startPhpFpm(FPM, { unix: true, maxChildren: 2, maxRequests: 5 });
  });
  afterAll(async () => {
    await fpm?.stop();
  });

  it('serves over a unix socket; php-fpm closing its connections only ever fails a try as a reset before any answer', async () => {
    const pool = new FcgiPool({ path: fpm.socket! }, fastcgiSettings(fastcgiPolicy({ fastcgi: { documentRoot: fpm.docRoot, index: 'index.php', splitPathInfo: '.php', params: [] } })));
    try {
      let ok = 0;
      const failures: string[] = [];
      for (let i = 0; i < 40; i++) {
        const a = await send(pool, { path: `/echo.php?n=${i}` });
        if (a.error === null && a.body.toString() === `q=;n=${i}`) ok++;
        else failures.push(`${classifyFailure(a.error)}:${a.answered}:${isKeepaliveRace(a.error)}`);
      }
      // Every failure is the idle-close race ProxyExchange retries: a reset, nothing answered,
      // on a reused connection (marked so it does not use up a try).
      expect(new Set(failures).size <= 1 && (failures[0] ?? 'reset:false:true') === 'reset:false:true').toBe(true);
      expect(ok + failures.length).toBe(40);
      expect(ok).toBeGreaterThan(30);
    } finally {
      await pool.destroy();
    }
  });

  it('a burst beyond pm.max_children does not wait for kept connections to time out (they pin children)', async () => {
    const pool = new FcgiPool({ path: fpm.socket! }, fastcgiSettings(fastcgiPolicy({ fastcgi: { documentRoot: fpm.docRoot, index: 'index.php', splitPathInfo: '.php', params: [] } })));
    try {
      const started = Date.now();
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => send(pool, { path: `/echo.php?n=${i}` })));
        // A reset is the max_requests race (ProxyExchange retries it); no answer may hang.
        for (const a of answers) expect(a.error === null || classifyFailure(a.error) === 'reset').toBe(true);
      }
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await pool.destroy();
    }
  });

  it('a missing socket is a connect failure (retried on another server)', async () => {
    const pool = new FcgiPool({ path: `${fpm.dir}/nope.sock` }, fastcgiSettings(fastcgiPolicy()));
    const a = await send(pool, { path: '/echo.php' });
    expect(classifyFailure(a.error)).toBe('connect');
    await pool.destroy();
  });
});
