import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML } from '../e2e/manifests.ts';
import { total } from '../helpers/prometheus-text.ts';
import { logLines, siteYaml } from '../e2e/upstream-backends.ts';
import { ensurePhpFpm, startPhpFpm, type PhpFpm } from './php-fpm.ts';

const env = ensurePhpFpm();
if ('missing' in env) console.log(`SKIPPED test/fastcgi/pier-fastcgi-e2e.test.ts: ${env.missing}`);
const suite = 'missing' in env ? describe.skip : describe;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** One request to Pier for `<site>.example`; `body` is streamed in 64 KiB writes when a size is given. */
function call(port: number, site: string, method: string, path: string, body?: { size: number; hash?: ReturnType<typeof createHash> }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { host: `${site}.example`, ...(body ? { 'content-type': 'application/octet-stream', 'content-length': String(body.size) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!body) {
      req.end();
      return;
    }
    let sent = 0;
    const write = (): void => {
      while (sent < body.size) {
        const chunk = Buffer.alloc(Math.min(65_536, body.size - sent), sent % 253);
        sent += chunk.length;
        body.hash?.update(chunk);
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

suite('pier serve with an Upstream of protocol FastCGI, in front of php-fpm', () => {
  let tcp: PhpFpm;
  let unix: PhpFpm;
  let pier: PierProcess;
  let dir: string;
  const get = (site: string, path: string) => call(pier.httpPort, site, 'GET', path);

  beforeAll(async () => {
    if ('missing' in env) return;
    [tcp, unix] = await Promise.all([startPhpFpm(env.fpm, { maxChildren: 6 }), startPhpFpm(env.fpm, { unix: true, maxChildren: 2, maxRequests: 5 })]);
    dir = await mkdtemp(join(tmpdir(), 'pier-fcgi-e2e-'));
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'sites.yaml'), [
      siteYaml('php', { servers: [{ address: '127.0.0.1', port: tcp.port }], protocol: 'FastCGI', fastcgi: { documentRoot: tcp.docRoot }, timeouts: { read: '1s' }, keepalive: { connections: 4 } }),
      siteYaml('sock', { servers: [{ address: `unix:${unix.socket}` }], protocol: 'FastCGI', fastcgi: { documentRoot: unix.docRoot } }),
    ].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--access-log'], { readyTimeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await pier?.stop();
    await Promise.all([tcp?.stop(), unix?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('GET with a query, custom status and headers', async () => {
    const a = await get('php', '/echo.php?q=pier');
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe('q=pier;n=');
    const s = await get('php', '/status.php');
    expect(s.status).toBe(418);
    expect(s.headers['x-custom']).toBe('one, two');
  });

  it('CGI params through the real request path (client facts from the headers Pier sets)', async () => {
    const a = await get('php', '/server.php/more?x=1');
    const server = JSON.parse(a.body.toString()) as Record<string, string>;
    expect(server).toMatchObject({
      SCRIPT_NAME: '/server.php', PATH_INFO: '/more', QUERY_STRING: 'x=1', REQUEST_URI: '/server.php/more?x=1', SERVER_NAME: 'php.example',
      REMOTE_ADDR: '127.0.0.1', REQUEST_SCHEME: 'http', SERVER_PORT: String(pier.httpPort), SERVER_SOFTWARE: 'pier', GATEWAY_INTERFACE: 'CGI/1.1',
    });
    expect(server.HTTP_PROXY).toBeUndefined();
  });

  it('a 10 MB POST streams through', async () => {
    const hash = createHash('sha256');
    const a = await call(pier.httpPort, 'php', 'POST', '/upload.php', { size: 10 * 1024 * 1024, hash });
    expect(a.status).toBe(200);
    const json = JSON.parse(a.body.toString()) as { length: number; sha256: string };
    expect(json).toMatchObject({ length: 10 * 1024 * 1024, sha256: hash.digest('hex') });
  });

  it('a response without Content-Length is sent chunked', async () => {
    const a = await get('php', '/big.php?kib=2048');
    expect(a.status).toBe(200);
    expect(a.headers['transfer-encoding']).toBe('chunked');
    expect(a.body.length).toBe(2048 * 1024);
  });

  it('Location: client redirect 302, local redirect served in place', async () => {
    const c = await get('php', '/redirect-client.php');
    expect(c.status).toBe(302);
    expect(c.headers.location).toBe('https://example.com/elsewhere?x=1');
    const l = await get('php', '/redirect-local.php');
    expect(l.status).toBe(200);
    expect(l.body.toString()).toBe('q=local;n=');
  });

  it('a slow script past the read timeout: 504', async () => {
    const a = await get('php', '/slow.php?ms=2500');
    expect(a.status).toBe(504);
  });

  it('unix socket with pm.max_requests=5 (php-fpm closing connections itself): no client errors', async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => get('sock', `/echo.php?n=${round * 4 + i}`)));
      statuses.push(...answers.map((x) => x.status));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('php-fpm restarted (SIGUSR2) while idempotent requests flow: no client errors', async () => {
    let stop = false;
    const statuses: number[] = [];
    const loop = async (): Promise<void> => {
      // Bounded: at most 2,000 requests per loop, and it ends once the restart is done.
      for (let i = 0; i < 2_000 && !stop; i++) statuses.push((await get('php', `/echo.php?n=${i}`)).status);
    };
    const loops = [loop(), loop(), loop()];
    await new Promise((r) => setTimeout(r, 200));
    await tcp.reload();
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    expect(statuses.length).toBeGreaterThan(20);
    // On failure, the access log says why (its `reason`: reset, connect-failure, timeout...).
    const failedLines = pier.output().split('\n').filter((l) => /"status":[45]\d\d/.test(l)).slice(-5).join('\n');
    expect(statuses.filter((s) => s !== 200), `access log lines of the failed requests:\n${failedLines}`).toEqual([]);
  });

  it('access log and metrics count FastCGI requests like HTTP ones', async () => {
    const metrics = await fetch(`http://127.0.0.1:${pier.healthPort}/metrics`).then((r) => r.text());
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? NaN);
    expect(total(metrics, 'pier_requests_total', { namespace: 'default', service: 'php' })).toBeGreaterThan(40);
    // The slow script's 504 (a read timeout, retried twice first, as for HTTP).
    expect(metrics).toMatch(/^pier_responses_generated_total\{code="504"\} [1-9]/m);
    expect(value('pier_upstream_retries_total')).toBeGreaterThanOrEqual(2);
    const access = logLines(pier.output()).filter((l) => l.request_id !== undefined);
    expect(access.find((l) => l.path === '/echo.php' && l.request_query === 'q=pier')).toMatchObject({ status: 200, proxy_upstream_name: 'upstream:default/php', upstream_addr: `127.0.0.1:${tcp.port}`, vhost: 'php.example', service_name: 'php' });
    expect(access.some((l) => l.proxy_upstream_name === 'upstream:default/sock' && l.status === 200)).toBe(true);
    expect(logLines(pier.output()).some((l) => l.level === 'error')).toBe(false);
  });
});
