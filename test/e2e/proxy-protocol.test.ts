import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as h2Connect } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { upgrade } from './access-helpers.ts';
import { INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * `pier serve --proxy-protocol`: the PROXY header (v1 and v2) a load balancer sends before
 * anything else gives the client address that allow lists check, on HTTP, HTTPS (before the
 * TLS handshake) and upgrades; a connection without one is closed.
 */

const ALLOWED = '203.0.113.9';

function v2Header(source: string): Buffer {
  const body = [...source.split('.').map(Number), 10, 0, 0, 1, 0x1f, 0x90, 0x01, 0xbb];
  return Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0, body.length, ...body]);
}

/** Writes `prefix` then a GET for `host` on a raw socket (TLS after the prefix with `tls`); the
 * status line, and the Location header if any. */
async function answer(port: number, prefix: Buffer | string, tls = false, host = 'allow.test'): Promise<{ status: string; location: string | undefined }> {
  const raw = connect(port, '127.0.0.1');
  raw.on('error', () => {});
  await new Promise((r) => raw.once('connect', r));
  raw.write(prefix);
  let socket: Socket = raw;
  if (tls) {
    socket = tlsConnect({ socket: raw, servername: host, rejectUnauthorized: false });
    await new Promise((r) => socket.once('secureConnect', r));
  }
  let received = '';
  let closed = false;
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  await waitFor(() => received.includes('\r\n\r\n') || closed, 5_000, 'answer or close');
  socket.destroy();
  const location = /\r\nlocation: ([^\r]*)\r\n/i.exec(received)?.[1];
  return { status: received.includes('\r\n') ? received.slice(0, received.indexOf('\r\n')) : 'closed', location };
}

/** answer()'s status line. */
async function statusLine(port: number, prefix: Buffer | string, tls = false): Promise<string> {
  return (await answer(port, prefix, tls)).status;
}

/**
 * An HTTP/2 request for allow.test after `prefix` on a raw socket: h2c with prior knowledge, or
 * TLS with ALPN h2 (`tls`); its :status, or 'closed'.
 */
async function h2Status(port: number, prefix: Buffer | string, tls = false): Promise<string> {
  const raw = connect(port, '127.0.0.1');
  raw.on('error', () => {});
  await new Promise((r) => raw.once('connect', r));
  raw.write(prefix);
  let socket: Socket = raw;
  if (tls) {
    socket = tlsConnect({ socket: raw, servername: 'allow.test', rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    await new Promise((r) => socket.once('secureConnect', r));
  }
  const session = h2Connect(`${tls ? 'https' : 'http'}://allow.test`, { createConnection: () => socket });
  session.on('error', () => {});
  try {
    const stream = session.request({ ':path': '/', ':authority': 'allow.test' });
    stream.on('error', () => {});
    stream.resume();
    return await new Promise<string>((resolve) => {
      stream.on('response', (h) => resolve(String(h[':status'])));
      stream.on('close', () => resolve('closed'));
    });
  } finally {
    session.destroy();
    raw.destroy();
  }
}

describe('--proxy-protocol through pier serve', () => {
  let dir: string;
  let app: Server;
  let pier: PierProcess;
  const sockets = new Set<Socket>();
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    app = createServer((req, res) => {
      seen.push(req.headers);
      res.end('app\n');
    });
    app.on('upgrade', (_req, socket: Socket) => {
      sockets.add(socket);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    dir = await mkdtemp(join(tmpdir(), 'pier-proxy-protocol-'));
    await writeFile(join(dir, 'all.yaml'), [INGRESS_CLASS_YAML, serviceYaml('app', [{ host: '127.0.0.1', port: (app.address() as { port: number }).port }]), `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: allow
  namespace: default
  annotations: { nginx.ingress.kubernetes.io/allowlist-source-range: "${ALLOWED}/32" }
spec:
  ingressClassName: pier
  rules: [{ host: allow.test, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: app, port: { number: 80 } } } }] } }]
`, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: secure
  namespace: default
  annotations: { nginx.ingress.kubernetes.io/force-ssl-redirect: "true" }
spec:
  ingressClassName: pier
  rules: [{ host: secure.test, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: app, port: { number: 80 } } } }] } }]
`].join('---\n'));
    // /readyz is on the health port, which does not speak PROXY protocol.
    pier = await startPier(['--manifests', dir, '--workers', '1', '--proxy-protocol']);
  });

  afterAll(async () => {
    await pier?.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => app?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('HTTP: the PROXY source address is the client address (v1 and v2)', async () => {
    const port = pier.httpPort;
    expect(await statusLine(port, `PROXY TCP4 ${ALLOWED} 10.0.0.1 5555 80\r\n`)).toMatch(/^HTTP\/1\.1 200/);
    expect(await statusLine(port, 'PROXY TCP4 198.51.100.1 10.0.0.1 5555 80\r\n')).toMatch(/^HTTP\/1\.1 403/);
    expect(await statusLine(port, v2Header(ALLOWED))).toMatch(/^HTTP\/1\.1 200/);
    expect(await statusLine(port, v2Header('198.51.100.1'))).toMatch(/^HTTP\/1\.1 403/);
    expect(await statusLine(port, '')).toBe('closed'); // no header: never served
  });

  it('HTTPS: the header comes before the TLS handshake', async () => {
    expect(await statusLine(pier.httpsPort, `PROXY TCP4 ${ALLOWED} 10.0.0.1 5555 443\r\n`, true)).toMatch(/^HTTP\/1\.1 200/);
    expect(await statusLine(pier.httpsPort, v2Header('198.51.100.1'), true)).toMatch(/^HTTP\/1\.1 403/);
  });

  it('HTTP/2: the PROXY source address is the client address, in the clear (prior knowledge) and over TLS (ALPN h2)', async () => {
    expect(await h2Status(pier.httpPort, `PROXY TCP4 ${ALLOWED} 10.0.0.1 5555 80\r\n`)).toBe('200');
    expect(await h2Status(pier.httpPort, v2Header('198.51.100.1'))).toBe('403');
    expect(await h2Status(pier.httpsPort, v2Header(ALLOWED), true)).toBe('200');
    expect(await h2Status(pier.httpsPort, 'PROXY TCP4 198.51.100.1 10.0.0.1 5555 443\r\n', true)).toBe('403');
  });

  it('upgrades are checked with the PROXY address too', async () => {
    expect(await upgrade(pier.httpPort, 'allow.test', {}, `PROXY TCP4 ${ALLOWED} 10.0.0.1 5555 80\r\n`)).toMatch(/^HTTP\/1\.1 101/);
    expect(await upgrade(pier.httpPort, 'allow.test', {}, 'PROXY TCP4 198.51.100.1 10.0.0.1 5555 80\r\n')).toMatch(/^HTTP\/1\.1 403/);
  });

  it('the port the client reached on the balancer: 443 means https (a balancer ending TLS), as ingress-nginx\'s use-proxy-protocol', async () => {
    seen.length = 0;
    // TLS ended at the balancer's 443: force-ssl-redirect serves it, and the backend is told https.
    expect(await answer(pier.httpPort, `PROXY TCP4 ${ALLOWED} 10.0.0.1 5555 443\r\n`, false, 'secure.test')).toEqual({ status: 'HTTP/1.1 200 OK', location: undefined });
    expect(seen[0]).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' });
    // Plain HTTP on the balancer's 80: redirected, and the backend would be told port 80.
    expect(await answer(pier.httpPort, `PROXY TCP4 ${ALLOWED} 10.0.0.1 5555 80\r\n`, false, 'secure.test')).toEqual({ status: 'HTTP/1.1 308 Permanent Redirect', location: 'https://secure.test' });
    seen.length = 0;
    expect(await statusLine(pier.httpPort, `PROXY TCP4 ${ALLOWED} 10.0.0.1 5555 8080\r\n`)).toMatch(/^HTTP\/1\.1 200/);
    expect(seen[0]).toMatchObject({ 'x-forwarded-proto': 'http', 'x-forwarded-port': '8080' });
  });

  it('the same over HTTP/2 in the clear (h2c after the PROXY header)', async () => {
    seen.length = 0;
    expect(await h2Status(pier.httpPort, `PROXY TCP4 ${ALLOWED} 10.0.0.1 5555 443\r\n`)).toBe('200');
    expect(seen[0]).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' });
  });
});
