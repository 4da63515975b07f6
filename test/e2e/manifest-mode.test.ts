import { connect } from 'node:net';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { freePort } from '../helpers/free-port.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from './manifests.ts';

/**
 * Issue 2 end to end: the real `pier serve --manifests DIR` process, real backends on
 * 127.0.0.x, real HTTP requests.
 */
describe('pier serve --manifests', () => {
  let dir: string;
  let web: EchoBackend;
  let api: EchoBackend;
  let pier: PierProcess;
  let deadPort: number;

  const get = (host: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    request(`http://127.0.0.1:${pier.httpPort}${path}`, { method: (init.method ?? 'GET') as 'GET', headers: { host, ...init.headers }, body: init.body });
  const backendOf = async (host: string, path: string) => {
    const res = await get(host, path);
    await res.body.text();
    return res.statusCode === 200 ? String(res.headers['x-backend']) : res.statusCode;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-e2e-'));
    web = await startEchoBackend('web', '127.0.0.2');
    api = await startEchoBackend('api', '127.0.0.3');
    deadPort = await freePort();
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'services.yaml'), [
      serviceYaml('web', [{ host: web.host, port: web.port }]),
      serviceYaml('api', [{ host: api.host, port: api.port }]),
      serviceYaml('dead', [{ host: '127.0.0.1', port: deadPort }]),
      'apiVersion: v1\nkind: Service\nmetadata: { name: empty, namespace: default }\nspec: { ports: [{ name: http, port: 80 }] }\n',
    ].join('---\n'));
    await writeFile(join(dir, 'ingress.yaml'), ingressYaml('site', 'shop.example', [
      { path: '/', service: 'web' },
      { path: '/api', service: 'api' },
      { path: '/exact', type: 'Exact', service: 'api' },
      { path: '/dead', service: 'dead' },
      { path: '/empty', service: 'empty' },
      { path: '/missing', service: 'nosuchservice' },
    ]));
    pier = await startPier(['--manifests', dir, '--workers', '2']);
  });

  afterAll(async () => {
    // Nothing above may have crashed a worker (the supervisor would have restarted it quietly).
    expect(pier?.output() ?? '').not.toMatch(/worker exited unexpectedly/);
    await pier?.stop();
    await Promise.all([web?.close(), api?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('routes by host and path to the right backend', async () => {
    expect(await backendOf('shop.example', '/')).toBe('web');
    expect(await backendOf('SHOP.example:8080', '/anything')).toBe('web');
    expect(await backendOf('shop.example', '/api')).toBe('api');
    expect(await backendOf('shop.example', '/api/v1/users')).toBe('api');
    expect(await backendOf('shop.example', '/apiary')).toBe('web');
    expect(await backendOf('shop.example', '/exact')).toBe('api');
    expect(await backendOf('shop.example', '/exact/')).toBe('web');
    expect(await backendOf('other.example', '/')).toBe(404);
  });

  it('forwards method, path with query, Host and X-Forwarded-* headers', async () => {
    const res = await get('shop.example', '/api/items?id=7&x=%20y', {
      method: 'POST', body: 'hello', headers: { 'x-forwarded-for': '203.0.113.9', 'content-type': 'text/plain' },
    });
    expect(res.statusCode).toBe(200);
    const seen = (await res.body.json()) as { method: string; url: string; headers: Record<string, string>; bodyBytes: number };
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/api/items?id=7&x=%20y');
    expect(seen.bodyBytes).toBe(5);
    expect(seen.headers.host).toBe('shop.example');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-original-forwarded-for']).toBe('203.0.113.9');
    expect(seen.headers['x-scheme']).toBe('http');
    expect(seen.headers['x-forwarded-scheme']).toBe('http');
    expect(seen.headers['x-real-ip']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe('shop.example');
    expect(seen.headers['x-forwarded-port']).toBe(String(pier.httpPort));
    expect(res.headers.server).toBeUndefined(); // hidden, as ingress-nginx hides it
  });

  it('does not forward hop-by-hop headers, including those Connection names', async () => {
    // A raw request: HTTP clients refuse to send arbitrary Connection tokens.
    const reply = await rawExchange(pier.httpPort,
      'GET /api/hop HTTP/1.1\r\nHost: shop.example\r\nConnection: close, x-drop-me\r\nX-Drop-Me: 1\r\nKeep-Alive: timeout=5\r\n' +
      'TE: trailers\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nProxy-Connection: keep-alive\r\nX-Keep-Me: yes\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    const seen = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string> };
    expect(seen.headers['x-keep-me']).toBe('yes');
    for (const h of ['x-drop-me', 'keep-alive', 'te', 'proxy-authorization', 'proxy-connection']) expect(seen.headers[h], h).toBeUndefined();
  });

  it('exposes /metrics aggregated across workers', { timeout: 40_000 }, async () => {
    // Worker metrics travel over IPC; on a loaded machine one scrape may miss them (prom-client
    // gives workers 5 s), so poll a few scrapes before judging.
    let text = '';
    await waitFor(async () => {
      text = await (await fetch(`http://127.0.0.1:${pier.healthPort}/metrics`)).text();
      return /^pier_requests_total\{[^}]*\} \d+$/m.test(text) && /^pier_upstream_retries_total \d+$/m.test(text);
    }, 20_000, 'worker metrics in /metrics').catch(() => {});
    expect(text).toMatch(/^pier_ready 1$/m);
    expect(text).toMatch(/^pier_requests_total\{namespace="[^"]*",ingress="[^"]*",service="[^"]*",method="[A-Z]+",status="\d{3}"\} \d+$/m);
    expect(text).toMatch(/^pier_upstream_retries_total \d+$/m);
    expect(text, pier.output()).toMatch(/^pier_worker_table_generation\{slot="1"\} [1-9]\d*$/m);
  });

  it('answers 502, 503 and 404 itself without revealing a version', async () => {
    for (const [path, status] of [['/dead', 502], ['/empty', 503], ['/missing', 503]] as const) {
      const res = await get('shop.example', path);
      const body = await res.body.text();
      expect(res.statusCode, path).toBe(status);
      expect(body).not.toMatch(/pier|node|\d+\.\d+\.\d+/i);
      expect(res.headers.server).toBeUndefined();
    }
    const res = await get('nowhere.example', '/');
    expect(res.statusCode).toBe(404);
    expect(await res.body.text()).not.toMatch(/\d+\.\d+/);
  });

  it('streams a large request body to the backend', async () => {
    const size = 20 * 1024 * 1024;
    const res = await get('shop.example', '/upload', { method: 'PUT', body: 'x'.repeat(size) });
    const seen = (await res.body.json()) as { bodyBytes: number };
    expect(seen.bodyBytes).toBe(size);
  });

  it('applies directory edits without a restart: create, atomic rename, delete', async () => {
    await writeFile(join(dir, 'late.yaml'), ingressYaml('late', 'late.example', [{ path: '/', service: 'api' }]));
    await waitFor(async () => (await backendOf('late.example', '/')) === 'api', 5_000, 'new file served');

    const tmp = join(dir, '.late.yaml.tmp');
    await writeFile(tmp, ingressYaml('late', 'late.example', [{ path: '/', service: 'web' }]));
    await rename(tmp, join(dir, 'late.yaml'));
    await waitFor(async () => (await backendOf('late.example', '/')) === 'web', 5_000, 'renamed-over file served');

    await rm(join(dir, 'late.yaml'));
    await waitFor(async () => (await backendOf('late.example', '/')) === 404, 5_000, 'deleted file unserved');
  });

  it('reports a broken file and keeps serving the last good state of everything', async () => {
    await writeFile(join(dir, 'broken.yaml'), 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: [unclosed\n');
    await waitFor(() => /broken\.yaml/.test(pier.output()), 5_000, 'parse error logged');
    expect(await backendOf('shop.example', '/api')).toBe('api');

    // A file that was good, then breaks: its objects keep serving until it parses again.
    await writeFile(join(dir, 'ingress.yaml'), 'kind: Ingress\n  bad: indentation: here\n');
    await new Promise((r) => setTimeout(r, 400));
    expect(await backendOf('shop.example', '/api')).toBe('api');
    await rm(join(dir, 'broken.yaml'));
  });

  it('skips a malformed Ingress with a log line and serves the rest', async () => {
    await writeFile(join(dir, 'bad-ingress.yaml'), ingressYaml('bad', 'bad..example', [{ path: 'no-slash', service: 'web' }]) + '---\n' + ingressYaml('good', 'good.example', [{ path: '/', service: 'web' }]));
    await waitFor(async () => (await backendOf('good.example', '/')) === 'web', 5_000, 'good Ingress served');
    expect(pier.output()).toMatch(/"kind":"Ingress","namespace":"default","name":"bad"/);
    expect(await backendOf('bad..example', '/')).toBe(404);
  });

  it('answers a malformed request with 400 and keeps serving', async () => {
    const reply = await rawExchange(pier.httpPort, 'GET / HTTP/1.1\r\nHost: shop.example\r\nBad Header Line\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(await backendOf('shop.example', '/')).toBe('web');
  });
});

/** Sends `text` on a new connection and resolves with everything received until it closes. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('data', (d) => (data += d.toString()));
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
  });
}

describe('pier command line', () => {
  it('--help lists every flag and exits 0; a bad value exits 2 with a clear message', async () => {
    const { spawnSync } = await import('node:child_process');
    const bin = new URL('../../bin/pier.js', import.meta.url).pathname;
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const flag of ['--manifests', '--http-port', '--https-port', '--health-port', '--workers', '--ingress-class', '--controller-name', '--watch-namespace', '--watch-ingress-without-class']) {
      expect(help.stdout).toContain(flag);
    }
    const bad = spawnSync(process.execPath, [bin, 'serve', '--http-port', 'eighty'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('invalid value for --http-port: "eighty"');
    const unknown = spawnSync(process.execPath, [bin, 'serve', '--no-such-flag'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
  });
});
