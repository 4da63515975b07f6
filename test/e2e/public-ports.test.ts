import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml, withTls } from './manifests.ts';

/*
 * What a backend behind ingress-nginx is told, through `pier serve`: X-Forwarded-Port is the
 * port the client connected to (ingress-nginx listens on 80 and 443 itself; Pier listens on
 * 8080 and 8443 behind the Service's 80 and 443, so the chart passes --public-http-port and
 * --public-https-port), X-Scheme and X-Forwarded-Scheme carry the scheme, use-port-in-redirects
 * puts the HTTPS port in ssl-redirect's Location, and connection-proxy-header: close sends
 * `Connection: close` on a connection per request.
 */

interface Seen { readonly headers: IncomingHttpHeaders; readonly socket: Socket }
interface Answer { readonly status: number; readonly headers: IncomingHttpHeaders }

const PUBLIC_HTTP = 80;
const PUBLIC_HTTPS = 443;

describe('--public-http-port / --public-https-port, X-Scheme, use-port-in-redirects, connection-proxy-header', () => {
  let backend: Server;
  let dir: string;
  let pier: PierProcess;
  const seen: Seen[] = [];

  beforeAll(async () => {
    backend = createServer((req, res) => {
      seen.push({ headers: req.headers, socket: req.socket });
      req.resume();
      res.end('ok');
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    dir = await mkdtemp(join(tmpdir(), 'pier-public-ports-'));
    await writeFile(join(dir, 'objects.yaml'), [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('web', [{ host: '127.0.0.1', port: (backend.address() as AddressInfo).port }])}`,
      `---\n${tlsSecretYaml('default', 'cert', makeCertificate('*.test'))}`,
      withTls(annotatedIngressYaml('ports', 'ports.test', 'web', { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' }), 'ports.test', 'cert'),
      withTls(annotatedIngressYaml('port-redirect', 'port.test', 'web', { 'nginx.ingress.kubernetes.io/use-port-in-redirects': 'true' }), 'port.test', 'cert'),
      withTls(annotatedIngressYaml('plain-redirect', 'plain.test', 'web', {}), 'plain.test', 'cert'),
      annotatedIngressYaml('closing', 'close.test', 'web', { 'nginx.ingress.kubernetes.io/connection-proxy-header': 'close' }),
      annotatedIngressYaml('kept', 'kept.test', 'web', { 'nginx.ingress.kubernetes.io/connection-proxy-header': 'keep-alive' }),
    ].join('\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--public-http-port', String(PUBLIC_HTTP), '--public-https-port', String(PUBLIC_HTTPS)]);
  });

  afterAll(async () => {
    await pier?.stop();
    backend?.closeAllConnections();
    backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function plain(host: string, path = '/'): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: pier.httpPort, path, headers: { host }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
      });
      req.once('error', reject);
      req.end();
    });
  }

  function overTls(host: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: pier.httpsPort, servername: host, path: '/', headers: { host }, rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
      });
      req.once('error', reject);
      req.end();
    });
  }

  async function overH2(session: ClientHttp2Session, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const stream = session.request({ ':path': '/', ':authority': host });
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
      stream.resume();
    });
  }

  it('X-Forwarded-Port is the public port of each listener, over HTTP/1.1 and HTTP/2; X-Scheme and X-Forwarded-Scheme are the scheme', async () => {
    seen.length = 0;
    expect((await plain('ports.test')).status).toBe(200);
    expect((await overTls('ports.test')).status).toBe(200);
    const h2c = http2Connect(`http://127.0.0.1:${pier.httpPort}`);
    const h2 = http2Connect(`https://127.0.0.1:${pier.httpsPort}`, { servername: 'ports.test', rejectUnauthorized: false });
    try {
      expect(await overH2(h2c, 'ports.test')).toBe(200);
      expect(await overH2(h2, 'ports.test')).toBe(200);
    } finally {
      h2c.close();
      h2.close();
    }
    const told = seen.map((s) => [s.headers['x-forwarded-port'], s.headers['x-forwarded-proto'], s.headers['x-forwarded-scheme'], s.headers['x-scheme']]);
    expect(told).toEqual([
      ['80', 'http', 'http', 'http'],
      ['443', 'https', 'https', 'https'],
      ['80', 'http', 'http', 'http'],
      ['443', 'https', 'https', 'https'],
    ]);
  });

  it('use-port-in-redirects: ssl-redirect\'s Location names the public HTTPS port; without it, none', async () => {
    expect(await plain('port.test', '/cart?x=1')).toMatchObject({ status: 308, headers: { location: 'https://port.test:443/cart?x=1' } });
    expect(await plain('plain.test', '/cart?x=1')).toMatchObject({ status: 308, headers: { location: 'https://plain.test/cart?x=1' } });
  });

  it('connection-proxy-header close: the backend is told Connection: close, each request on a connection of its own; keep-alive reuses one', async () => {
    seen.length = 0;
    for (let i = 0; i < 3; i++) expect((await plain('close.test')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await plain('kept.test')).status).toBe(200);
    const closing = seen.slice(0, 3);
    const kept = seen.slice(3);
    expect(closing.map((s) => s.headers.connection)).toEqual(['close', 'close', 'close']);
    expect(new Set(closing.map((s) => s.socket)).size).toBe(3);
    expect(kept.map((s) => s.headers.connection)).toEqual(['keep-alive', 'keep-alive', 'keep-alive']);
    expect(new Set(kept.map((s) => s.socket)).size).toBe(1);
  });
});
