import { execFileSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as http2Connect } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { ensureTool, get, upgrade } from './access-helpers.ts';
import { INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * Access control through `pier serve --manifests` with real sockets: IP allow/deny lists (and
 * --trusted-proxies), basic auth against htpasswd files made by Apache's own htpasswd (bcrypt,
 * apr1, SHA1), and external auth against a small auth server, each on HTTP/1.1 and on a
 * WebSocket upgrade (an upgrade must never bypass them).
 */

const HTPASSWD_MISSING = ensureTool('htpasswd', 'apache2-utils');
if (HTPASSWD_MISSING !== undefined) console.warn(`access-control e2e: basic auth cases skipped: ${HTPASSWD_MISSING}`);

function ingress(name: string, host: string, annotations: Record<string, string>): string {
  const lines = Object.entries(annotations).map(([k, v]) => `    nginx.ingress.kubernetes.io/${k}: ${JSON.stringify(v)}`).join('\n');
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
  annotations:
${lines}
spec:
  ingressClassName: pier
  rules: [{ host: ${host}, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: app, port: { number: 80 } } } }] } }]
`;
}

function htpasswdLine(flag: string, user: string, password: string): string {
  return execFileSync('htpasswd', [flag, '-nb', user, password], { encoding: 'utf8' }).trim();
}

function usersSecret(lines: readonly string[]): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: users, namespace: default }
type: Opaque
data: { auth: ${Buffer.from(`${lines.join('\n')}\n`).toString('base64')} }
`;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('access control through pier serve', () => {
  let dir: string;
  let app: Server;
  let auth: Server;
  let pier: PierProcess;
  const seen: IncomingHttpHeaders[] = [];
  const authSeen: IncomingHttpHeaders[] = [];
  const sockets = new Set<Socket>();
  let manifests: (users: readonly string[]) => string;

  beforeAll(async () => {
    app = createServer((req, res) => {
      seen.push(req.headers);
      res.end('app\n');
    });
    app.on('upgrade', (req, socket: Socket) => {
      seen.push(req.headers);
      sockets.add(socket);
      socket.on('error', () => {});
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    auth = createServer((req, res) => {
      authSeen.push(req.headers);
      const token = req.headers.authorization;
      if (token === 'Bearer good') {
        res.writeHead(200, { 'x-auth-user': 'alice', 'set-cookie': 'session=1; Path=/' });
        res.end();
      } else if (token === 'Bearer forbidden') {
        res.writeHead(403).end();
      } else if (token === 'Bearer broken') {
        res.writeHead(502).end();
      } else if (token === 'Bearer slow') {
        // never answers: Pier's timeout (proxy-read-timeout 1 s) must end it with a 500
      } else {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="test"' }).end();
      }
    });
    for (const server of [app, auth]) {
      server.on('connection', (s: Socket) => sockets.add(s));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    }
    const authUrl = `http://127.0.0.1:${(auth.address() as { port: number }).port}/auth`;
    const appPort = (app.address() as { port: number }).port;
    manifests = (users) => [
      INGRESS_CLASS_YAML,
      serviceYaml('app', [{ host: '127.0.0.1', port: appPort }]),
      ingress('allow', 'allow.test', { 'whitelist-source-range': '127.0.0.1/32, ::1' }),
      ingress('deny', 'deny.test', { 'denylist-source-range': '127.0.0.0/8' }),
      ingress('elsewhere', 'elsewhere.test', { 'allowlist-source-range': '10.0.0.0/8' }),
      ingress('xff', 'xff.test', { 'allowlist-source-range': '203.0.113.7' }),
      ingress('basic', 'basic.test', { 'auth-type': 'basic', 'auth-secret': 'users', 'auth-realm': 'Pier test' }),
      ingress('ext', 'ext.test', { 'auth-url': authUrl, 'auth-response-headers': 'X-Auth-User', 'proxy-read-timeout': '1' }),
      ingress('signin', 'signin.test', { 'auth-url': authUrl, 'auth-signin': 'https://login.example/start' }),
      ingress('all-basic', 'all-basic.test', { 'allowlist-source-range': '203.0.113.7', 'auth-type': 'basic', 'auth-secret': 'users' }),
      ingress('any-basic', 'any-basic.test', { 'allowlist-source-range': '203.0.113.7', 'auth-type': 'basic', 'auth-secret': 'users', 'auth-realm': 'any', satisfy: 'any' }),
      ingress('any-alone', 'any-alone.test', { satisfy: 'any' }),
      ingress('any-ext', 'any-ext.test', { 'denylist-source-range': '198.51.100.0/24', 'auth-url': authUrl, satisfy: 'any' }),
      ...(users.length === 0 ? [] : [usersSecret(users)]),
    ].join('---\n');
    const users = HTPASSWD_MISSING === undefined ? [htpasswdLine('-B', 'alice', 'bcrypt-pw'), htpasswdLine('-m', 'bob', 'apr1-pw'), htpasswdLine('-s', 'carol', 'sha1-pw')] : [];
    dir = await mkdtemp(join(tmpdir(), 'pier-access-'));
    await writeFile(join(dir, 'all.yaml'), manifests(users));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--trusted-proxies', '127.0.0.1']);
  });

  afterAll(async () => {
    await pier?.stop();
    for (const s of sockets) s.destroy();
    await Promise.all([app, auth].map((s) => new Promise((r) => s?.close(r))));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('IP allow and deny lists: 403 for requests and upgrades from outside', async () => {
    const port = pier.httpPort;
    expect((await get(port, 'allow.test')).status).toBe(200);
    expect((await get(port, 'deny.test')).status).toBe(403);
    expect((await get(port, 'elsewhere.test')).status).toBe(403);
    expect(await upgrade(port, 'allow.test')).toMatch(/^HTTP\/1\.1 101/);
    expect(await upgrade(port, 'deny.test')).toMatch(/^HTTP\/1\.1 403/);
    expect(await upgrade(port, 'elsewhere.test')).toMatch(/^HTTP\/1\.1 403/);
  });

  it('--trusted-proxies: the right-most untrusted X-Forwarded-For entry counts', async () => {
    const port = pier.httpPort;
    expect((await get(port, 'xff.test')).status).toBe(403); // 127.0.0.1 itself is not allowed
    expect((await get(port, 'xff.test', '/', { 'x-forwarded-for': '203.0.113.7' })).status).toBe(200);
    expect((await get(port, 'xff.test', '/', { 'x-forwarded-for': '203.0.113.7, 127.0.0.1' })).status).toBe(200);
    // a client cannot smuggle the allowed address in front of its own
    expect((await get(port, 'xff.test', '/', { 'x-forwarded-for': '203.0.113.7, 198.51.100.1' })).status).toBe(403);
    expect(await upgrade(port, 'xff.test', { 'x-forwarded-for': '203.0.113.7' })).toMatch(/^HTTP\/1\.1 101/);
    expect(await upgrade(port, 'xff.test', { 'x-forwarded-for': '198.51.100.1' })).toMatch(/^HTTP\/1\.1 403/);
  });

  it('--trusted-proxies over HTTP/2 (h2c): X-Forwarded-For counts as for HTTP/1.1', async () => {
    const session = http2Connect(`http://127.0.0.1:${pier.httpPort}`);
    session.on('error', () => {});
    const status = (xff?: string) => new Promise<number>((resolve) => {
      const stream = session.request({ ':path': '/', ':authority': 'xff.test', ...(xff === undefined ? {} : { 'x-forwarded-for': xff }) });
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', () => resolve(0));
      stream.resume();
    });
    try {
      expect(await status()).toBe(403);
      expect(await status('203.0.113.7')).toBe(200);
      expect(await status('203.0.113.7, 198.51.100.1')).toBe(403);
    } finally {
      session.destroy();
    }
  });

  it.skipIf(HTPASSWD_MISSING !== undefined)('basic auth with htpasswd-made bcrypt, apr1 and SHA1 users; the password never reaches the backend', async () => {
    const port = pier.httpPort;
    const none = await get(port, 'basic.test');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="Pier test"');
    for (const [user, password] of [['alice', 'bcrypt-pw'], ['bob', 'apr1-pw'], ['carol', 'sha1-pw']]) {
      seen.length = 0;
      expect((await get(port, 'basic.test', '/', { authorization: basic(user!, password!) })).status).toBe(200);
      expect(seen[0]!.authorization).toBeUndefined();
      expect((await get(port, 'basic.test', '/', { authorization: basic(user!, `${password}x`) })).status).toBe(401);
    }
    expect((await get(port, 'basic.test', '/', { authorization: basic('mallory', 'bcrypt-pw') })).status).toBe(401);
    expect(await upgrade(port, 'basic.test')).toMatch(/^HTTP\/1\.1 401/);
    expect(await upgrade(port, 'basic.test', { authorization: basic('bob', 'apr1-pw') })).toMatch(/^HTTP\/1\.1 101/);
  });

  it.skipIf(HTPASSWD_MISSING !== undefined)('satisfy all (the default): the listed address AND the password', async () => {
    const port = pier.httpPort;
    const listed = { 'x-forwarded-for': '203.0.113.7' };
    const other = { 'x-forwarded-for': '198.51.100.1' };
    expect((await get(port, 'all-basic.test', '/', listed)).status).toBe(401);
    expect((await get(port, 'all-basic.test', '/', { ...other, authorization: basic('alice', 'bcrypt-pw') })).status).toBe(403);
    expect((await get(port, 'all-basic.test', '/', { ...listed, authorization: basic('alice', 'bcrypt-pw') })).status).toBe(200);
  });

  it.skipIf(HTPASSWD_MISSING !== undefined)('satisfy any with basic auth: the listed address OR the password; the password never reaches the backend', async () => {
    const port = pier.httpPort;
    const listed = { 'x-forwarded-for': '203.0.113.7' };
    const other = { 'x-forwarded-for': '198.51.100.1' };
    seen.length = 0;
    expect((await get(port, 'any-basic.test', '/', listed)).status).toBe(200);
    expect((await get(port, 'any-basic.test', '/', { ...listed, authorization: basic('alice', 'wrong') })).status).toBe(200);
    expect((await get(port, 'any-basic.test', '/', { ...other, authorization: basic('bob', 'apr1-pw') })).status).toBe(200);
    expect(seen.map((h) => h.authorization)).toEqual([undefined, undefined, undefined]);
    const refused = await get(port, 'any-basic.test', '/', other);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Basic realm="any"');
    expect((await get(port, 'any-basic.test', '/', { ...other, authorization: basic('bob', 'wrong') })).status).toBe(401);
    expect(await upgrade(port, 'any-basic.test', listed)).toMatch(/^HTTP\/1\.1 101/);
    expect(await upgrade(port, 'any-basic.test', other)).toMatch(/^HTTP\/1\.1 401/);
  });

  it('satisfy any with external auth: an address the lists let in is not sent to the auth service', async () => {
    const port = pier.httpPort;
    // satisfy alone, with no access control to satisfy, lets everyone in (as nginx)
    expect((await get(port, 'any-alone.test', '/', { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
    authSeen.length = 0;
    expect((await get(port, 'any-ext.test', '/', { 'x-forwarded-for': '203.0.113.7' })).status).toBe(200);
    expect(authSeen).toHaveLength(0);
    const denied = { 'x-forwarded-for': '198.51.100.1' };
    expect((await get(port, 'any-ext.test', '/', { ...denied, authorization: 'Bearer good' })).status).toBe(200);
    expect((await get(port, 'any-ext.test', '/', denied)).status).toBe(401);
    expect((await get(port, 'any-ext.test', '/', { ...denied, authorization: 'Bearer forbidden' })).status).toBe(403);
    expect(authSeen).toHaveLength(3);
  });

  it.skipIf(HTPASSWD_MISSING !== undefined)('a changed Secret takes effect without a restart', async () => {
    const port = pier.httpPort;
    const tmp = join(dir, '.all.yaml.tmp');
    await writeFile(tmp, manifests([htpasswdLine('-B', 'alice', 'new-pw')]));
    await rename(tmp, join(dir, 'all.yaml'));
    await waitFor(async () => (await get(port, 'basic.test', '/', { authorization: basic('alice', 'new-pw') })).status === 200, 10_000, 'new password accepted');
    expect((await get(port, 'basic.test', '/', { authorization: basic('alice', 'bcrypt-pw') })).status).toBe(401);
    expect((await get(port, 'basic.test', '/', { authorization: basic('bob', 'apr1-pw') })).status).toBe(401);
  });

  it('external auth: 2xx passes with the listed headers and the cookie, 401/403 pass through, anything else is 500', async () => {
    const port = pier.httpPort;
    seen.length = 0;
    authSeen.length = 0;
    const ok = await get(port, 'ext.test', '/page?x=1', { authorization: 'Bearer good', 'x-auth-user': 'forged' });
    expect(ok.status).toBe(200);
    expect(ok.headers['set-cookie']).toEqual(['session=1; Path=/']);
    expect(seen[0]!['x-auth-user']).toBe('alice');
    expect(authSeen[0]).toMatchObject({
      'x-original-url': 'http://ext.test/page?x=1', 'x-original-method': 'GET', 'x-sent-from': 'nginx-ingress-controller',
      'x-real-ip': '127.0.0.1', 'x-auth-request-redirect': '/page?x=1', authorization: 'Bearer good',
    });
    const denied = await get(port, 'ext.test', '/', {});
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer realm="test"');
    expect((await get(port, 'ext.test', '/', { authorization: 'Bearer forbidden' })).status).toBe(403);
    expect((await get(port, 'ext.test', '/', { authorization: 'Bearer broken' })).status).toBe(500);
    const started = Date.now();
    expect((await get(port, 'ext.test', '/', { authorization: 'Bearer slow' })).status).toBe(500);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await upgrade(port, 'ext.test')).toMatch(/^HTTP\/1\.1 401/);
    expect(await upgrade(port, 'ext.test', { authorization: 'Bearer good' })).toMatch(/^HTTP\/1\.1 101/);
  });

  it('external auth: auth-signin turns a 401 into a 302 with rd=', async () => {
    const answer = await get(pier.httpPort, 'signin.test', '/a/b?c=d');
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe('https://login.example/start?rd=http://signin.test%2Fa%2Fb%3Fc%3Dd');
  });
});
