import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * Which backend response headers clients get, through `pier serve`: as from ingress-nginx, no
 * Server (its server-tokens off; nginx's proxy_hide_header defaults also drop X-Pad and
 * X-Accel-*), fresh or from the cache; `--allow-backend-server-header` passes Server and
 * `--hide-headers` hides more (ingress-nginx's ConfigMap keys). And which request headers the
 * backend gets: none named with `_` (nginx's underscores_in_headers off), unless
 * `--enable-underscores-in-headers`.
 */

function get(port: number, host: string, headers: Record<string, string> = {}): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/page', headers: { host, ...headers }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('backend response headers clients get (Server, X-Accel-*, --hide-headers)', () => {
  let backend: Server;
  let dir: string;
  const started: PierProcess[] = [];
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    backend = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.writeHead(200, { server: 'Apache/2.4.1 (Unix)', 'x-powered-by': 'PHP/8.2.1', 'x-accel-buffering': 'no', 'cache-control': 'max-age=60', 'content-type': 'text/plain' });
      res.end('page');
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    dir = await mkdtemp(join(tmpdir(), 'pier-response-headers-'));
    await writeFile(join(dir, 'objects.yaml'), [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('web', [{ host: '127.0.0.1', port: (backend.address() as AddressInfo).port }])}`,
      annotatedIngressYaml('plain', 'plain.test', 'web', {}),
      annotatedIngressYaml('cached', 'cached.test', 'web', { 'pier.dev/cache': 'on' }),
    ].join('\n'));
  });

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Pier with ingress-nginx's defaults, and Pier with every flag of this file given. */
  let plain: PierProcess;
  let flagged: PierProcess;
  beforeAll(async () => {
    [plain, flagged] = await Promise.all([
      startPier(['--manifests', dir, '--workers', '1']),
      startPier(['--manifests', dir, '--workers', '1', '--allow-backend-server-header', '--hide-headers', 'X-Powered-By', '--enable-underscores-in-headers']),
    ]);
    started.push(plain, flagged);
  });

  it('by default: no Server, X-Accel-* or X-Pad from the backend, fresh or from the cache; the rest passes', async () => {
    for (const host of ['plain.test', 'cached.test', 'cached.test']) {
      const headers = await get(plain.httpPort, host);
      expect([headers.server, headers['x-accel-buffering']], host).toEqual([undefined, undefined]);
      expect(headers['x-powered-by'], host).toBe('PHP/8.2.1');
    }
  });

  it('--allow-backend-server-header passes Server; --hide-headers X-Powered-By hides that too', async () => {
    const headers = await get(flagged.httpPort, 'plain.test');
    expect(headers.server).toBe('Apache/2.4.1 (Unix)');
    expect(headers['x-powered-by']).toBeUndefined();
  });

  it('request headers named with an underscore do not reach the backend (X_Real_IP would pass for X-Real-IP in CGI-style backends), unless --enable-underscores-in-headers', async () => {
    const sent = { x_real_ip: '6.6.6.6', 'x-plain': 'kept' };
    seen.length = 0;
    await get(plain.httpPort, 'plain.test', sent);
    expect([seen[0]!['x_real_ip'], seen[0]!['x-plain']]).toEqual([undefined, 'kept']);
    seen.length = 0;
    await get(flagged.httpPort, 'plain.test', sent);
    expect([seen[0]!['x_real_ip'], seen[0]!['x-plain']]).toEqual(['6.6.6.6', 'kept']);
  });
});
