import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../dataplane/tls-certificates.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { ensureTool } from './access-helpers.ts';
import { makeServerPki, opaqueSecretYaml, type ServerPki } from './backend-pki.ts';
import { makeClientPki, type ClientPki } from './client-certs.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * Backend TLS (backend-protocol HTTPS / GRPCS and the proxy-ssl-* annotations) through
 * `pier serve --manifests`, with real node:https / node:http2 backends and certificates made
 * with openssl at test time. Each backend answers with what it saw of the TLS connection: the
 * SNI Pier sent and the client certificate Pier presented.
 */

const OPENSSL_MISSING = ensureTool('openssl', 'openssl');
if (OPENSSL_MISSING !== undefined) console.warn(`backend TLS e2e skipped: ${OPENSSL_MISSING}`);

interface Seen {
  readonly backend: string;
  /** The SNI Pier sent (false: none). */
  readonly servername: string | false;
  /** The subject CN of the client certificate Pier presented, '' for none. */
  readonly clientCn: string;
}

function answer(name: string, socket: TLSSocket): string {
  const peer = socket.getPeerCertificate();
  const servername = (socket as TLSSocket & { servername?: string | false }).servername ?? false;
  return JSON.stringify({ backend: name, servername, clientCn: String(peer?.subject?.CN ?? '') } satisfies Seen);
}

async function listen(server: Server | Http2SecureServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

const N = 'nginx.ingress.kubernetes.io/';

function ingress(name: string, service: string, annotations: Record<string, string>): string {
  return annotatedIngressYaml(name, `${name}.test`, service, Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`${N}${k}`, v])));
}

interface Answer { readonly status: number; readonly body: string }

describe.skipIf(OPENSSL_MISSING !== undefined)('backend TLS through pier serve', () => {
  let dir: string;
  let pier: PierProcess;
  let server: ServerPki;
  let otherCa: ServerPki;
  let client: ClientPki;
  let chained: ServerPki;
  const servers: (Server | Http2SecureServer)[] = [];

  beforeAll(async () => {
    server = makeServerPki('Backend CA', ['backend.internal']);
    otherCa = makeServerPki('Other CA', ['backend.internal']);
    client = makeClientPki('Pier Client CA', 'pier-proxy');
    chained = makeServerPki('Chain Root CA', ['deep.internal'], true);
    const selfSigned = makeCertificate('dashboard.internal');
    // An HTTP/2 backend that requires a client certificate of `client`'s CA.
    const h2mtls = createSecureServer({ cert: server.certPem, key: server.keyPem, ca: client.caPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => res.end(answer('h2-mtls', req.socket as TLSSocket)));

    // A cluster-internal backend with a self-signed certificate (argocd-server, dashboards...).
    const plain = createServer({ cert: selfSigned.certPem, key: selfSigned.keyPem }, (req, res) => res.end(answer('self-signed', req.socket as TLSSocket)));
    // A backend with a certificate of `server`'s CA for backend.internal.
    const signed = createServer({ cert: server.certPem, key: server.keyPem }, (req, res) => res.end(answer('signed', req.socket as TLSSocket)));
    // A backend that requires a client certificate of `client`'s CA (mTLS).
    const mtls = createServer({ cert: server.certPem, key: server.keyPem, ca: client.caPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => res.end(answer('mtls', req.socket as TLSSocket)));
    // A backend limited to TLS 1.2.
    const tls12 = createServer({ cert: server.certPem, key: server.keyPem, maxVersion: 'TLSv1.2' }, (req, res) => res.end(answer('tls12', req.socket as TLSSocket)));
    // A backend whose certificate comes from an intermediate CA (a chain of depth 2).
    const deep = createServer({ cert: chained.certPem, key: chained.keyPem }, (req, res) => res.end(answer('deep', req.socket as TLSSocket)));
    // An HTTP/2 (GRPCS) backend with a self-signed certificate.
    const h2 = createSecureServer({ cert: selfSigned.certPem, key: selfSigned.keyPem }, (req, res) => res.end(answer('h2', req.socket as TLSSocket)));
    const ports: Record<string, number> = {};
    for (const [name, s] of Object.entries({ plain, signed, mtls, tls12, h2, deep, h2mtls })) {
      servers.push(s);
      ports[name] = await listen(s);
    }
    const svc = (name: string) => `---\n${serviceYaml(name, [{ host: '127.0.0.1', port: ports[name]! }])}`;
    const caOnly = (name: string, caPem: string) => `---\n${opaqueSecretYaml('default', name, { 'ca.crt': caPem })}`;
    dir = await mkdtemp(join(tmpdir(), 'pier-backend-tls-'));
    await writeFile(join(dir, 'all.yaml'), [
      INGRESS_CLASS_YAML,
      svc('plain'), svc('signed'), svc('mtls'), svc('tls12'), svc('h2'), svc('deep'), svc('h2mtls'),
      caOnly('backend-ca', server.caPem),
      caOnly('other-ca', otherCa.caPem),
      caOnly('chain-ca', chained.caPem),
      `---\n${opaqueSecretYaml('default', 'client-cert', { 'tls.crt': client.clientCertPem, 'tls.key': client.clientKeyPem, 'ca.crt': server.caPem })}`,
      `---\n${opaqueSecretYaml('other', 'backend-ca', { 'ca.crt': server.caPem })}`,
      ingress('default-https', 'plain', { 'backend-protocol': 'HTTPS' }),
      ingress('default-grpcs', 'h2', { 'backend-protocol': 'GRPCS' }),
      ingress('verify-ok', 'signed', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/backend-ca', 'proxy-ssl-verify': 'on', 'proxy-ssl-name': 'backend.internal' }),
      ingress('verify-wrong-ca', 'signed', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/other-ca', 'proxy-ssl-verify': 'on', 'proxy-ssl-name': 'backend.internal' }),
      ingress('verify-wrong-name', 'signed', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/backend-ca', 'proxy-ssl-verify': 'on', 'proxy-ssl-name': 'other.internal' }),
      ingress('verify-no-name', 'signed', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/backend-ca', 'proxy-ssl-verify': 'on' }),
      ingress('verify-off', 'signed', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/other-ca', 'proxy-ssl-verify': 'off', 'proxy-ssl-name': 'backend.internal' }),
      ingress('sni-on', 'signed', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/backend-ca', 'proxy-ssl-verify': 'on', 'proxy-ssl-name': 'backend.internal', 'proxy-ssl-server-name': 'on' }),
      ingress('mtls', 'mtls', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/client-cert', 'proxy-ssl-verify': 'on', 'proxy-ssl-name': 'backend.internal' }),
      ingress('mtls-none', 'mtls', { 'backend-protocol': 'HTTPS' }),
      ingress('mtls-grpcs', 'h2mtls', { 'backend-protocol': 'GRPCS', 'proxy-ssl-secret': 'default/client-cert', 'proxy-ssl-verify': 'on', 'proxy-ssl-name': 'backend.internal' }),
      ingress('grpcs-none', 'h2mtls', { 'backend-protocol': 'GRPCS' }),
      ingress('tls13-only', 'tls12', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/backend-ca', 'proxy-ssl-protocols': 'TLSv1.3' }),
      ingress('tls12-ok', 'tls12', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/backend-ca', 'proxy-ssl-protocols': 'TLSv1.2 TLSv1.3' }),
      ingress('depth-1', 'deep', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/chain-ca', 'proxy-ssl-verify': 'on', 'proxy-ssl-name': 'deep.internal' }),
      ingress('depth-2', 'deep', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/chain-ca', 'proxy-ssl-verify': 'on', 'proxy-ssl-name': 'deep.internal', 'proxy-ssl-verify-depth': '2' }),
      ingress('missing', 'signed', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'default/late-ca', 'proxy-ssl-verify': 'on', 'proxy-ssl-name': 'backend.internal' }),
      ingress('elsewhere', 'plain', { 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': 'other/backend-ca' }),
    ].join(''));
    pier = await startPier(['--manifests', dir, '--workers', '1']);
  });

  afterAll(async () => {
    await pier?.stop();
    for (const s of servers) {
      (s as Server).closeAllConnections?.();
      await new Promise((r) => s.close(r));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function get(host: string, path = '/'): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: pier.httpPort, path, headers: { host }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.once('error', reject);
      req.end();
    });
  }
  const seen = (a: Answer): Seen => JSON.parse(a.body) as Seen;

  it('backend-protocol HTTPS without proxy-ssl-* does not verify the backend (ingress-nginx proxy_ssl_verify off): a self-signed backend answers 200', async () => {
    const res = await get('default-https.test');
    expect(res.status).toBe(200);
    expect(seen(res)).toEqual({ backend: 'self-signed', servername: false, clientCn: '' });
  });

  it('backend-protocol GRPCS (the HTTP/2 client) likewise: a self-signed HTTP/2 backend answers 200', async () => {
    const res = await get('default-grpcs.test');
    expect(res.status).toBe(200);
    expect(seen(res).backend).toBe('h2');
  });

  it('proxy-ssl-verify on: verified against the Secret\'s ca.crt and proxy-ssl-name; a wrong CA or name is 502; verify off accepts any', async () => {
    expect((await get('verify-ok.test')).status).toBe(200);
    expect((await get('verify-wrong-ca.test')).status).toBe(502);
    expect((await get('verify-wrong-name.test')).status).toBe(502);
    // Without proxy-ssl-name the certificate is checked against the endpoint's address, which it does not list.
    expect((await get('verify-no-name.test')).status).toBe(502);
    expect((await get('verify-off.test')).status).toBe(200);
  });

  it('SNI is sent only with proxy-ssl-server-name on, and it is proxy-ssl-name', async () => {
    expect(seen(await get('verify-ok.test')).servername).toBe(false);
    expect(seen(await get('sni-on.test')).servername).toBe('backend.internal');
  });

  it('proxy-ssl-secret tls.crt/tls.key: the client certificate is presented (mTLS); without it the backend refuses', async () => {
    const res = await get('mtls.test');
    expect(res.status).toBe(200);
    expect(seen(res)).toMatchObject({ backend: 'mtls', clientCn: 'pier-proxy' });
    expect((await get('mtls-none.test')).status).toBe(502);
  });

  it('the HTTP/2 client (GRPCS) presents the client certificate too', async () => {
    const res = await get('mtls-grpcs.test');
    expect(res.status).toBe(200);
    expect(seen(res)).toMatchObject({ backend: 'h2-mtls', clientCn: 'pier-proxy' });
    expect((await get('grpcs-none.test')).status).toBe(502);
  });

  it('proxy-ssl-protocols: TLSv1.3 only cannot reach a TLS 1.2 backend (502); TLSv1.2 TLSv1.3 can', async () => {
    expect((await get('tls13-only.test')).status).toBe(502);
    expect((await get('tls12-ok.test')).status).toBe(200);
  });

  it('proxy-ssl-verify-depth: 1 (the default) refuses a chain through an intermediate CA, 2 accepts it', async () => {
    expect((await get('depth-1.test')).status).toBe(502);
    expect((await get('depth-2.test')).status).toBe(200);
  });

  it('a missing proxy-ssl-secret: that Ingress answers 503 with a problem naming it, the others serve; the Secret appearing later fixes it', async () => {
    expect((await get('missing.test')).status).toBe(503);
    expect((await get('default-https.test')).status).toBe(200);
    await waitFor(() => /"reason":"ProxySSLSecretNotFound".*proxy-ssl-secret default\/late-ca does not exist/.test(pier.output()), 5_000, 'the problem logged');
    expect((await get('elsewhere.test')).status).toBe(503);
    expect(pier.output()).toMatch(/"reason":"ProxySSLSecretRefused".*proxy-ssl-secret other\/backend-ca is in another namespace/);
    // The backend's certificate (backend.internal, `server`'s CA) verifies once the Secret exists.
    await writeFile(join(dir, 'late.yaml'), opaqueSecretYaml('default', 'late-ca', { 'ca.crt': server.caPem }));
    await waitFor(async () => (await get('missing.test')).status !== 503, 10_000, 'the Secret to be read');
    expect((await get('missing.test')).status).toBe(200);
  });
});
