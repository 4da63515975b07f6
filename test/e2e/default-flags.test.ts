import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CERTIFICATE_SUBJECT } from '../../src/dataplane/default-certificate.ts';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { ingressYaml, serviceYaml } from './manifests.ts';

/** The certificate a TLS client is shown for `servername` (none: no SNI at all). */
function presented(port: number, servername?: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    // servername '' makes node send no SNI extension.
    const socket = connect({ port, host: '127.0.0.1', servername: servername ?? '', rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve(cert);
    });
    socket.once('error', reject);
  });
}

/**
 * ingress-nginx's --default-backend-service and --default-ssl-certificate, carried over as
 * they are in extraArgs, through the real binary with 2 workers.
 */
describe('pier serve --default-backend-service / --default-ssl-certificate', () => {
  let dir: string;
  let app: EchoBackend;
  let fallback: EchoBackend;
  let pier: PierProcess;
  const cert = makeCertificate('fallback.example', ['fallback.example']);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-defaults-'));
    app = await startEchoBackend('app', '127.0.0.2');
    fallback = await startEchoBackend('fallback', '127.0.0.3');
    await writeFile(join(dir, 'objects.yaml'), [
      serviceYaml('app', [{ host: app.host, port: app.port }]),
      serviceYaml('default-http-backend', [{ host: fallback.host, port: fallback.port }], 'ingress'),
      tlsSecretYaml('ingress', 'default-tls', cert),
      ingressYaml('app', 'app.example', [{ path: '/', service: 'app' }]),
    ].join('---\n'));
    pier = await startPier(['--workers', '2', '--manifests', dir, '--default-backend-service', 'ingress/default-http-backend', '--default-ssl-certificate=ingress/default-tls']);
  });
  afterAll(async () => {
    await pier?.stop();
    await Promise.all([app.close(), fallback.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const backendFor = async (host: string) => {
    const res = await request(`http://127.0.0.1:${pier.httpPort}/x`, { headers: { host } });
    await res.body.dump();
    return res.statusCode === 200 ? res.headers['x-backend'] : res.statusCode;
  };

  it('requests no rule matches go to the default backend Service; matched ones to their rule', async () => {
    expect(await backendFor('app.example')).toBe('app');
    expect(await backendFor('unknown.example')).toBe('fallback');
  });

  it('unknown SNI names and clients without SNI get the default certificate, in every worker', async () => {
    for (let i = 0; i < 6; i++) {
      expect((await presented(pier.httpsPort, 'unknown.example')).subject.CN).toBe('fallback.example');
      expect((await presented(pier.httpsPort)).subject.CN).toBe('fallback.example');
    }
  });

  it('removing the Secret goes back to the self-signed certificate without a restart', async () => {
    await writeFile(join(dir, 'objects.yaml'), [
      serviceYaml('app', [{ host: app.host, port: app.port }]),
      serviceYaml('default-http-backend', [{ host: fallback.host, port: fallback.port }], 'ingress'),
      ingressYaml('app', 'app.example', [{ path: '/', service: 'app' }]),
    ].join('---\n'));
    // Each worker swaps on its own: wait for a run of connections (both workers) that all see it.
    const selfSigned = async () => {
      for (let i = 0; i < 6; i++) {
        if ((await presented(pier.httpsPort)).subject.CN !== DEFAULT_CERTIFICATE_SUBJECT) return false;
        if ((await presented(pier.httpsPort, 'unknown.example')).subject.CN !== DEFAULT_CERTIFICATE_SUBJECT) return false;
      }
      return true;
    };
    await waitFor(selfSigned, 10_000, 'the self-signed default certificate in every worker');
    expect(pier.output()).toMatch(/"kind":"Secret","namespace":"ingress","name":"default-tls","reason":"TLSSecretNotFound"/);
  });
});
