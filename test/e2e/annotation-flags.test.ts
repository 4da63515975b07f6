import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { get, upgrade } from './access-helpers.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * ingress-nginx's ConfigMap keys as Pier's flags, through `pier serve --manifests`: the
 * controller's proxy-cookie-*, proxy-redirect-*, whitelist-/denylist-source-range and
 * custom-http-errors reach an Ingress without annotations, an Ingress's own annotation replaces
 * the name it sets; --block-cidrs refuses a client everywhere. Client addresses come from
 * X-Forwarded-For (the test connects from 127.0.0.1, a trusted proxy).
 */

const N = 'nginx.ingress.kubernetes.io/';
const ALLOWED = { 'x-forwarded-for': '203.0.113.7' };

function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => (server.address() as AddressInfo).port);
}

describe('controller-wide annotation values (pier serve with ingress-nginx\'s ConfigMap keys as flags)', () => {
  let app: Server;
  let pages: Server;
  let dir: string;
  let pier: PierProcess;

  beforeAll(async () => {
    app = createServer((req, res) => {
      req.resume();
      const url = req.url ?? '/';
      if (url === '/login') {
        res.writeHead(302, { location: 'http://internal.svc/app/welcome', 'set-cookie': ['sid=1; Path=/app/; Domain=internal.svc'] }).end();
        return;
      }
      const status = /^\/status\/(\d{3})$/.exec(url)?.[1];
      res.writeHead(status === undefined ? 200 : Number(status), { 'content-type': 'text/plain' }).end(`app ${url}`);
    });
    // The default backend: says what it was asked, with ingress-nginx's X-Code.
    pages = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pages: req.url, code: req.headers['x-code'] ?? null }));
    });
    const [appPort, pagesPort] = await Promise.all([listen(app), listen(pages)]);
    dir = await mkdtemp(join(tmpdir(), 'pier-annotation-flags-'));
    await writeFile(join(dir, 'objects.yaml'), [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('app', [{ host: '127.0.0.1', port: appPort }])}`,
      `---\n${serviceYaml('pages', [{ host: '127.0.0.1', port: pagesPort }])}`,
      annotatedIngressYaml('plain', 'plain.test', 'app', {}),
      annotatedIngressYaml('own', 'own.test', 'app', {
        [`${N}proxy-cookie-path`]: '/app/ /own/', [`${N}whitelist-source-range`]: '192.0.2.0/24, 198.51.100.0/24', [`${N}custom-http-errors`]: '500',
      }),
    ].join('\n'));
    pier = await startPier([
      '--manifests', dir, '--workers', '1', '--trusted-proxies', '127.0.0.1',
      '--proxy-cookie-domain', 'internal.svc example.test', '--proxy-cookie-path', '/app/ /',
      '--proxy-redirect-from', 'http://internal.svc/app/', '--proxy-redirect-to', 'https://example.test/',
      '--whitelist-source-range', '203.0.113.0/24', '--denylist-source-range', '203.0.113.66',
      '--block-cidrs', '198.51.100.0/24',
      '--custom-http-errors', '404,503', '--default-backend-service', 'default/pages',
    ]);
  });

  afterAll(async () => {
    await pier?.stop();
    app?.close();
    pages?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('--proxy-cookie-domain, --proxy-cookie-path, --proxy-redirect-from, --proxy-redirect-to', () => {
    it('an Ingress without annotations has Location and Set-Cookie rewritten', async () => {
      const res = await get(pier.httpPort, 'plain.test', '/login', ALLOWED);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('https://example.test/welcome');
      expect(res.headers['set-cookie']).toEqual(['sid=1; Path=/; Domain=example.test']);
    });

    it('an Ingress\'s proxy-cookie-path replaces the controller\'s; the other names still apply', async () => {
      const res = await get(pier.httpPort, 'own.test', '/login', { 'x-forwarded-for': '192.0.2.1' });
      expect(res.headers.location).toBe('https://example.test/welcome');
      expect(res.headers['set-cookie']).toEqual(['sid=1; Path=/own/; Domain=example.test']);
    });
  });

  describe('--whitelist-source-range, --denylist-source-range, --block-cidrs', () => {
    it('an Ingress without annotations lets only the allowed addresses in, less the denied ones', async () => {
      expect((await get(pier.httpPort, 'plain.test', '/ok', ALLOWED)).status).toBe(200);
      expect((await get(pier.httpPort, 'plain.test', '/ok', { 'x-forwarded-for': '192.0.2.1' })).status).toBe(403);
      expect((await get(pier.httpPort, 'plain.test', '/ok', { 'x-forwarded-for': '203.0.113.66' })).status).toBe(403);
      expect(await upgrade(pier.httpPort, 'plain.test', { 'x-forwarded-for': '192.0.2.1' })).toMatch(/^HTTP\/1\.1 403/);
    });

    it('an Ingress\'s whitelist-source-range replaces the controller\'s allow list', async () => {
      expect((await get(pier.httpPort, 'own.test', '/ok', { 'x-forwarded-for': '192.0.2.1' })).status).toBe(200);
      expect((await get(pier.httpPort, 'own.test', '/ok', ALLOWED)).status).toBe(403);
    });

    it('--block-cidrs refuses its clients everywhere: an Ingress allowing them, no rule matched, an upgrade', async () => {
      const blocked = { 'x-forwarded-for': '198.51.100.9' };
      const own = await get(pier.httpPort, 'own.test', '/ok', blocked);
      expect([own.status, own.body]).toEqual([403, '403 Forbidden\n']);
      expect((await get(pier.httpPort, 'nowhere.test', '/x', blocked)).status).toBe(403);
      expect(await upgrade(pier.httpPort, 'own.test', blocked)).toMatch(/^HTTP\/1\.1 403/);
      // Over HTTP/2 (h2c) too.
      const session = http2Connect(`http://127.0.0.1:${pier.httpPort}`);
      session.on('error', () => {});
      try {
        const h2 = await new Promise<number>((resolve) => {
          const stream = session.request({ ':path': '/ok', ':authority': 'own.test', ...blocked });
          stream.on('response', (h) => resolve(Number(h[':status'])));
          stream.on('error', () => resolve(0));
          stream.resume();
        });
        expect(h2).toBe(403);
      } finally {
        session.destroy();
      }
      // Not blocked: no rule matches, so the default backend answers.
      expect(JSON.parse((await get(pier.httpPort, 'nowhere.test', '/x', ALLOWED)).body)).toEqual({ pages: '/x', code: null });
    });
  });

  describe('--custom-http-errors with --default-backend-service', () => {
    it('an Ingress without annotations: the listed answers come from the default backend, with X-Code; others pass', async () => {
      const replaced = await get(pier.httpPort, 'plain.test', '/status/404', ALLOWED);
      expect([replaced.status, JSON.parse(replaced.body)]).toEqual([200, { pages: '/', code: '404' }]);
      const passed = await get(pier.httpPort, 'plain.test', '/status/500', ALLOWED);
      expect([passed.status, passed.body]).toEqual([500, 'app /status/500']);
    });

    it('an Ingress\'s custom-http-errors replaces the controller\'s list', async () => {
      const xff = { 'x-forwarded-for': '192.0.2.1' };
      expect(JSON.parse((await get(pier.httpPort, 'own.test', '/status/500', xff)).body)).toEqual({ pages: '/', code: '500' });
      const passed = await get(pier.httpPort, 'own.test', '/status/404', xff);
      expect([passed.status, passed.body]).toEqual([404, 'app /status/404']);
    });
  });
});
