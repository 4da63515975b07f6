import { once } from 'node:events';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { request } from 'node:https';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDataplane, type Dataplane, type DataplaneOptions } from '../../src/dataplane/create-dataplane.ts';
import { generateDefaultCertificate } from '../../src/dataplane/default-certificate.ts';
import type { ServerTlsSettings } from '../../src/dataplane/tls-servers.ts';
import type { Certificate, RouteTable, VirtualHost } from '../../src/routing/route-table.ts';
import { diffTables } from '../../src/routing/table-delta.ts';
import { DEFAULT_SSL_CIPHERS } from '../../src/ssl-flags.ts';
import { makeClientPki } from '../e2e/client-certs.ts';
import { backendOf, closeAll, onCleanup, prefixRoute, startBackend, type TestBackend } from './helpers.ts';
import { makeCertificate } from './tls-certificates.ts';

/*
 * The HTTPS listener's TLS versions and ciphers with real handshakes (node:tls clients): the
 * controller-wide settings (--ssl-protocols, --ssl-ciphers) and each host's own (the ssl-ciphers
 * and ssl-prefer-server-ciphers annotations, VirtualHost.sslCiphers / .sslPreferServerCiphers),
 * chosen by the server name before the handshake. The certificates here are ECDSA P-256, so
 * TLS 1.2 negotiates the ECDHE-ECDSA ciphers of a list.
 */

afterEach(closeAll);

const INGRESS_NGINX: ServerTlsSettings = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: DEFAULT_SSL_CIPHERS };
const AES128 = 'ECDHE-ECDSA-AES128-GCM-SHA256';
const AES256 = 'ECDHE-ECDSA-AES256-GCM-SHA384';
const CHACHA = 'ECDHE-ECDSA-CHACHA20-POLY1305';
/** In Node's default list (through HIGH), not in ingress-nginx's; CBC, forbidden for HTTP/2 by RFC 9113. */
const CBC = 'ECDHE-ECDSA-AES128-SHA256';

let certs: Record<string, Certificate>;
let fallback: Certificate;
beforeAll(() => {
  certs = { 'default/strict': makeCertificate('strict.test'), 'default/shop': makeCertificate('*.shop.test') };
  fallback = generateDefaultCertificate();
});

function table(backend: TestBackend, hosts: readonly VirtualHost[]): RouteTable {
  return { virtualHosts: [...hosts], backends: [backendOf('a', [backend])], certificates: certs };
}

function vhost(host: string, own: Partial<VirtualHost> = {}): VirtualHost {
  return { host, routes: [prefixRoute('/', 'a')], ...own };
}

/** A dataplane with HTTPS serving `t`; `'node'`: no settings, Node's own defaults. */
async function startTls(t: RouteTable, settings: ServerTlsSettings | 'node' = INGRESS_NGINX, options: DataplaneOptions = {}): Promise<{ dp: Dataplane; port: number }> {
  const dp = createDataplane({ ...options, tls: { defaultCertificate: fallback, ...(settings === 'node' ? {} : { settings }) } });
  dp.swap(t, 1);
  const server = dp.httpsServer!;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => dp.close());
  return { dp, port: (server.address() as AddressInfo).port };
}

type Outcome = { readonly protocol: string; readonly cipher: string; readonly cn: string } | { readonly refused: string };

/** One handshake (bounded: 5 s): what was negotiated, or the error's code. */
function handshake(port: number, servername: string | undefined, options: ConnectionOptions = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false, ...options }, () => {
      const outcome = { protocol: socket.getProtocol()!, cipher: socket.getCipher().name, cn: String(socket.getPeerCertificate().subject?.CN) };
      socket.destroy();
      resolve(outcome);
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('handshake timed out')));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ refused: err.code ?? err.message }));
  });
}

const TLS12 = (ciphers?: string): ConnectionOptions => ({ maxVersion: 'TLSv1.2', ...(ciphers === undefined ? {} : { ciphers }) });

describe('controller-wide TLS settings (--ssl-protocols, --ssl-ciphers)', () => {
  it('ingress-nginx\'s defaults: TLS 1.3 with OpenSSL\'s suites, TLS 1.2 with the list\'s ciphers in the server\'s order', async () => {
    const { port } = await startTls(table(await startBackend('a'), [vhost('strict.test', { tls: 'default/strict' })]));
    expect(await handshake(port, 'strict.test')).toMatchObject({ protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', cn: 'strict.test' });
    // The list names no TLS 1.3 suite (nginx's ssl_ciphers never does): every suite stays on.
    expect(await handshake(port, 'strict.test', { ciphers: 'TLS_CHACHA20_POLY1305_SHA256' })).toMatchObject({ protocol: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256' });
    expect(await handshake(port, 'strict.test', TLS12(`${CHACHA}:${AES256}:${AES128}`))).toMatchObject({ protocol: 'TLSv1.2', cipher: AES128 });
    expect(await handshake(port, 'strict.test', TLS12(CBC))).toEqual({ refused: expect.stringMatching(/ALERT_HANDSHAKE_FAILURE$/) });
  });

  it('without settings Node\'s defaults apply (the CBC cipher ingress-nginx leaves out is accepted)', async () => {
    const { port } = await startTls(table(await startBackend('a'), [vhost('strict.test')]), 'node');
    expect(await handshake(port, 'strict.test', TLS12(CBC))).toMatchObject({ protocol: 'TLSv1.2', cipher: CBC });
  });

  it('TLS 1.3 only refuses a TLS 1.2 client; TLS 1.2 only refuses a TLS 1.3 one', async () => {
    const backend = await startBackend('a');
    const only13 = await startTls(table(backend, [vhost('strict.test')]), { ...INGRESS_NGINX, minVersion: 'TLSv1.3' });
    expect(await handshake(only13.port, 'strict.test', TLS12())).toEqual({ refused: expect.stringMatching(/ALERT_PROTOCOL_VERSION$/) });
    expect(await handshake(only13.port, 'strict.test')).toMatchObject({ protocol: 'TLSv1.3' });
    const only12 = await startTls(table(backend, [vhost('strict.test')]), { ...INGRESS_NGINX, maxVersion: 'TLSv1.2' });
    expect(await handshake(only12.port, 'strict.test', { minVersion: 'TLSv1.3' })).toEqual({ refused: expect.stringMatching(/ALERT_PROTOCOL_VERSION$/) });
    expect(await handshake(only12.port, 'strict.test')).toMatchObject({ protocol: 'TLSv1.2', cipher: AES128 });
  });

  it('a new default certificate keeps the settings (setSecureContext replaces every option)', async () => {
    const backend = await startBackend('a');
    const t = table(backend, [vhost('strict.test')]);
    const { dp, port } = await startTls(t);
    dp.swap({ ...t, defaultCertificate: 'default/strict' }, 2);
    const noSni = await handshake(port, undefined, TLS12(`${CHACHA}:${AES128}`));
    expect(noSni).toMatchObject({ cn: 'strict.test', cipher: AES128 });
    expect(await handshake(port, undefined, TLS12(CBC))).toHaveProperty('refused');
  });
});

describe('a host\'s own ciphers (ssl-ciphers, ssl-prefer-server-ciphers)', () => {
  const hosts = [
    vhost('strict.test', { tls: 'default/strict', sslCiphers: AES256 }),
    vhost('client-order.test', { sslPreferServerCiphers: false }),
    vhost('only13.test', { sslCiphers: 'TLS_CHACHA20_POLY1305_SHA256' }),
    vhost('plain.test'),
  ];

  it('a TLS 1.2 client of the host negotiates only its cipher, with its certificate; another host keeps the defaults', async () => {
    const { port } = await startTls(table(await startBackend('a'), hosts));
    expect(await handshake(port, 'strict.test', TLS12())).toMatchObject({ protocol: 'TLSv1.2', cipher: AES256, cn: 'strict.test' });
    expect(await handshake(port, 'strict.test', TLS12(AES128))).toEqual({ refused: expect.stringMatching(/ALERT_HANDSHAKE_FAILURE$/) });
    expect(await handshake(port, 'plain.test', TLS12())).toMatchObject({ protocol: 'TLSv1.2', cipher: AES128 });
    expect(await handshake(port, 'plain.test', TLS12(AES128))).toMatchObject({ cipher: AES128 });
    expect(await handshake(port, undefined, TLS12(AES128))).toMatchObject({ cipher: AES128 });
    // TLS 1.3 is not touched by a list of TLS 1.2 names.
    expect(await handshake(port, 'strict.test')).toMatchObject({ protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' });
  });

  it('ssl-prefer-server-ciphers "false": the client\'s order wins on that host only', async () => {
    const { port } = await startTls(table(await startBackend('a'), hosts));
    const offer = TLS12(`${CHACHA}:${AES128}`);
    expect(await handshake(port, 'client-order.test', offer)).toMatchObject({ cipher: CHACHA });
    expect(await handshake(port, 'plain.test', offer)).toMatchObject({ cipher: AES128 });
  });

  it('TLS_ names choose the host\'s TLS 1.3 suites and leave it no TLS 1.2 cipher (as Node reads a list)', async () => {
    const { port } = await startTls(table(await startBackend('a'), hosts));
    expect(await handshake(port, 'only13.test')).toMatchObject({ protocol: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256' });
    expect(await handshake(port, 'only13.test', TLS12())).toHaveProperty('refused');
  });

  it('the rules without host set the terms of unknown names and clients without SNI', async () => {
    const { port } = await startTls(table(await startBackend('a'), [vhost('plain.test'), vhost('', { sslCiphers: CHACHA })]));
    expect(await handshake(port, 'nope.test', TLS12())).toMatchObject({ cipher: CHACHA });
    expect(await handshake(port, undefined, TLS12())).toMatchObject({ cipher: CHACHA });
    expect(await handshake(port, 'plain.test', TLS12())).toMatchObject({ cipher: AES128 });
  });

  it('follows table swaps, whole and delta: a host gains, then loses, its ciphers', async () => {
    const backend = await startBackend('a');
    const t1 = table(backend, [vhost('strict.test'), vhost('plain.test')]);
    const { dp, port } = await startTls(t1);
    expect(await handshake(port, 'strict.test', TLS12())).toMatchObject({ cipher: AES128 });
    const t2 = { ...t1, virtualHosts: [vhost('strict.test', { sslCiphers: AES256 }), t1.virtualHosts[1]!] };
    dp.swapDelta(structuredClone(diffTables(t1, t2)), 2);
    expect(await handshake(port, 'strict.test', TLS12())).toMatchObject({ cipher: AES256 });
    dp.swap(t1, 3);
    expect(await handshake(port, 'strict.test', TLS12())).toMatchObject({ cipher: AES128 });
  });

  it('requests are served over a host\'s own handshake: HTTP/1.1, and HTTP/2 over TLS 1.2 with an HTTP/2-permitted cipher', async () => {
    const { port } = await startTls(table(await startBackend('a'), hosts));
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', servername: 'strict.test', headers: { host: 'strict.test' }, rejectUnauthorized: false, agent: false, maxVersion: 'TLSv1.2', timeout: 5_000 }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(`${(res.socket as TLSSocket).getCipher().name} ${res.statusCode} ${text}`));
      });
      req.once('error', reject);
      req.once('timeout', () => req.destroy(new Error('request timed out')));
      req.end();
    });
    expect(body).toBe(`${AES256} 200 backend=a`);
    expect(await h2Get(port, 'strict.test', 'strict.test', { maxVersion: 'TLSv1.2' })).toEqual({ status: 200, cipher: AES256 });
  });

  it('HTTP/2 with a cipher RFC 9113 forbids: ALPN still says h2 (as nginx); Node\'s client does not check, browsers refuse such a connection', async () => {
    const { port } = await startTls(table(await startBackend('a'), [vhost('cbc.test', { sslCiphers: CBC })]));
    expect(await h2Get(port, 'cbc.test', 'cbc.test', { maxVersion: 'TLSv1.2' })).toEqual({ status: 200, cipher: CBC });
    // Over TLS 1.3 the host's TLS 1.2 list plays no part.
    expect(await h2Get(port, 'cbc.test', 'cbc.test', {})).toEqual({ status: 200, cipher: 'TLS_AES_256_GCM_SHA384' });
  });

  it('HTTP/2 coalescing: a host whose terms differ from the connection\'s server name is answered 421', async () => {
    const { port } = await startTls(table(await startBackend('a'), [
      vhost('a.shop.test', { tls: 'default/shop', sslCiphers: AES256 }), vhost('b.shop.test', { tls: 'default/shop' }), vhost('c.shop.test', { tls: 'default/shop' }),
    ]));
    expect((await h2Get(port, 'b.shop.test', 'a.shop.test', {})).status).toBe(421);
    expect((await h2Get(port, 'b.shop.test', 'c.shop.test', {})).status).toBe(200);
  });

  it('client certificates are asked for on a host with its own ciphers too', async () => {
    const pki = makeClientPki('Ciphers CA', 'client');
    const mtls = { ...vhost('strict.test', { tls: 'default/strict', sslCiphers: AES256 }), routes: [{ ...prefixRoute('/', 'a'), policies: [{ kind: 'client-cert' as const, caPem: pki.caPem, verify: 'on' as const, depth: 1, passCertificate: false }] }] };
    const { port } = await startTls(table(await startBackend('a'), [mtls]));
    const status = (cert: boolean) => new Promise<number>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port, path: '/', servername: 'strict.test', headers: { host: 'strict.test' }, rejectUnauthorized: false, agent: false, timeout: 5_000,
        ...(cert ? { cert: pki.clientCertPem, key: pki.clientKeyPem } : {}),
      }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.once('error', reject);
      req.once('timeout', () => req.destroy(new Error('request timed out')));
      req.end();
    });
    expect(await status(true)).toBe(200);
    expect(await status(false)).toBe(400);
  });

  it('a client that never sends its ClientHello is closed after the client header timeout', async () => {
    await startTls(table(await startBackend('a'), hosts), INGRESS_NGINX, { headersTimeoutMs: 300 }).then(async ({ port }) => {
      const silent = netConnect(port, '127.0.0.1');
      await once(silent, 'connect');
      const started = Date.now();
      await once(silent, 'close');
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  it('a connection whose ClientHello is still awaited does not hold a drain past its grace', async () => {
    const { dp, port } = await startTls(table(await startBackend('a'), hosts));
    const stalled = netConnect(port, '127.0.0.1');
    stalled.on('error', () => {});
    await once(stalled, 'connect');
    const drained = await Promise.race([dp.drain(50).then(() => 'drained'), new Promise((r) => setTimeout(r, 5_000, 'still waiting'))]);
    expect(drained).toBe('drained');
  });

  it('with ssl-passthrough on, a host that is not passed through gets its own ciphers', async () => {
    const backend = await startBackend('a');
    const t = table(backend, [...hosts, { ...vhost('pass.test'), passthrough: 'a' }]);
    const { port } = await startTls(t, INGRESS_NGINX, { sslPassthrough: true });
    expect(await handshake(port, 'strict.test', TLS12())).toMatchObject({ cipher: AES256, cn: 'strict.test' });
    expect(await handshake(port, 'plain.test', TLS12())).toMatchObject({ cipher: AES128 });
  });
});

/** GET / over HTTP/2 (TLS with `servername`, :authority `authority`); bounded: 5 s. */
async function h2Get(port: number, servername: string, authority: string, tls: ConnectionOptions): Promise<{ status: number; cipher?: string }> {
  const session: ClientHttp2Session = h2connect(`https://127.0.0.1:${port}`, { servername, rejectUnauthorized: false, ...tls });
  const timer = setTimeout(() => session.destroy(new Error('HTTP/2 request timed out')), 5_000);
  try {
    await once(session, 'connect');
    const cipher = (session.socket as TLSSocket).getCipher().name;
    const stream = session.request({ ':path': '/', ':authority': authority });
    const [headers] = (await once(stream, 'response')) as [Record<string, number>];
    stream.resume();
    await once(stream, 'end');
    return headers[':status'] === 421 ? { status: 421 } : { status: headers[':status']!, cipher };
  } finally {
    clearTimeout(timer);
    session.close();
  }
}
