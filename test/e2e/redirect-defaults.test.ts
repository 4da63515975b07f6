import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml, withTls } from './manifests.ts';

/*
 * --ssl-redirect / --force-ssl-redirect through `pier serve`, as ingress-nginx's ConfigMap
 * ssl-redirect: "false" (TLS hosts serve plain HTTP too) and force-ssl-redirect: "true" (every
 * host redirects, e.g. when a load balancer ends TLS), with an Ingress's annotation winning.
 */

function plainGet(port: number, host: string, path = '/page'): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('controller-wide ssl-redirect and force-ssl-redirect', () => {
  let backend: Server;
  let dir: string;
  const started: PierProcess[] = [];

  beforeAll(async () => {
    backend = createServer((req, res) => {
      req.resume();
      res.end('ok');
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    dir = await mkdtemp(join(tmpdir(), 'pier-redirect-defaults-'));
    await writeFile(join(dir, 'objects.yaml'), [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('web', [{ host: '127.0.0.1', port: (backend.address() as AddressInfo).port }])}`,
      `---\n${tlsSecretYaml('default', 'cert', makeCertificate('*.test'))}`,
      withTls(annotatedIngressYaml('tls', 'tls.test', 'web', {}), 'tls.test', 'cert'),
      withTls(annotatedIngressYaml('wants', 'wants.test', 'web', { 'nginx.ingress.kubernetes.io/ssl-redirect': 'true' }), 'wants.test', 'cert'),
      annotatedIngressYaml('plain', 'plain.test', 'web', {}),
      annotatedIngressYaml('exempt', 'exempt.test', 'web', { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'false' }),
      // cert-manager's HTTP-01 solver for a host that already has a certificate (a renewal).
      annotatedIngressYaml('cm-acme-http-solver', 'tls.test', 'web', {}).replace('path: /', 'path: /.well-known/acme-challenge/Tok3n'),
    ].join('\n'));
  });

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('--ssl-redirect false: a host with a certificate serves plain HTTP, unless its Ingress says ssl-redirect "true"', async () => {
    const p = await startPier(['--manifests', dir, '--workers', '1', '--ssl-redirect', 'false']);
    started.push(p);
    expect(await plainGet(p.httpPort, 'tls.test')).toEqual({ status: 200, location: undefined });
    expect(await plainGet(p.httpPort, 'wants.test')).toEqual({ status: 308, location: 'https://wants.test/page' });
    expect(await plainGet(p.httpPort, 'plain.test')).toEqual({ status: 200, location: undefined });
  });

  it('--force-ssl-redirect true: every host redirects, unless its Ingress says force-ssl-redirect "false"; with --no-tls-redirect-locations empty, ACME challenges too', async () => {
    // With --no-tls-redirect-locations empty, so the ACME challenge is forced too (below).
    const p = await startPier(['--manifests', dir, '--workers', '1', '--force-ssl-redirect', 'true', '--no-tls-redirect-locations=']);
    started.push(p);
    expect(await plainGet(p.httpPort, 'tls.test', '/.well-known/acme-challenge/Tok3n')).toEqual({ status: 308, location: 'https://tls.test/.well-known/acme-challenge/Tok3n' });
    expect(await plainGet(p.httpPort, 'plain.test')).toEqual({ status: 308, location: 'https://plain.test/page' });
    expect(await plainGet(p.httpPort, 'tls.test')).toEqual({ status: 308, location: 'https://tls.test/page' });
    expect(await plainGet(p.httpPort, 'exempt.test')).toEqual({ status: 200, location: undefined });
  });

  it('ingress-nginx\'s defaults: an ACME HTTP-01 challenge on a host with a certificate is served over plain HTTP; --http-redirect-code sets the status of the rest', async () => {
    const p = await startPier(['--manifests', dir, '--workers', '1', '--http-redirect-code', '301']);
    started.push(p);
    expect(await plainGet(p.httpPort, 'tls.test', '/.well-known/acme-challenge/Tok3n')).toEqual({ status: 200, location: undefined });
    expect(await plainGet(p.httpPort, 'tls.test')).toEqual({ status: 301, location: 'https://tls.test/page' });
  });
});
