import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * server-alias through the real binary (`pier serve --manifests`) with real sockets: an alias
 * reaches every route of its host (from every Ingress of the host), plain HTTP redirects to
 * HTTPS as the host does, a TLS client asking for the alias by SNI gets the host's certificate
 * (generated here, naming the alias) and verifies it, an alias the certificate does not name
 * gets the default certificate, and a name some Ingress serves itself keeps its own routes.
 */

const N = 'nginx.ingress.kubernetes.io/';

function backendServer(name: string): Server {
  return createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
    res.end(`${name} ${req.url ?? ''} ${req.headers.host ?? ''}`);
  });
}

const ingress = (name: string, host: string, service: string, path: string, annotations: Record<string, string> = {}, tls?: string) => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
  annotations: {${Object.entries(annotations).map(([k, v]) => ` ${k}: ${JSON.stringify(v)}`).join(',')} }
spec:
  ingressClassName: pier
${tls ? `  tls: [{ hosts: [${host}], secretName: ${tls} }]\n` : ''}  rules:
    - host: ${host}
      http: { paths: [{ path: ${path}, pathType: Prefix, backend: { service: { name: ${service}, port: { number: 80 } } } }] }
`;

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly location?: string;
  readonly peer?: PeerCertificate;
}

describe('server-alias through pier serve', () => {
  let dir: string;
  let pier: PierProcess;
  const servers: Server[] = [];
  const cert = makeCertificate('shop.example', ['shop.example', 'www.shop.example']);

  beforeAll(async () => {
    const ports: number[] = [];
    for (const name of ['main', 'extra']) {
      const s = backendServer(name);
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      ports.push((s.address() as { port: number }).port);
    }
    dir = await mkdtemp(join(tmpdir(), 'pier-server-alias-'));
    const manifests = [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('main', [{ host: '127.0.0.1', port: ports[0]! }])}`,
      `---\n${serviceYaml('extra', [{ host: '127.0.0.1', port: ports[1]! }])}`,
      `---\n${tlsSecretYaml('default', 'shop-cert', cert)}`,
      ingress('shop', 'shop.example', 'main', '/', { [`${N}server-alias`]: 'www.shop.example, shop.alias, taken.example, ~^re\\d+' }, 'shop-cert'),
      ingress('shop-extra', 'shop.example', 'extra', '/extra'),
      ingress('owner', 'taken.example', 'extra', '/'),
    ];
    await writeFile(join(dir, 'all.yaml'), manifests.join(''));
    pier = await startPier(['--manifests', dir, '--workers', '1']);
  });

  afterAll(async () => {
    await pier?.stop();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function get(host: string, path: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: pier.httpPort, path, headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, ...(res.headers.location === undefined ? {} : { location: res.headers.location }) }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** HTTPS with SNI = Host = `host`; `ca` set: the certificate must verify for `host`. */
  function getTls(host: string, path: string, ca?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        host: '127.0.0.1', port: pier.httpsPort, servername: host, path, headers: { host }, agent: false,
        ...(ca === undefined ? { rejectUnauthorized: false } : { ca, rejectUnauthorized: true }),
      }, (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, peer }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('an alias over HTTP redirects to HTTPS on the alias, as its host does (ssl-redirect)', async () => {
    expect(await get('shop.example', '/a?b=1')).toMatchObject({ status: 308, location: 'https://shop.example/a?b=1' });
    expect(await get('www.shop.example', '/a?b=1')).toMatchObject({ status: 308, location: 'https://www.shop.example/a?b=1' });
  });

  it('SNI = alias gets the host\'s certificate, which verifies, and every route of the host answers', async () => {
    const root = await getTls('www.shop.example', '/x', cert.certPem);
    expect(root.status).toBe(200);
    expect(root.body).toBe('main /x www.shop.example');
    expect(root.peer?.subject?.CN).toBe('shop.example');
    const extra = await getTls('www.shop.example', '/extra/y', cert.certPem);
    expect(extra.body).toBe('extra /extra/y www.shop.example');
  });

  it('an alias the certificate does not name gets the default certificate and still the host\'s routes', async () => {
    await expect(getTls('shop.alias', '/x', cert.certPem)).rejects.toThrow();
    const answer = await getTls('shop.alias', '/x');
    expect(answer.peer?.subject?.CN).not.toBe('shop.example');
    expect(answer.body).toBe('main /x shop.alias');
    // Same routes as the host, so the same https redirect (ingress-nginx: one server block).
    expect(await get('shop.alias', '/extra')).toMatchObject({ status: 308, location: 'https://shop.alias/extra' });
  });

  it('a name an Ingress serves itself keeps its own routes; a regex alias serves nothing', async () => {
    expect((await get('taken.example', '/x')).body).toBe('extra /x taken.example');
    expect((await get('re1', '/x')).status).toBe(404);
  });
});
