import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createH2Server, type ServerHttp2Session } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, serviceYaml } from '../e2e/manifests.ts';
import { startOrigin, type Origin } from './origin.ts';
import { WorkerCache } from '../../src/dataplane/cache/cache-store.ts';

const HOST = 'cache.example';
/** A second Ingress on the same origin with cache-use-stale. */
const STALE_HOST = 'stale.example';

function cacheIngress(annotations: Record<string, string>, name = 'cached', host = HOST): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
  annotations:
${Object.entries({ 'pier.dev/cache': 'on', ...annotations }).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`).join('\n')}
spec:
  ingressClassName: pier
  rules:
    - host: ${host}
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: origin, port: { number: 80 } } } }
`;
}

/**
 * The shared cache end to end: `pier serve` with 2 workers, a programmable origin, real
 * requests. Each path of the origin exercises one rule.
 */
describe('pier serve: shared HTTP cache', () => {
  let dir: string;
  let cacheDir: string;
  let origin: Origin;
  let pier: PierProcess;
  let agent = new Agent({ connections: 200 });
  const get = async (path: string, headers: Record<string, string> = {}, method = 'GET', fresh = false, host = HOST) => {
    const res = await request(`http://127.0.0.1:${pier.httpPort}${path}`, {
      method: method as 'GET', headers: { host, ...(fresh ? { connection: 'close' } : {}), ...headers }, dispatcher: agent,
    });
    const body = method === 'HEAD' ? '' : await res.body.text();
    if (method === 'HEAD') await res.body.dump();
    return { status: res.statusCode, headers: res.headers, body, cache: res.headers['x-cache-status'] };
  };
  const count = (path: string) => origin.counts.get(path) ?? 0;
  /** The entry of `path` (default key) is in place: waits on it, not on any file of the dir. */
  const isStored = (host: string, path: string) => existsSync(join(cacheDir, WorkerCache.fileOf(`http://${host}${path}`)));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-cache-e2e-'));
    cacheDir = join(dir, 'cache');
    origin = await startOrigin();
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'services.yaml'), serviceYaml('origin', [{ host: '127.0.0.1', port: origin.port }]));
    await writeFile(join(dir, 'ingress.yaml'), cacheIngress({ 'pier.dev/cache-valid': '200 10m, 404 1m', 'pier.dev/cache-bypass-header': 'x-nocache' }));
    await writeFile(join(dir, 'stale.yaml'), cacheIngress({ 'pier.dev/cache-use-stale': 'error timeout http_503 updating', 'pier.dev/cache-targeted-fields': 'CDN-Cache-Control' }, 'stale', STALE_HOST));
    pier = await startPier(['--manifests', dir, '--workers', '2', '--access-log', '--cache-dir', cacheDir, '--cache-size', '8Mi'], { readyTimeoutMs: 30_000 });
  });

  afterAll(async () => {
    expect(pier?.output() ?? '').not.toMatch(/worker exited unexpectedly/);
    await pier?.stop();
    await agent.close();
    await origin?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores a max-age response once: MISS, then HIT with Age', async () => {
    origin.route('/fresh', (_q, res, n) => res.writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' }).end(`v${n}`));
    const first = await get('/fresh');
    expect([first.status, first.cache, first.body]).toEqual([200, 'MISS', 'v1']);
    await waitFor(async () => (await get('/fresh')).cache === 'HIT', 3_000, 'a HIT');
    const hit = await get('/fresh');
    // Age counts whole seconds since the response was stored: 0, or 1 if a second boundary passed.
    expect([hit.body, hit.headers['content-length']]).toEqual(['v1', '2']);
    expect(['0', '1']).toContain(hit.headers['age']);
    expect(count('/fresh')).toBe(1);
  });

  it('is shared by the workers: stored through one, hit through the other', async () => {
    origin.route('/shared', (_q, res, n) => res.writeHead(200, { 'cache-control': 'max-age=60' }).end(`s${n}`));
    expect((await get('/shared')).cache).toBe('MISS');
    await waitFor(async () => (await get('/shared', {}, 'GET', true)).cache === 'HIT', 3_000, 'a HIT');
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await get('/shared', {}, 'GET', true));
    expect(results.every((r) => r.cache === 'HIT' && r.body === 's1')).toBe(true);
    expect(count('/shared')).toBe(1);
    // Both workers served it (the access log carries each worker's pid).
    await waitFor(() => new Set([...pier.output().matchAll(/"pid":(\d+)[^\n]*"path":"\/shared"/g)].map((m) => m[1])).size >= 2, 5_000, 'two workers in the access log');
  });

  it('collapses 100 concurrent misses into one upstream request', async () => {
    origin.route('/slow', (_q, res, n) => setTimeout(() => res.writeHead(200, { 'cache-control': 'max-age=60' }).end(`slow${n}`), 300));
    const all = await Promise.all(Array.from({ length: 100 }, () => get('/slow')));
    expect(count('/slow')).toBe(1);
    expect(all.every((r) => r.status === 200 && r.body === 'slow1')).toBe(true);
    expect(all.filter((r) => r.cache === 'MISS')).toHaveLength(1);
  });

  it('collapses 50 concurrent revalidations of a stale entry into one conditional request', async () => {
    origin.route('/reval', (req, res, n) => {
      if (req.headers['if-none-match'] === '"r1"') return void setTimeout(() => res.writeHead(304, { etag: '"r1"', 'cache-control': 'max-age=60' }).end(), 300);
      res.writeHead(200, { etag: '"r1"', 'cache-control': 'max-age=0' }).end(`reval${n}`);
    });
    expect((await get('/reval')).cache).toBe('MISS');
    await waitFor(() => isStored(HOST, '/reval'), 3_000, 'the /reval entry in the cache directory');
    const all = await Promise.all(Array.from({ length: 50 }, () => get('/reval')));
    expect(all.every((r) => r.status === 200 && r.body === 'reval1')).toBe(true);
    expect(all.filter((r) => r.cache === 'REVALIDATED')).toHaveLength(1);
    expect(all.filter((r) => r.cache !== 'REVALIDATED').every((r) => r.cache === 'HIT')).toBe(true);
    expect(count('/reval')).toBe(2);
  });

  it('collapses concurrent revalidations of an entry that must be validated on every use (max-age=0)', async () => {
    origin.route('/reval0', (req, res, n) => {
      if (req.headers['if-none-match'] === '"z1"') return void setTimeout(() => res.writeHead(304, { etag: '"z1"', 'cache-control': 'max-age=0' }).end(), 300);
      res.writeHead(200, { etag: '"z1"', 'cache-control': 'max-age=0' }).end(`zero${n}`);
    });
    expect((await get('/reval0')).cache).toBe('MISS');
    await waitFor(() => isStored(HOST, '/reval0'), 3_000, 'the /reval0 entry in the cache directory');
    const all = await Promise.all(Array.from({ length: 30 }, () => get('/reval0')));
    expect(all.every((r) => r.status === 200 && r.body === 'zero1')).toBe(true);
    expect(all.filter((r) => r.cache === 'REVALIDATED')).toHaveLength(1);
    expect(count('/reval0')).toBe(2);
    // A request after that validation is validated again: max-age=0 still means every use.
    expect((await get('/reval0')).cache).toBe('REVALIDATED');
    expect(count('/reval0')).toBe(3);
  });

  it('cache-use-stale: a stale entry answers when the origin fails, resets or answers a listed status, unless the response forbids it', async () => {
    let mode: 'ok' | 'reset' | '503' = 'ok';
    const route = (path: string, cc: string) => origin.route(path, (req, res, n) => {
      if (mode === 'reset') return void req.socket.destroy();
      if (mode === '503') return void res.writeHead(503).end('busy');
      res.writeHead(200, { 'cache-control': cc }).end(`${path}${n}`);
    });
    route('/gone', 'max-age=0');
    route('/strict', 'max-age=0, must-revalidate');
    for (const path of ['/gone', '/strict']) expect((await get(path, {}, 'GET', false, STALE_HOST)).cache).toBe('MISS');
    await waitFor(() => isStored(STALE_HOST, '/gone') && isStored(STALE_HOST, '/strict'), 3_000, 'both entries in the cache directory');
    mode = 'reset';
    const reset = await get('/gone', {}, 'GET', false, STALE_HOST);
    expect([reset.status, reset.cache, reset.body]).toEqual([200, 'STALE', '/gone1']);
    expect((await get('/strict', {}, 'GET', false, STALE_HOST)).status).toBe(502);
    mode = '503';
    const busy = await get('/gone', {}, 'GET', false, STALE_HOST);
    expect([busy.status, busy.cache, busy.body]).toEqual([200, 'STALE', '/gone1']);
    expect((await get('/strict', {}, 'GET', false, STALE_HOST)).status).toBe(503);
    // The same origin without cache-use-stale: the failure reaches the client.
    route('/plain-503', 'max-age=0');
    mode = 'ok';
    await get('/plain-503');
    mode = '503';
    expect((await get('/plain-503')).status).toBe(503);
  });

  it('cache-targeted-fields: CDN-Cache-Control replaces Cache-Control for this cache, only on the Ingress that names it', async () => {
    origin.route('/cdn-fresh', (_q, res, n) => res.writeHead(200, { 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=60' }).end(`cf${n}`));
    origin.route('/cdn-nostore', (_q, res, n) => res.writeHead(200, { 'cache-control': 'max-age=60', 'cdn-cache-control': 'no-store' }).end(`cn${n}`));
    await get('/cdn-fresh', {}, 'GET', false, STALE_HOST);
    await waitFor(async () => (await get('/cdn-fresh', {}, 'GET', false, STALE_HOST)).cache === 'HIT', 3_000, 'a HIT');
    for (let i = 0; i < 3; i++) await get('/cdn-nostore', {}, 'GET', false, STALE_HOST);
    expect([count('/cdn-fresh'), count('/cdn-nostore')]).toEqual([1, 3]);
    // The other Ingress ignores the field: Cache-Control's no-store holds.
    for (let i = 0; i < 2; i++) await get('/cdn-fresh');
    expect(count('/cdn-fresh')).toBe(3);
  });

  it('cache-use-stale updating: while one request revalidates, the others get the stale entry at once', async () => {
    origin.route('/upd', (req, res, n) => {
      if (req.headers['if-none-match'] === '"u1"') return void setTimeout(() => res.writeHead(304, { etag: '"u1"', 'cache-control': 'max-age=60' }).end(), 1_000);
      res.writeHead(200, { etag: '"u1"', 'cache-control': 'max-age=0' }).end(`upd${n}`);
    });
    await get('/upd', {}, 'GET', false, STALE_HOST);
    await waitFor(() => isStored(STALE_HOST, '/upd'), 3_000, 'the /upd entry in the cache directory');
    const all = await Promise.all(Array.from({ length: 20 }, () => get('/upd', {}, 'GET', false, STALE_HOST)));
    expect(all.every((r) => r.status === 200 && r.body === 'upd1')).toBe(true);
    expect(all.filter((r) => r.cache === 'REVALIDATED')).toHaveLength(1);
    expect(all.filter((r) => r.cache === 'UPDATING').length).toBeGreaterThan(0);
    expect(count('/upd')).toBe(2);
  });

  it('revalidates a stale entry with its ETag and merges the 304 (REVALIDATED)', async () => {
    origin.route('/etag', (req, res, n) => {
      if (req.headers['if-none-match'] === '"e1"') return res.writeHead(304, { etag: '"e1"', 'cache-control': 'max-age=0', 'x-rev': String(n) }).end();
      res.writeHead(200, { etag: '"e1"', 'cache-control': 'max-age=0', 'x-rev': String(n) }).end('etag-body');
    });
    expect((await get('/etag')).cache).toBe('MISS');
    await waitFor(() => isStored(HOST, '/etag'), 3_000, 'the /etag entry in the cache directory');
    let r = await get('/etag');
    for (let i = 0; i < 20 && r.cache === 'MISS'; i++) r = await get('/etag');
    expect([r.status, r.cache, r.body]).toEqual([200, 'REVALIDATED', 'etag-body']);
    expect(Number(r.headers['x-rev'])).toBeGreaterThan(1);
    expect(origin.requests.at(-1)!.headers['if-none-match']).toBe('"e1"');
  });

  it('answers a client\'s conditional request 304 from the cache, HEAD from a stored GET, Range 206', async () => {
    origin.route('/doc', (_q, res) => res.writeHead(200, { etag: '"d1"', 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT', 'cache-control': 'max-age=60' }).end('0123456789'));
    await get('/doc');
    await waitFor(async () => (await get('/doc')).cache === 'HIT', 3_000, 'a HIT');
    const c = await get('/doc', { 'if-none-match': '"d1"' });
    expect([c.status, c.cache, c.body, c.headers['etag']]).toEqual([304, 'HIT', '', '"d1"']);
    const ims = await get('/doc', { 'if-modified-since': 'Tue, 02 Jan 2024 00:00:00 GMT' });
    expect(ims.status).toBe(304);
    const head = await get('/doc', {}, 'HEAD');
    expect([head.status, head.cache, head.headers['content-length']]).toEqual([200, 'HIT', '10']);
    const range = await get('/doc', { range: 'bytes=2-5' });
    expect([range.status, range.body, range.headers['content-range']]).toEqual([206, '2345', 'bytes 2-5/10']);
    const suffix = await get('/doc', { range: 'bytes=-3' });
    expect([suffix.status, suffix.body]).toEqual([206, '789']);
    const bad = await get('/doc', { range: 'bytes=20-' });
    expect([bad.status, bad.headers['content-range']]).toEqual([416, 'bytes */10']);
    expect(count('/doc')).toBe(1);
  });

  it('a HEAD that misses is fetched as a GET and stored; the client gets the head only', async () => {
    origin.route('/head-first', (req, res, n) => res.writeHead(200, { 'cache-control': 'max-age=60', 'x-method': req.method! }).end(`hf${n}`));
    const head = await get('/head-first', {}, 'HEAD');
    expect([head.status, head.cache, head.body, head.headers['x-method']]).toEqual([200, 'MISS', '', 'GET']);
    await waitFor(async () => (await get('/head-first')).cache === 'HIT', 3_000, 'a HIT');
    expect((await get('/head-first')).body).toBe('hf1');
    expect(count('/head-first')).toBe(1);
  });

  it('a Range request that misses stores the whole response and gets its range (206) as it streams', async () => {
    const body = Buffer.alloc(300_000, 'abcdefghij');
    origin.route('/ranged', (_q, res) => res.writeHead(200, { 'cache-control': 'max-age=60', 'content-length': body.length, etag: '"rg"' }).end(body));
    origin.route('/ranged-chunked', (_q, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60' });
      res.end('0123456789');
    });
    const miss = await get('/ranged', { range: 'bytes=100000-100009' });
    expect([miss.status, miss.cache, miss.body, miss.headers['content-range'], miss.headers['content-length']]).toEqual([206, 'MISS', 'abcdefghij', 'bytes 100000-100009/300000', '10']);
    expect(origin.requests.at(-1)!.headers['range']).toBeUndefined();
    await waitFor(async () => (await get('/ranged')).cache === 'HIT', 3_000, 'a HIT');
    const again = await get('/ranged', { range: 'bytes=-5' });
    expect([again.status, again.cache, again.body]).toEqual([206, 'HIT', 'fghij']);
    expect(count('/ranged')).toBe(1);
    // If-Range with another validator, an unsatisfiable range, no declared length: the whole 200 or a 416.
    const stale = await get('/ranged-chunked', { range: 'bytes=2-3' });
    expect([stale.status, stale.body]).toEqual([200, '0123456789']);
    origin.route('/ranged-416', (_q, res) => res.writeHead(200, { 'cache-control': 'max-age=60', 'content-length': 4 }).end('abcd'));
    const unsatisfiable = await get('/ranged-416', { range: 'bytes=10-' });
    expect([unsatisfiable.status, unsatisfiable.headers['content-range']]).toEqual([416, 'bytes */4']);
    await waitFor(async () => (await get('/ranged-416')).cache === 'HIT', 3_000, 'the 416 miss stored the whole response');
    origin.route('/ranged-ifrange', (_q, res) => res.writeHead(200, { 'cache-control': 'max-age=60', 'content-length': 4, etag: '"new"' }).end('wxyz'));
    const ifRange = await get('/ranged-ifrange', { range: 'bytes=1-2', 'if-range': '"old"' });
    expect([ifRange.status, ifRange.body]).toEqual([200, 'wxyz']);
  });

  it('a response with trailer fields (an HTTP/2 origin) reaches the client with them and is not stored', { timeout: 30_000 }, async () => {
    let n = 0;
    const h2 = createH2Server((_req, res) => {
      n++;
      res.writeHead(200, { 'cache-control': 'max-age=60', trailer: 'x-digest' });
      res.write(`t${n}`);
      res.addTrailers({ 'x-digest': `d${n}` });
      res.end();
    });
    const sessions = new Set<ServerHttp2Session>();
    h2.on('session', (session) => sessions.add(session));
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (h2.address() as { port: number }).port;
      await writeFile(join(dir, 'h2.yaml'), [serviceYaml('h2origin', [{ host: '127.0.0.1', port }]), cacheIngress({ 'pier.dev/backend-protocol': 'H2C' }, 'h2', 'h2.example').replace('name: origin', 'name: h2origin')].join('---\n'));
      await waitFor(async () => (await get('/t', {}, 'GET', false, 'h2.example')).status === 200, 10_000, 'the h2c route');
      const before = n;
      for (let i = 1; i <= 2; i++) {
        const res = await request(`http://127.0.0.1:${pier.httpPort}/t`, { headers: { host: 'h2.example', te: 'trailers' }, dispatcher: agent });
        expect([res.statusCode, res.headers['x-cache-status'], await res.body.text(), res.trailers['x-digest']]).toEqual([200, 'MISS', `t${before + i}`, `d${before + i}`]);
      }
      expect(n).toBe(before + 2);
    } finally {
      await rm(join(dir, 'h2.yaml'), { force: true });
      for (const session of sessions) session.destroy();
      await new Promise((r) => h2.close(r));
    }
  });

  it('keeps one variant per Vary value', async () => {
    origin.route('/vary', (req, res) => res.writeHead(200, { vary: 'Accept-Language', 'cache-control': 'max-age=60' }).end(`lang=${req.headers['accept-language']}`));
    for (const lang of ['en', 'fr', 'en', 'fr']) await get('/vary', { 'accept-language': lang });
    await waitFor(async () => (await get('/vary', { 'accept-language': 'fr' })).cache === 'HIT', 3_000, 'a HIT');
    expect((await get('/vary', { 'accept-language': 'en' })).body).toBe('lang=en');
    expect((await get('/vary', { 'accept-language': 'fr' })).body).toBe('lang=fr');
    expect(count('/vary')).toBeLessThanOrEqual(4);
    const before = count('/vary');
    await get('/vary', { 'accept-language': 'en' });
    await get('/vary', { 'accept-language': 'fr' });
    expect(count('/vary')).toBe(before);
    // Values that mean the same (spaces around commas, case of language tags) share a variant;
    // another order does not (it may say another preference).
    origin.route('/vary-norm', (req, res) => res.writeHead(200, { vary: 'Accept-Language', 'cache-control': 'max-age=60' }).end(`lang=${req.headers['accept-language']}`));
    await get('/vary-norm', { 'accept-language': 'en, de' });
    await waitFor(async () => (await get('/vary-norm', { 'accept-language': 'en, de' })).cache === 'HIT', 3_000, 'a HIT');
    for (const same of ['en,de', 'EN ,  De']) expect((await get('/vary-norm', { 'accept-language': same })).body).toBe('lang=en, de');
    expect((await get('/vary-norm', { 'accept-language': 'de, en' })).cache).toBe('MISS');
  });

  it('never stores private, no-store, Set-Cookie (unless public) or Authorization responses', async () => {
    origin.route('/private', (_q, res) => res.writeHead(200, { 'cache-control': 'private, max-age=60' }).end('p'));
    origin.route('/nostore', (_q, res) => res.writeHead(200, { 'cache-control': 'no-store' }).end('n'));
    origin.route('/cookie', (_q, res) => res.writeHead(200, { 'cache-control': 'max-age=60', 'set-cookie': 'a=b' }).end('c'));
    origin.route('/auth', (_q, res) => res.writeHead(200, { 'cache-control': 'max-age=60' }).end('a'));
    for (let i = 0; i < 3; i++) {
      await get('/private');
      await get('/nostore');
      await get('/cookie');
      await get('/auth', { authorization: 'Basic eDp5' });
    }
    expect([count('/private'), count('/nostore'), count('/cookie'), count('/auth')]).toEqual([3, 3, 3, 3]);
  });

  it('cache-valid gives freshness to responses without their own; the bypass header skips the lookup', async () => {
    origin.route('/plain', (_q, res, n) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`plain${n}`));
    await get('/plain');
    await waitFor(async () => (await get('/plain')).cache === 'HIT', 3_000, 'a HIT');
    const bypass = await get('/plain', { 'x-nocache': '1' });
    expect([bypass.cache, bypass.body]).toEqual(['BYPASS', 'plain2']);
  });

  it('invalidates after a successful unsafe method (RFC 9111 §4.4)', async () => {
    origin.route('/item', (req, res, n) => res.writeHead(200, { 'cache-control': 'max-age=60' }).end(`${req.method}${n}`));
    await get('/item');
    await waitFor(async () => (await get('/item')).cache === 'HIT', 3_000, 'a HIT');
    await get('/item', {}, 'POST');
    const after = await get('/item');
    expect(after.cache).toBe('MISS');
    // Location on the same host is invalidated too.
    origin.route('/other', (_q, res, n) => res.writeHead(200, { 'cache-control': 'max-age=60' }).end(`o${n}`));
    origin.route('/form', (_q, res) => res.writeHead(303, { location: '/other', 'content-length': '0' }).end());
    await get('/other');
    await waitFor(async () => (await get('/other')).cache === 'HIT', 3_000, 'a HIT');
    await get('/form', {}, 'POST');
    expect((await get('/other')).cache).toBe('MISS');
  });

  it('only-if-cached: 504 when nothing usable is stored', async () => {
    const r = await get('/never-stored', { 'cache-control': 'only-if-cached' });
    expect(r.status).toBe(504);
    expect(count('/never-stored')).toBe(0);
  });

  it('stale-while-revalidate serves STALE and refreshes in the background; stale-if-error serves STALE on a 500', async () => {
    origin.route('/swr', (_q, res, n) => res.writeHead(200, { 'cache-control': 'max-age=1, stale-while-revalidate=60' }).end(`swr${n}`));
    await get('/swr');
    await waitFor(async () => (await get('/swr')).cache === 'HIT', 3_000, 'a HIT');
    await waitFor(async () => ['STALE', 'UPDATING'].includes(String((await get('/swr')).cache)), 4_000, 'a STALE answer');
    await waitFor(() => count('/swr') >= 2, 3_000, 'the background refresh');
    let failing = false;
    origin.route('/sie', (_q, res, n) => (failing ? res.writeHead(500).end('down') : res.writeHead(200, { 'cache-control': 'max-age=1, stale-if-error=60' }).end(`sie${n}`)));
    await get('/sie');
    await waitFor(async () => (await get('/sie')).cache === 'HIT', 3_000, 'a HIT');
    failing = true;
    await waitFor(async () => {
      const r = await get('/sie');
      return r.cache === 'STALE' && r.body === 'sie1' && r.status === 200;
    }, 4_000, 'a STALE answer for the 500');
  });

  it('streams a 3 MiB body to the client while storing it, and serves it whole from the file (too big for the workers\' memory)', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 123);
    origin.route('/big', (_q, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60' });
      // Chunked, in pieces: the store sees a stream, not one buffer.
      for (let i = 0; i < big.length; i += 65536) res.write(big.subarray(i, i + 65536));
      res.end();
    });
    const bytes = async (headers: Record<string, string> = {}) => {
      const res = await request(`http://127.0.0.1:${pier.httpPort}/big`, { headers: { host: HOST, ...headers }, dispatcher: agent });
      return { status: res.statusCode, cache: res.headers['x-cache-status'], length: res.headers['content-length'], body: Buffer.from(await res.body.arrayBuffer()) };
    };
    const first = await bytes();
    expect([first.cache, first.body.equals(big)]).toEqual(['MISS', true]);
    await waitFor(async () => (await bytes()).cache === 'HIT', 3_000, 'a HIT');
    // Several at once: each file read goes through the pooled read buffers.
    const hits = await Promise.all(Array.from({ length: 6 }, () => bytes()));
    expect(hits.every((h) => h.cache === 'HIT' && h.length === String(big.length) && h.body.equals(big))).toBe(true);
    const tail = await bytes({ range: 'bytes=1048000-' });
    expect([tail.status, tail.body.equals(big.subarray(1048000))]).toEqual([206, true]);
    const middle = await bytes({ range: 'bytes=262000-524400' });
    expect([middle.status, middle.body.equals(big.subarray(262000, 524401))]).toEqual([206, true]);
    expect(count('/big')).toBe(1);
  });

  it('a 1 MiB body (kept in the workers\' memory once read) is served whole on every hit', async () => {
    const mid = randomBytes(1024 * 1024);
    origin.route('/mid', (_q, res) => res.writeHead(200, { 'cache-control': 'max-age=60', 'content-length': mid.length }).end(mid));
    await get('/mid');
    await waitFor(async () => (await get('/mid')).cache === 'HIT', 3_000, 'a HIT');
    for (let i = 0; i < 4; i++) {
      const res = await request(`http://127.0.0.1:${pier.httpPort}/mid`, { headers: { host: HOST }, dispatcher: agent });
      expect(Buffer.from(await res.body.arrayBuffer()).equals(mid)).toBe(true);
    }
    expect(count('/mid')).toBe(1);
  });

  it('counts hits, misses and bytes per Ingress in /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${pier.healthPort}/metrics`)).text();
    expect(Number(/^pier_cache_hits_total\{[^}]*ingress="default\/cached"[^}]*\} (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/^pier_cache_misses_total\{[^}]*ingress="default\/cached"[^}]*\} (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/^pier_cache_hit_bytes_total\{[^}]*ingress="default\/cached"[^}]*\} (\d+)/m.exec(text)?.[1])).toBeGreaterThan(1024 * 1024);
    expect(Number(/^pier_cache_bytes (\d+)/m.exec(text)?.[1])).toBeGreaterThan(1024 * 1024);
  });

  it('pier cache purge removes a URL through the health port', async () => {
    origin.route('/purge-me', (_q, res, n) => res.writeHead(200, { 'cache-control': 'max-age=60' }).end(`p${n}`));
    await get('/purge-me');
    await waitFor(async () => (await get('/purge-me')).cache === 'HIT', 3_000, 'a HIT');
    const res = await fetch(`http://127.0.0.1:${pier.healthPort}/cache/purge`, { method: 'POST', body: `http://${HOST}/purge-*` });
    expect(await res.text()).toMatch(/^purged [1-9]/);
    expect((await get('/purge-me')).cache).toBe('MISS');
  });
  it('survives a routing-table swap and a worker recycle (SIGHUP)', { timeout: 90_000 }, async () => {
    origin.route('/durable', (_q, res, n) => res.writeHead(200, { 'cache-control': 'max-age=600' }).end(`d${n}`));
    await get('/durable');
    await waitFor(async () => (await get('/durable')).cache === 'HIT', 3_000, 'a HIT');
    const generation = async () => Number(/^pier_table_generation (\d+)/m.exec(await (await fetch(`http://127.0.0.1:${pier.healthPort}/metrics`)).text())?.[1]);
    const before = await generation();
    await writeFile(join(dir, 'extra.yaml'), cacheIngress({}).replace('name: cached', 'name: other').replace(HOST, 'other.example'));
    await waitFor(async () => (await generation()) > before, 10_000, 'a new table');
    expect((await get('/durable')).cache).toBe('HIT');
    const recycled = pier.output().length;
    pier.child.kill('SIGHUP');
    await agent.close();
    agent = new Agent({ connections: 200 });
    await waitFor(() => pier.output().slice(recycled).includes('workers recycled'), 60_000, 'the recycle');
    const after = await get('/durable', {}, 'GET', true);
    expect([after.cache, after.body]).toEqual(['HIT', 'd1']);
    expect(count('/durable')).toBe(1);
  });

  // Last: it replaces the running Pier.
  it('a restarted Pier serves the entries the last run left in --cache-dir', { timeout: 60_000 }, async () => {
    origin.route('/kept', (_q, res, n) => res.writeHead(200, { 'cache-control': 'max-age=600' }).end(`k${n}`));
    await get('/kept');
    await waitFor(async () => (await get('/kept')).cache === 'HIT', 3_000, 'a HIT');
    await pier.stop();
    await agent.close();
    agent = new Agent({ connections: 200 });
    pier = await startPier(['--manifests', dir, '--workers', '2', '--access-log', '--cache-dir', cacheDir, '--cache-size', '8Mi'], { readyTimeoutMs: 30_000 });
    const after = await get('/kept');
    expect([after.cache, after.body]).toEqual(['HIT', 'k1']);
    expect(count('/kept')).toBe(1);
    expect(pier.output()).toMatch(/entries of an earlier run loaded/);
  });
});
