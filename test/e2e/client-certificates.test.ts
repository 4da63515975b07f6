import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { request } from 'node:https';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { makeClientPki, type ClientPki } from './client-certs.ts';
import { ensureTool } from './access-helpers.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml, withTls } from './manifests.ts';

/*
 * Client certificates (auth-tls-*) through `pier serve`: CAs and client certificates made with
 * openssl; the handshake checks the certificate against the host's CA, and the verdict is
 * enforced per request and per upgrade; a host without auth-tls on the same listener is not affected.
 */

const OPENSSL_MISSING = ensureTool('openssl', 'openssl');
if (OPENSSL_MISSING !== undefined) console.warn(`client certificate e2e skipped: ${OPENSSL_MISSING}`);

/** An Ingress of `host` to Service app with ingress-nginx's `annotations`, over TLS from Secret `<name>-tls`. */
function ingress(name: string, host: string, annotations: Record<string, string>): string {
  const keyed = Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]));
  return withTls(annotatedIngressYaml(name, host, 'app', keyed), host, `${name}-tls`);
}

interface Answer { status: number; headers: IncomingHttpHeaders }

function get(port: number, host: string, client?: ClientPki): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, path: '/', servername: host, headers: { host }, agent: false, rejectUnauthorized: false,
      ...(client === undefined ? {} : { cert: client.clientCertPem, key: client.clientKeyPem }),
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

async function upgradeTls(port: number, host: string, client?: ClientPki): Promise<string> {
  const socket = tlsConnect({ port, host: '127.0.0.1', servername: host, rejectUnauthorized: false, ...(client === undefined ? {} : { cert: client.clientCertPem, key: client.clientKeyPem }) });
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  await new Promise((r) => socket.once('secureConnect', r));
  socket.write(`GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  try {
    await waitFor(() => received.includes('\r\n'), 5_000, 'upgrade answer');
  } finally {
    socket.destroy();
  }
  return received.slice(0, received.indexOf('\r\n'));
}

/** One HTTP/2 request over TLS (ALPN h2) with an optional client certificate: its :status. */
async function getH2(port: number, host: string, client?: ClientPki): Promise<number> {
  const session = http2Connect(`https://127.0.0.1:${port}`, {
    servername: host, rejectUnauthorized: false, ...(client === undefined ? {} : { cert: client.clientCertPem, key: client.clientKeyPem }),
  });
  session.on('error', () => {});
  try {
    const stream = session.request({ ':path': '/', ':authority': host });
    stream.on('error', () => {});
    stream.resume();
    return await new Promise<number>((resolve) => {
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('close', () => resolve(0));
    });
  } finally {
    session.destroy();
  }
}

describe.skipIf(OPENSSL_MISSING !== undefined)('client certificates through pier serve', () => {
  let dir: string;
  let app: Server;
  let pier: PierProcess;
  let good: ClientPki;
  let stranger: ClientPki;
  const seen: IncomingHttpHeaders[] = [];
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    good = makeClientPki('Pier Test CA', 'alice');
    stranger = makeClientPki('Other CA', 'mallory');
    app = createServer((req, res) => {
      seen.push(req.headers);
      res.end('app\n');
    });
    app.on('upgrade', (_req, socket: Socket) => {
      sockets.add(socket);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const caSecret = `apiVersion: v1
kind: Secret
metadata: { name: ca, namespace: default }
type: Opaque
data: { ca.crt: ${Buffer.from(good.caPem).toString('base64')} }
`;
    dir = await mkdtemp(join(tmpdir(), 'pier-client-certs-'));
    await writeFile(join(dir, 'all.yaml'), [
      INGRESS_CLASS_YAML, serviceYaml('app', [{ host: '127.0.0.1', port: (app.address() as { port: number }).port }]), caSecret,
      ingress('strict', 'strict.test', { 'auth-tls-secret': 'default/ca', 'auth-tls-pass-certificate-to-upstream': 'true' }),
      tlsSecretYaml('default', 'strict-tls', makeCertificate('strict.test')),
      ingress('optional', 'optional.test', { 'auth-tls-secret': 'default/ca', 'auth-tls-verify-client': 'optional', 'auth-tls-error-page': 'https://errors.example/cert' }),
      tlsSecretYaml('default', 'optional-tls', makeCertificate('optional.test')),
      ingress('alice-only', 'alice.test', { 'auth-tls-secret': 'default/ca', 'auth-tls-match-cn': 'CN=alice' }),
      tlsSecretYaml('default', 'alice-only-tls', makeCertificate('alice.test')),
      ingress('bob-only', 'bob.test', { 'auth-tls-secret': 'default/ca', 'auth-tls-match-cn': 'CN=bob' }),
      tlsSecretYaml('default', 'bob-only-tls', makeCertificate('bob.test')),
      ingress('open', 'open.test', {}),
      tlsSecretYaml('default', 'open-tls', makeCertificate('open.test')),
    ].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1']);
  });

  afterAll(async () => {
    await pier?.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => app?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('verify-client on: only a certificate of the CA passes; the backend gets the ssl-client-* headers', async () => {
    const port = pier.httpsPort;
    seen.length = 0;
    expect((await get(port, 'strict.test', good)).status).toBe(200);
    expect(seen[0]).toMatchObject({ 'ssl-client-verify': 'SUCCESS', 'ssl-client-subject-dn': 'CN=alice,O=Pier Test', 'ssl-client-issuer-dn': 'CN=Pier Test CA' });
    expect(decodeURIComponent(String(seen[0]!['ssl-client-cert']))).toBe(good.clientCertPem.trim() + '\n');
    expect((await get(port, 'strict.test')).status).toBe(400);
    expect((await get(port, 'strict.test', stranger)).status).toBe(400);
    expect(await upgradeTls(port, 'strict.test', good)).toMatch(/^HTTP\/1\.1 101/);
    expect(await upgradeTls(port, 'strict.test')).toMatch(/^HTTP\/1\.1 400/);
    expect(await upgradeTls(port, 'strict.test', stranger)).toMatch(/^HTTP\/1\.1 400/);
  });

  it('over HTTP/2 (ALPN h2) the verdict is the same: the CA\'s certificate passes with the ssl-client-* headers, none or another CA\'s is 400', async () => {
    const port = pier.httpsPort;
    seen.length = 0;
    expect(await getH2(port, 'strict.test', good)).toBe(200);
    expect(seen[0]).toMatchObject({ 'ssl-client-verify': 'SUCCESS', 'ssl-client-subject-dn': 'CN=alice,O=Pier Test' });
    expect(await getH2(port, 'strict.test')).toBe(400);
    expect(await getH2(port, 'strict.test', stranger)).toBe(400);
    expect(await getH2(port, 'bob.test', good)).toBe(403);
  });

  it('optional: no certificate passes, a wrong one goes to auth-tls-error-page', async () => {
    const port = pier.httpsPort;
    expect((await get(port, 'optional.test')).status).toBe(200);
    expect((await get(port, 'optional.test', good)).status).toBe(200);
    const refused = await get(port, 'optional.test', stranger);
    expect(refused.status).toBe(302);
    expect(refused.headers.location).toBe('https://errors.example/cert');
  });

  it('auth-tls-match-cn: a valid certificate whose subject does not match gets 403', async () => {
    expect((await get(pier.httpsPort, 'alice.test', good)).status).toBe(200);
    expect((await get(pier.httpsPort, 'bob.test', good)).status).toBe(403);
    expect(await upgradeTls(pier.httpsPort, 'bob.test', good)).toMatch(/^HTTP\/1\.1 403/);
  });

  it('a host without auth-tls on the same listener is unaffected', async () => {
    expect((await get(pier.httpsPort, 'open.test')).status).toBe(200);
    expect((await get(pier.httpsPort, 'open.test', stranger)).status).toBe(200);
  });
});
