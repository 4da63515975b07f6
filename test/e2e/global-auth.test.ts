import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * --global-auth-url (ingress-nginx's ConfigMap global-auth-url) through `pier serve`: every
 * Ingress without auth of its own is behind the controller's auth service, unless it says
 * enable-global-auth: "false"; cert-manager's HTTP-01 challenge path is not (no-auth-locations).
 */

function get(port: number, host: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, ...headers }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('--global-auth-url', () => {
  let auth: Server;
  let app: Server;
  let dir: string;
  let pier: PierProcess;
  let asked = 0;

  beforeAll(async () => {
    auth = createServer((req, res) => {
      asked++;
      res.writeHead(req.headers.authorization === 'Bearer ok' ? 200 : 401).end();
    });
    app = createServer((_req, res) => res.end('app'));
    auth.listen(0, '127.0.0.1');
    app.listen(0, '127.0.0.1');
    await Promise.all([once(auth, 'listening'), once(app, 'listening')]);
    dir = await mkdtemp(join(tmpdir(), 'pier-global-auth-'));
    await writeFile(join(dir, 'objects.yaml'), [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('app', [{ host: '127.0.0.1', port: (app.address() as AddressInfo).port }])}`,
      annotatedIngressYaml('app', 'app.test', 'app', {}),
      annotatedIngressYaml('public', 'public.test', 'app', { 'nginx.ingress.kubernetes.io/enable-global-auth': 'false' }),
      annotatedIngressYaml('cm-acme-http-solver', 'app.test', 'app', {}).replace('path: /', 'path: /.well-known/acme-challenge/Tok3n'),
    ].join('\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--global-auth-url', `http://127.0.0.1:${(auth.address() as AddressInfo).port}/check`]);
  });

  afterAll(async () => {
    await pier?.stop();
    auth?.close();
    app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('an Ingress without auth of its own is behind the controller\'s auth service', async () => {
    expect(await get(pier.httpPort, 'app.test', '/orders')).toBe(401);
    expect(await get(pier.httpPort, 'app.test', '/orders', { authorization: 'Bearer ok' })).toBe(200);
  });

  it('enable-global-auth: "false" opts an Ingress out; the ACME challenge path needs no auth', async () => {
    const before = asked;
    expect(await get(pier.httpPort, 'public.test', '/')).toBe(200);
    expect(await get(pier.httpPort, 'app.test', '/.well-known/acme-challenge/Tok3n')).toBe(200);
    expect(asked).toBe(before);
  });
});
