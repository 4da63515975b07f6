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
 * `auth-proxy-set-headers` through `pier serve`: the ConfigMap's headers reach the auth service
 * (nginx variables filled in, the client's own value of such a header replaced, an empty value
 * sending none), and the auth request carries the request's X-Request-ID, the one the backend
 * gets, as ingress-nginx's auth location sends `$req_id`.
 */

const AUTH_HEADERS_YAML = `apiVersion: v1
kind: ConfigMap
metadata: { name: auth-headers, namespace: default }
data:
  X-Auth-Source: pier
  X-Client: $remote_addr
  X-Forwarded-Uri: $request_uri
  X-Dropped: ""
`;

function get(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'app.test', ...headers }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('auth-proxy-set-headers (a ConfigMap of headers for the auth request)', () => {
  let auth: Server;
  let app: Server;
  let dir: string;
  let pier: PierProcess;
  const toAuth: IncomingHttpHeaders[] = [];
  const toApp: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    auth = createServer((req, res) => {
      toAuth.push(req.headers);
      res.end();
    });
    app = createServer((req, res) => {
      toApp.push(req.headers);
      res.end('app');
    });
    auth.listen(0, '127.0.0.1');
    app.listen(0, '127.0.0.1');
    await Promise.all([once(auth, 'listening'), once(app, 'listening')]);
    dir = await mkdtemp(join(tmpdir(), 'pier-auth-headers-'));
    await writeFile(join(dir, 'objects.yaml'), [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('app', [{ host: '127.0.0.1', port: (app.address() as AddressInfo).port }])}`,
      `---\n${AUTH_HEADERS_YAML}`,
      annotatedIngressYaml('app', 'app.test', 'app', {
        'nginx.ingress.kubernetes.io/auth-url': `http://127.0.0.1:${(auth.address() as AddressInfo).port}/check`,
        'nginx.ingress.kubernetes.io/auth-proxy-set-headers': 'auth-headers',
      }),
    ].join('\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1']);
  });

  afterAll(async () => {
    await pier?.stop();
    auth?.close();
    app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the auth service gets the ConfigMap\'s headers, variables filled in, the client\'s own replaced', async () => {
    toAuth.length = 0;
    expect(await get(pier.httpPort, '/orders?id=7', { 'x-auth-source': 'spoofed', 'x-dropped': 'client value' })).toBe(200);
    expect(toAuth).toHaveLength(1);
    expect(toAuth[0]).toMatchObject({ 'x-auth-source': 'pier', 'x-client': '127.0.0.1', 'x-forwarded-uri': '/orders?id=7' });
    expect(toAuth[0]!['x-dropped']).toBeUndefined();
  });

  it('the auth request carries the request\'s X-Request-ID, the backend\'s: the client\'s, or the one Pier made', async () => {
    toAuth.length = 0;
    toApp.length = 0;
    expect(await get(pier.httpPort, '/', { 'x-request-id': 'trace-42' })).toBe(200);
    expect(await get(pier.httpPort, '/', {})).toBe(200);
    expect(toAuth.map((h) => h['x-request-id'])).toEqual(toApp.map((h) => h['x-request-id']));
    expect(toAuth[0]!['x-request-id']).toBe('trace-42');
    expect(toAuth[1]!['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });
});
