import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../dataplane/tls-certificates.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { ensureTool } from './access-helpers.ts';
import { makeServerPki, opaqueSecretYaml, type ServerPki } from './backend-pki.ts';
import { makeClientPki, type ClientPki } from './client-certs.ts';
import { INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

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
  const lines = Object.entries(annotations).map(([k, v]) => `    ${N}${k}: ${JSON.stringify(v)}`).join('\n');
  return `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
  annotations:
${lines || '    {}'}
spec:
  ingressClassName: pier
  rules: [{ host: ${name}.test, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: ${service}, port: { number: 80 } } } }] } }]
`;
}

interface Answer { readonly status: number; readonly body: string }

describe.skipIf(OPENSSL_MISSING !== undefined)('backend TLS through pier serve', () => {
  let dir: string;
  let pier: PierProcess;
  let server: ServerPki;
  let otherCa: ServerPki;
  let client: ClientPki;
  const servers: (Server | Http2SecureServer)[] = [];

  beforeAll(async () => {
    server = makeServerPki('Backend CA', ['backend.internal']);
    otherCa = makeServerPki('Other CA', ['backend.internal']);
    client = makeClientPki('Pier Client CA', 'pier-proxy');
    const selfSigned = makeCertificate('dashboard.internal');

    // A cluster-internal backend with a self-signed certificate (argocd-server, dashboards...).
    const plain = createServer({ cert: selfSigned.certPem, key: selfSigned.keyPem }, (req, res) => res.end(answer('self-signed', req.socket as TLSSocket)));
    // A backend with a certificate of `server`'s CA for backend.internal.
    const signed = createServer({ cert: server.certPem, key: server.keyPem }, (req, res) => res.end(answer('signed', req.socket as TLSSocket)));
    // A backend that requires a client certificate of `client`'s CA (mTLS).
    const mtls = createServer({ cert: server.certPem, key: server.keyPem, ca: client.caPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => res.end(answer('mtls', req.socket as TLSSocket)));
    // A backend limited to TLS 1.2.
    const tls12 = createServer({ cert: server.certPem, key: server.keyPem, maxVersion: 'TLSv1.2' }, (req, res) => res.end(answer('tls12', req.socket as TLSSocket)));
    // An HTTP/2 (GRPCS) backend with a self-signed certificate.
    const h2 = createSecureServer({ cert: selfSigned.certPem, key: selfSigned.keyPem }, (req, res) => res.end(answer('h2', req.socket as TLSSocket)));
    const ports: Record<string, number> = {};
    for (const [name, s] of Object.entries({ plain, signed, mtls, tls12, h2 })) {
      servers.push(s);
      ports[name] = await listen(s);
    }
    const svc = (name: string) => `---\n${serviceYaml(name, [{ host: '127.0.0.1', port: ports[name]! }])}`;
    const caOnly = (name: string, caPem: string) => `---\n${opaqueSecretYaml('default', name, { 'ca.crt': caPem })}`;
    dir = await mkdtemp(join(tmpdir(), 'pier-backend-tls-'));
    await writeFile(join(dir, 'all.yaml'), [
      INGRESS_CLASS_YAML,
      svc('plain'), svc('signed'), svc('mtls'), svc('tls12'), svc('h2'),
      caOnly('backend-ca', server.caPem),
      caOnly('other-ca', otherCa.caPem),
      `---\n${opaqueSecretYaml('default', 'client-cert', { 'tls.crt': client.clientCertPem, 'tls.key': client.clientKeyPem, 'ca.crt': server.caPem })}`,
      ingress('default-https', 'plain', { 'backend-protocol': 'HTTPS' }),
      ingress('default-grpcs', 'h2', { 'backend-protocol': 'GRPCS' }),
      ingress('http', 'plain', {}),
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
});
