import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * Strict-Transport-Security (`--hsts`, ingress-nginx's hsts ConfigMap keys) through the real
 * binary: every response over TLS carries Pier's value, replacing one the backend sent; plain
 * HTTP responses carry none of Pier's and pass the backend's through. HTTP/1.1 and HTTP/2 over
 * TLS, the node:http front (--force-public-http), Pier's own answers, `--hsts off` and a
 * custom value.
 */

const DEFAULT_STS = 'max-age=31536000; includeSubDomains';
const BACKEND_STS = 'max-age=5';

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/** The backend: `/own-sts` answers with its own Strict-Transport-Security, anything else without. */
async function startBackend(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (req.url === '/own-sts') headers['strict-transport-security'] = BACKEND_STS;
    res.writeHead(200, headers);
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function https(port: number, path: string, host = 'secure.test'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername: host, headers: { host }, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

function http(port: number, path: string, host = 'secure.test'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** HTTP/2 over TLS (ALPN h2): the response's head. */
async function h2(port: number, path: string): Promise<Answer> {
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: 'secure.test', rejectUnauthorized: false });
  try {
    const stream = session.request({ ':path': path, ':authority': 'secure.test' });
    const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders & { ':status': number }];
    stream.resume();
    await once(stream, 'end');
    return { status: headers[':status'], headers };
  } finally {
    session.close();
  }
}

describe('Strict-Transport-Security (--hsts)', () => {
  let dir: string;
  let backend: Server;
  const started: PierProcess[] = [];
  const pier = async (...args: string[]) => {
    const p = await startPier(['--manifests', dir, '--workers', '1', ...args]);
    started.push(p);
    return p;
  };

  beforeAll(async () => {
    backend = await startBackend();
    dir = await mkdtemp(join(tmpdir(), 'pier-hsts-'));
    const port = (backend.address() as AddressInfo).port;
    await writeFile(join(dir, 'objects.yaml'), [
      INGRESS_CLASS_YAML,
      serviceYaml('web', [{ host: '127.0.0.1', port }]),
      tlsSecretYaml('default', 'secure-cert', makeCertificate('secure.test')),
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: default
  annotations: { nginx.ingress.kubernetes.io/ssl-redirect: "false" }
spec:
  ingressClassName: pier
  tls: [{ hosts: [secure.test], secretName: secure-cert }]
  rules:
    - host: secure.test
      http: { paths: [{ path: /app, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }, { path: /own-sts, pathType: Exact, backend: { service: { name: web, port: { number: 80 } } } }] }
`,
    ].join('---\n'));
  });

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('by default (ingress-nginx\'s: one year, includeSubDomains)', () => {
    let p: PierProcess;
    beforeAll(async () => {
      p = await pier();
    });

    it('HTTPS over HTTP/1.1: on proxied answers, replacing the backend\'s, and on Pier\'s own 404', async () => {
      const proxied = await https(p.httpsPort, '/app');
      expect(proxied.status).toBe(200);
      expect(proxied.headers['strict-transport-security']).toBe(DEFAULT_STS);
      // One field, Pier's: node joins repeated fields with ", ".
      expect((await https(p.httpsPort, '/own-sts')).headers['strict-transport-security']).toBe(DEFAULT_STS);
      const own = await https(p.httpsPort, '/nothing-here');
      expect(own.status).toBe(404);
      expect(own.headers['strict-transport-security']).toBe(DEFAULT_STS);
    });

    it('HTTPS over HTTP/2: the same', async () => {
      const proxied = await h2(p.httpsPort, '/app');
      expect(proxied.status).toBe(200);
      expect(proxied.headers['strict-transport-security']).toBe(DEFAULT_STS);
      expect((await h2(p.httpsPort, '/own-sts')).headers['strict-transport-security']).toBe(DEFAULT_STS);
    });

    it('plain HTTP: none of Pier\'s; the backend\'s own passes through unchanged', async () => {
      const plain = await http(p.httpPort, '/app');
      expect(plain.status).toBe(200);
      expect(plain.headers['strict-transport-security']).toBeUndefined();
      expect((await http(p.httpPort, '/own-sts')).headers['strict-transport-security']).toBe(BACKEND_STS);
    });
  });

  it('through the node:http front (--force-public-http) as through the lean one', async () => {
    const p = await pier('--force-public-http');
    expect((await https(p.httpsPort, '/own-sts')).headers['strict-transport-security']).toBe(DEFAULT_STS);
    expect((await http(p.httpPort, '/app')).headers['strict-transport-security']).toBeUndefined();
    await p.stop();
  });

  it('--hsts off: none over HTTPS either, the backend\'s passes through', async () => {
    const p = await pier('--hsts', 'off');
    expect((await https(p.httpsPort, '/app')).headers['strict-transport-security']).toBeUndefined();
    expect((await https(p.httpsPort, '/own-sts')).headers['strict-transport-security']).toBe(BACKEND_STS);
    expect((await h2(p.httpsPort, '/own-sts')).headers['strict-transport-security']).toBe(BACKEND_STS);
    await p.stop();
  });

  it('a value of one\'s own, written in the usual spelling', async () => {
    const p = await pier('--hsts', 'MAX-AGE=600;preload');
    expect((await https(p.httpsPort, '/app')).headers['strict-transport-security']).toBe('max-age=600; preload');
    await p.stop();
  });

  it('a malformed value stops Pier at start, naming the flag', async () => {
    const p = await startPier(['--manifests', dir, '--hsts', 'max-age=soon'], { waitReady: false });
    started.push(p);
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain('invalid value for --hsts: "max-age=soon"');
  });
});
