import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type PeerCertificate } from 'node:tls';
import { createDataplane, type Dataplane } from '../../src/dataplane/create-dataplane.ts';
import { DEFAULT_CERTIFICATE_SUBJECT, generateDefaultCertificate } from '../../src/dataplane/default-certificate.ts';
import { SniCertificates } from '../../src/dataplane/sni-certificates.ts';
import type { Certificate, RouteTable } from '../../src/routing/route-table.ts';
import { backendOf, closeAll, layerFromEnv, onCleanup, prefixRoute, startBackend, type TestBackend } from './helpers.ts';
import { makeCertificate } from './tls-certificates.ts';

/*
 * The HTTPS listener with real TLS sockets: the certificate presented per SNI name, requests
 * proxied with X-Forwarded-Proto: https, certificate swaps, keepalive across swaps, drain.
 */

afterEach(closeAll);

let foo: Certificate;
let foo2: Certificate;
let wild: Certificate;
let fallback: Certificate;
beforeAll(() => {
  foo = makeCertificate('foo.test');
  foo2 = makeCertificate('foo.test', ['foo.test', 'renewed.foo.test']);
  wild = makeCertificate('*.wild.test');
  fallback = generateDefaultCertificate();
});

function tableWith(backend: TestBackend, fooCert: Certificate = foo): RouteTable {
  const b = backendOf('a', [backend]);
  return {
    virtualHosts: [
      { host: '*.wild.test', routes: [prefixRoute('/', 'a')], tls: 'default/wild' },
      { host: 'foo.test', routes: [prefixRoute('/', 'a')], tls: 'default/foo' },
      { host: 'plain.test', routes: [prefixRoute('/', 'a')] },
    ],
    backends: [b],
    certificates: { 'default/foo': fooCert, 'default/wild': wild },
  };
}

async function startTls(table: RouteTable): Promise<{ dp: Dataplane; port: number }> {
  const dp = createDataplane({ ...layerFromEnv(), tls: { defaultCertificate: fallback } });
  dp.swap(table, 1);
  const server = dp.httpsServer!;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => dp.close());
  return { dp, port: (server.address() as AddressInfo).port };
}

/** Handshakes naming `servername` (none when undefined) and returns the presented certificate. */
function presented(port: number, servername?: string, alpn?: string[]): Promise<{ cert: PeerCertificate; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false, ALPNProtocols: alpn }, () => {
      const result = { cert: socket.getPeerCertificate(), alpn: socket.alpnProtocol ?? false };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', reject);
  });
}

function get(port: number, host: string, agent: Agent): Promise<{ res: IncomingMessage; body: string; reused: boolean; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', servername: host, headers: { host }, agent, rejectUnauthorized: false }, (res) => {
      const socket = res.socket;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ res, body, reused: req.reusedSocket, socket }));
    });
    req.once('error', reject);
    req.end();
  });
}

function keepaliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
  onCleanup(() => agent.destroy());
  return agent;
}

describe('HTTPS listener', () => {
  const rows: { name: string; servername?: string; cn: string }[] = [
    { name: 'exact host', servername: 'foo.test', cn: 'foo.test' },
    { name: 'exact host, other case and trailing dot', servername: 'FOO.test.', cn: 'foo.test' },
    { name: 'single-label wildcard', servername: 'a.wild.test', cn: '*.wild.test' },
    { name: 'two labels below the wildcard: default', servername: 'a.b.wild.test', cn: DEFAULT_CERTIFICATE_SUBJECT },
    { name: 'host without tls: default', servername: 'plain.test', cn: DEFAULT_CERTIFICATE_SUBJECT },
    { name: 'unknown host: default', servername: 'nope.test', cn: DEFAULT_CERTIFICATE_SUBJECT },
    { name: 'no SNI: default', servername: undefined, cn: DEFAULT_CERTIFICATE_SUBJECT },
  ];
  for (const row of rows) {
    it(`presents the certificate by SNI: ${row.name}`, async () => {
      const { port } = await startTls(tableWith(await startBackend('a')));
      const { cert } = await presented(port, row.servername);
      expect(cert.subject.CN).toBe(row.cn);
    });
  }

  it('ALPN: h2 for a client offering it, http/1.1 for one offering only that; a host that opted out of HTTP/2 gets http/1.1', async () => {
    const table = tableWith(await startBackend('a'));
    const { port } = await startTls({ ...table, virtualHosts: table.virtualHosts.map((v) => (v.host === 'plain.test' ? { ...v, http2: false as const } : v)) });
    expect((await presented(port, 'foo.test', ['h2', 'http/1.1'])).alpn).toBe('h2');
    expect((await presented(port, 'foo.test', ['http/1.1'])).alpn).toBe('http/1.1');
    expect((await presented(port, 'plain.test', ['h2', 'http/1.1'])).alpn).toBe('http/1.1');
  });

  it('proxies an HTTPS request to the backend with X-Forwarded-Proto: https', async () => {
    const backend = await startBackend('a');
    const { port } = await startTls(tableWith(backend));
    const { res, body } = await get(port, 'foo.test', keepaliveAgent());
    expect(res.statusCode).toBe(200);
    expect(body).toBe('backend=a');
    expect(backend.seen[0]!.headers['x-forwarded-proto']).toBe('https');
  });

  it('a certificate swap applies to new handshakes, and the keepalive connection survives the swap', async () => {
    const backend = await startBackend('a');
    const { dp, port } = await startTls(tableWith(backend));
    const agent = keepaliveAgent();
    expect((await get(port, 'foo.test', agent)).body).toBe('backend=a');
    expect((await presented(port, 'foo.test')).cert.subjectaltname).toBe('DNS:foo.test');
    dp.swap(tableWith(backend, foo2), 2);
    expect((await presented(port, 'foo.test')).cert.subjectaltname).toBe('DNS:foo.test, DNS:renewed.foo.test');
    const after = await get(port, 'foo.test', agent);
    expect(after.body).toBe('backend=a');
    expect(after.reused).toBe(true);
    expect(after.res.headers['connection']).toBe('keep-alive');
  });

  it('drain covers the HTTPS server: an idle TLS keepalive connection is closed after the grace period', async () => {
    const backend = await startBackend('a');
    const { dp, port } = await startTls(tableWith(backend));
    const agent = keepaliveAgent();
    const first = await get(port, 'foo.test', agent);
    const socket = first.socket;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const started = Date.now();
    await dp.drain(200);
    await closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(dp.httpsServer!.listening).toBe(false);
  });
});

describe('HTTPS upgrade', () => {
  it('tunnels a WebSocket-style upgrade over TLS, telling the backend X-Forwarded-Proto: https', async () => {
    const backend = await startBackend('ws');
    let proto: string | undefined;
    backend.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      proto = req.headers['x-forwarded-proto'] as string | undefined;
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      socket.pipe(socket); // echo
    });
    const { dp, port } = await startTls(tableWith(backend));
    const socket = connect({ port, host: '127.0.0.1', servername: 'foo.test', rejectUnauthorized: false });
    onCleanup(() => void socket.destroy());
    await once(socket, 'secureConnect');
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.write('GET /chat HTTP/1.1\r\nHost: foo.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    const deadline = Date.now() + 3_000;
    while (!data.includes('\r\n\r\n') && Date.now() < deadline) await sleep(10);
    expect(data).toMatch(/^HTTP\/1\.1 101 /);
    data = '';
    socket.write('ping-tls');
    while (!data.includes('ping-tls') && Date.now() < deadline) await sleep(10);
    expect(data).toBe('ping-tls');
    expect(proto).toBe('https');
    expect(dp.stats.upgrades).toBe(1);
  });
});

describe('HTTPS drain', () => {
  it('closes a connection stalled before its TLS handshake after the grace period (regression: drain waited for the 120 s handshake timeout)', async () => {
    const { dp, port } = await startTls(tableWith(await startBackend('a')));
    const raw = netConnect(port, '127.0.0.1');
    onCleanup(() => void raw.destroy());
    await once(raw, 'connect');
    const closed = once(raw, 'close');
    const started = Date.now();
    const drained = await Promise.race([dp.drain(100).then(() => true), sleep(5_000).then(() => false)]);
    expect(drained).toBe(true);
    await closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
  });
});

describe('SniCertificates', () => {
  it('builds a context once per certificate and reuses it while the PEMs are unchanged', () => {
    const sni = new SniCertificates(fallback);
    const t = (fooCert: Certificate): RouteTable => ({
      virtualHosts: [{ host: 'foo.test', routes: [], tls: 'default/foo' }, { host: 'x.test', routes: [], tls: 'default/wild' }],
      backends: [],
      certificates: { 'default/foo': fooCert, 'default/wild': wild },
    });
    expect(sni.update(t(foo))).toEqual({ built: 2, reused: 0, failed: [], requestCert: false });
    const ctx = sni.contextFor('foo.test');
    expect(sni.update(t({ ...foo }))).toEqual({ built: 0, reused: 2, failed: [], requestCert: false });
    expect(sni.contextFor('foo.test')).toBe(ctx);
    expect(sni.update(t(foo2))).toEqual({ built: 1, reused: 1, failed: [], requestCert: false });
    expect(sni.contextFor('foo.test')).not.toBe(ctx);
  });

  it('a certificate OpenSSL refuses is reported and its host gets the default context', () => {
    const sni = new SniCertificates(fallback);
    const table: RouteTable = {
      virtualHosts: [{ host: 'foo.test', routes: [], tls: 'default/foo' }],
      backends: [],
      certificates: { 'default/foo': { certPem: foo.certPem, keyPem: 'garbage' } },
    };
    expect(sni.update(table).failed).toEqual(['default/foo']);
    expect(sni.contextFor('foo.test')).toBe(sni.defaultContext);
  });
});
