import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../dataplane/helpers.ts';
import { freePort } from '../helpers/free-port.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML } from '../e2e/manifests.ts';
import { siteYaml } from '../e2e/upstream-backends.ts';
import { startH2Backend, type H2Backend } from './h2-helpers.ts';

/**
 * Phase 1 end to end: an HTTP/1.1 client through the real `pier serve --manifests DIR` to an
 * `Upstream` of `protocol: H2C` (a node:http2 server, prior knowledge): ProxyExchange unchanged,
 * the HTTP/2 pool underneath.
 */
describe('HTTP/1.1 client → pier serve → Upstream protocol H2C', () => {
  let dir: string;
  let pier: PierProcess;
  let backend: H2Backend;

  const get = async (site: string, init: { method?: string; body?: PassThrough | string; headers?: Record<string, string>; path?: string } = {}) => {
    const res = await request(`http://127.0.0.1:${pier.httpPort}${init.path ?? '/'}`, {
      method: (init.method ?? 'GET') as 'GET', body: init.body, headers: { host: `${site}.example`, ...init.headers }, headersTimeout: 10_000,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, trailers: res.trailers };
  };

  beforeAll(async () => {
    backend = await startH2Backend((stream, headers) => {
      const path = String(headers[':path']);
      if (path === '/silent') return void stream.resume();
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'x-authority': String(headers[':authority']), 'x-forwarded-for': String(headers['x-forwarded-for']), 'x-te': String(headers.te) }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': String(Buffer.concat(chunks).length) }));
        stream.end(chunks.length > 0 ? `echo:${Buffer.concat(chunks).toString()}` : `h2c ${headers[':method']} ${path}`);
      });
    });
    dir = await mkdtemp(join(tmpdir(), 'pier-h2c-'));
    const dead = await freePort();
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'sites.yaml'), [
      siteYaml('h2c', { servers: [{ address: '127.0.0.1', port: backend.port }], protocol: 'H2C' }),
      siteYaml('h2c-slow', { servers: [{ address: '127.0.0.1', port: backend.port }], protocol: 'H2C', timeouts: { read: '300ms' }, retries: { attempts: 0 } }),
      siteYaml('h2c-down', { servers: [{ address: '127.0.0.1', port: dead, maxFails: 0 }], protocol: 'H2C' }),
    ].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1'], { readyTimeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await pier?.stop();
    await closeAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('GET: answered over HTTP/2, Host as :authority, X-Forwarded-* added, te: trailers sent upstream', async () => {
    const r = await get('h2c', { path: '/a?b=1' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('h2c GET /a?b=1');
    expect(r.headers['x-authority']).toBe('h2c.example');
    expect(r.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(r.headers['x-te']).toBe('trailers');
  });

  it('a chunked request body from the HTTP/1.1 client streams into the HTTP/2 request', async () => {
    const body = new PassThrough();
    const pending = get('h2c', { method: 'POST', body });
    body.write('part1-');
    body.end('part2');
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.text).toBe('echo:part1-part2');
  });

  it('many requests share one upstream connection (multiplexed)', async () => {
    const before = backend.connections;
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => get('h2c', { path: `/${i}` })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(backend.connections - before).toBeLessThanOrEqual(1);
  });

  it('upstream read timeout → 504; an endpoint refusing connections → 502', async () => {
    expect((await get('h2c-slow', { path: '/silent' })).status).toBe(504);
    expect((await get('h2c-down')).status).toBe(502);
  });

  it('response trailers from the HTTP/2 upstream reach the HTTP/1.1 client in the chunked body', async () => {
    const r = await get('h2c', { method: 'POST', body: 'abc' });
    expect(r.text).toBe('echo:abc');
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.trailers['x-checksum']).toBe('3');
  });
});
