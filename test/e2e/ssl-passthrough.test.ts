import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { connect as h2connect, createSecureServer, type Http2SecureServer } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * ssl-passthrough through the real binary (`--enable-ssl-passthrough`): a backend doing its
 * own TLS, with its own certificate, is reached undeciphered by clients naming its host (HTTP/1.1
 * and HTTP/2, which the backend negotiates by ALPN itself); another host keeps Pier's
 * certificate and routing; plain HTTP to the passthrough host is routed to the backend over
 * HTTPS; without the flag the host is terminated by Pier and the Ingress is told; a client
 * sending garbage or stalling before its ClientHello is closed without disturbing others.
 */

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly peerCn?: string;
  readonly alpn?: string | false | null;
}

/** The TLS backend: its own certificate; answers with the protocol version it saw and the Host. */
async function startTlsBackend(): Promise<Http2SecureServer> {
  const own = makeCertificate('backend-own.test', ['pass.test']);
  const server = createSecureServer({ cert: own.certPem, key: own.keyPem, allowHTTP1: true, ALPNProtocols: ['h2', 'http/1.1'] }, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`tls-backend ${req.httpVersion} ${req.headers[':authority'] ?? req.headers.host} ${req.url}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function startPlainBackend(): Promise<Server> {
  const server = createHttpServer((req, res) => {
    req.resume();
    res.end(`plain-backend ${req.url}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function https(port: number, host: string, path = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername: host, headers: { host }, rejectUnauthorized: false, agent: false }, (res) => {
      const socket = res.socket as TLSSocket;
      const peerCn = socket.getPeerCertificate().subject?.CN as string | undefined;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, ...(peerCn === undefined ? {} : { peerCn }) }));
    });
    req.once('error', reject);
    req.end();
  });
}

function http(port: number, host: string, path = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

async function h2(port: number, host: string, path = '/'): Promise<Answer> {
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: host, rejectUnauthorized: false });
  try {
    await once(session, 'connect');
    const socket = session.socket as TLSSocket;
    const stream = session.request({ ':path': path, ':authority': host });
    const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (body += d));
    await once(stream, 'end');
    return { status: headers[':status'] as number, body, peerCn: socket.getPeerCertificate().subject?.CN as string, alpn: socket.alpnProtocol };
  } finally {
    session.close();
  }
}

describe('ssl-passthrough (--enable-ssl-passthrough)', () => {
  let dir: string;
  let tlsBackend: Http2SecureServer;
  let plainBackend: Server;
  const started: PierProcess[] = [];

  beforeAll(async () => {
    tlsBackend = await startTlsBackend();
    plainBackend = await startPlainBackend();
    dir = await mkdtemp(join(tmpdir(), 'pier-passthrough-'));
    await writeFile(join(dir, 'objects.yaml'), [
      INGRESS_CLASS_YAML,
      serviceYaml('tls-app', [{ host: '127.0.0.1', port: (tlsBackend.address() as AddressInfo).port }]),
      serviceYaml('web', [{ host: '127.0.0.1', port: (plainBackend.address() as AddressInfo).port }]),
      tlsSecretYaml('default', 'secure-cert', makeCertificate('secure.test')),
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: pass
  namespace: default
  annotations: { nginx.ingress.kubernetes.io/ssl-passthrough: "true" }
spec:
  ingressClassName: pier
  rules:
    - host: pass.test
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: tls-app, port: { number: 80 } } } }] }
---
apiVersion: networking.k8s.io/v1
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
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] }
`,
    ].join('---\n'));
  });

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    tlsBackend?.close();
    plainBackend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('with the flag', () => {
    let p: PierProcess;
    beforeAll(async () => {
      p = await startPier(['--manifests', dir, '--workers', '1', '--enable-ssl-passthrough', '--client-header-timeout', '2s']);
      started.push(p);
    });

    it('a client naming the passthrough host sees the backend\'s certificate and its answer (HTTP/1.1)', async () => {
      const answer = await https(p.httpsPort, 'pass.test', '/hello');
      expect(answer).toEqual({ status: 200, body: 'tls-backend 1.1 pass.test /hello', peerCn: 'backend-own.test' });
    });

    it('HTTP/2 is negotiated with the backend itself (ALPN end to end)', async () => {
      const answer = await h2(p.httpsPort, 'pass.test', '/two');
      expect(answer).toEqual({ status: 200, body: 'tls-backend 2.0 pass.test /two', peerCn: 'backend-own.test', alpn: 'h2' });
    });

    it('another host keeps Pier\'s certificate and routing', async () => {
      expect(await https(p.httpsPort, 'secure.test', '/x')).toEqual({ status: 200, body: 'plain-backend /x', peerCn: 'secure.test' });
    });

    it('plain HTTP to the passthrough host is routed, to the backend over HTTPS', async () => {
      expect(await http(p.httpPort, 'pass.test', '/plain')).toEqual({ status: 200, body: 'tls-backend 1.1 pass.test /plain' });
    });

    it('garbage is closed, a client stalling before its ClientHello is closed after the header timeout; others are served meanwhile', async () => {
      const garbage = netConnect({ host: '127.0.0.1', port: p.httpsPort });
      garbage.on('error', () => {});
      garbage.end('GET / HTTP/1.1\r\nHost: pass.test\r\n\r\n');
      garbage.resume();
      const stalled = netConnect({ host: '127.0.0.1', port: p.httpsPort });
      stalled.on('error', () => {});
      stalled.write(Buffer.from([22, 3, 1, 0, 200, 1])); // the start of a hello, never finished
      stalled.resume();
      let stalledClosed = false;
      stalled.once('close', () => (stalledClosed = true));
      await once(garbage, 'close');
      expect(stalledClosed).toBe(false);
      expect((await https(p.httpsPort, 'pass.test')).peerCn).toBe('backend-own.test');
      expect((await https(p.httpsPort, 'secure.test')).peerCn).toBe('secure.test');
      await waitFor(() => stalledClosed, 10_000, 'the stalled client closed');
    });

    it('the relayed connections are counted in /metrics', async () => {
      const metrics = await fetch(`http://127.0.0.1:${p.healthPort}/metrics`).then((r) => r.text());
      const line = metrics.split('\n').find((l) => l.startsWith('pier_ssl_passthrough_connections_total'));
      expect(Number(line?.split(' ').pop())).toBeGreaterThanOrEqual(3);
    });
  });

  it('without the flag the host is terminated by Pier and the Ingress is told', async () => {
    const p = await startPier(['--manifests', dir, '--workers', '1']);
    started.push(p);
    const answer = await https(p.httpsPort, 'pass.test', '/hello');
    // Pier's own certificate (the default, self-signed), and the request routed to the backend over HTTPS.
    expect(answer.peerCn).not.toBe('backend-own.test');
    expect(answer.body).toBe('tls-backend 1.1 pass.test /hello');
    expect(p.output()).toContain('SSLPassthroughDisabled');
    await p.stop();
  });
});
