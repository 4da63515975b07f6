import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * `--trusted-proxies` as ingress-nginx's use-forwarded-headers, through `pier serve`: behind a
 * load balancer that terminated the client's TLS, the backend must see the client's scheme,
 * port, host and address, and force-ssl-redirect must not redirect an HTTPS client forever.
 * The load balancer is a client bound to 127.0.0.2 (the one trusted address); the same
 * requests from 127.0.0.1 are anyone's, whose X-Forwarded-* headers Pier replaces.
 */

const LB = '127.0.0.2';
const FROM_LB = { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', 'x-forwarded-host': 'shop.example' };

interface Answer { readonly status: number; readonly headers: IncomingHttpHeaders }

function get(port: number, host: string, path: string, headers: Record<string, string>, localAddress: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, localAddress, headers: { host, ...headers }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** An app recording the headers it gets, behind `pier serve` with `ingresses` (YAML documents
 * naming the Service `app`) and `flags`. */
async function serveApp(name: string, ingresses: readonly string[], flags: readonly string[]): Promise<{ pier: PierProcess; seen: IncomingHttpHeaders[]; stop: () => Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const app = createServer((req, res) => {
    seen.push(req.headers);
    res.end('app\n');
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const appPort = (app.address() as { port: number }).port;
  const dir = await mkdtemp(join(tmpdir(), `pier-${name}-`));
  await writeFile(join(dir, 'all.yaml'), [INGRESS_CLASS_YAML, serviceYaml('app', [{ host: '127.0.0.1', port: appPort }]), ...ingresses].join('---\n'));
  const pier = await startPier(['--manifests', dir, '--workers', '1', ...flags]);
  const stop = async () => {
    await pier.stop();
    await new Promise((r) => app.close(r));
    await rm(dir, { recursive: true, force: true });
  };
  return { pier, seen, stop };
}

describe('X-Forwarded-* from a trusted proxy (--trusted-proxies)', () => {
  let pier: PierProcess;
  let seen: IncomingHttpHeaders[];
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ pier, seen, stop } = await serveApp('forwarded', [
      annotatedIngressYaml('plain', 'fwd.test', 'app', {}),
      annotatedIngressYaml('secure', 'secure.test', 'app', { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' }),
    ], ['--trusted-proxies', `${LB}/32`]));
  });

  afterAll(async () => {
    await stop?.();
  });

  it('from the trusted proxy: its proto, port and host reach the backend, X-Real-IP is the client it names', async () => {
    seen.length = 0;
    expect((await get(pier.httpPort, 'fwd.test', '/', FROM_LB, LB)).status).toBe(200);
    expect(seen[0]).toMatchObject({
      host: 'shop.example', 'x-forwarded-host': 'shop.example', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443',
      'x-real-ip': '203.0.113.7', 'x-forwarded-for': `203.0.113.7, ${LB}`,
    });
  });

  it('from anyone else the same headers are replaced by what Pier sees', async () => {
    seen.length = 0;
    expect((await get(pier.httpPort, 'fwd.test', '/', FROM_LB, '127.0.0.1')).status).toBe(200);
    expect(seen[0]).toMatchObject({ host: 'fwd.test', 'x-forwarded-host': 'fwd.test', 'x-forwarded-proto': 'http', 'x-forwarded-port': String(pier.httpPort), 'x-real-ip': '127.0.0.1' });
  });

  it('over HTTP/2 (h2c) from the trusted proxy: the same', async () => {
    seen.length = 0;
    const session = http2Connect(`http://127.0.0.1:${pier.httpPort}`, { createConnection: () => netConnect({ host: '127.0.0.1', port: pier.httpPort, localAddress: LB }) as Socket });
    session.on('error', () => {});
    try {
      const status = await new Promise<number>((resolve) => {
        const stream = session.request({ ':path': '/', ':authority': 'fwd.test', ...FROM_LB });
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.on('error', () => resolve(0));
        stream.resume();
      });
      expect(status).toBe(200);
    } finally {
      session.close();
    }
    expect(seen[0]).toMatchObject({ host: 'shop.example', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', 'x-real-ip': '203.0.113.7' });
  });

  it('force-ssl-redirect: an HTTPS client behind the proxy is served, not redirected again', async () => {
    seen.length = 0;
    expect((await get(pier.httpPort, 'secure.test', '/cart', FROM_LB, LB)).status).toBe(200);
    expect(seen).toHaveLength(1);
  });

  it('force-ssl-redirect: an HTTP client behind the proxy goes to https on the host it asked for', async () => {
    const answer = await get(pier.httpPort, 'secure.test', '/cart', { ...FROM_LB, 'x-forwarded-proto': 'http', 'x-forwarded-host': 'www.shop.example:80' }, LB);
    expect(answer.status).toBe(308);
    expect(answer.headers.location).toBe('https://www.shop.example/cart');
  });

  it('force-ssl-redirect: X-Forwarded-Proto from anyone else does not stop the redirect', async () => {
    const answer = await get(pier.httpPort, 'secure.test', '/cart', FROM_LB, '127.0.0.1');
    expect(answer.status).toBe(308);
    expect(answer.headers.location).toBe('https://secure.test/cart');
  });
});

describe('--forwarded-for-header (ingress-nginx\'s forwarded-for-header: CF-Connecting-IP behind Cloudflare)', () => {
  let pier: PierProcess;
  let seen: IncomingHttpHeaders[];
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ pier, seen, stop } = await serveApp('forwarded-for-header', [
      annotatedIngressYaml('office', 'office.test', 'app', { 'nginx.ingress.kubernetes.io/whitelist-source-range': '203.0.113.0/24' }),
    ], ['--trusted-proxies', `${LB}/32`, '--forwarded-for-header', 'CF-Connecting-IP']));
  });

  afterAll(async () => {
    await stop?.();
  });

  it('the client the trusted proxy names in that header is the client: allow lists and X-Real-IP', async () => {
    seen.length = 0;
    expect((await get(pier.httpPort, 'office.test', '/', { 'cf-connecting-ip': '203.0.113.50', 'x-forwarded-for': '198.51.100.1' }, LB)).status).toBe(200);
    expect(seen[0]).toMatchObject({ 'x-real-ip': '203.0.113.50' });
    expect((await get(pier.httpPort, 'office.test', '/', { 'cf-connecting-ip': '198.51.100.1', 'x-forwarded-for': '203.0.113.50' }, LB)).status).toBe(403);
  });

  it('from anyone else the header means nothing', async () => {
    expect((await get(pier.httpPort, 'office.test', '/', { 'cf-connecting-ip': '203.0.113.50' }, '127.0.0.1')).status).toBe(403);
  });
});
