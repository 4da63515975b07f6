import { once } from 'node:events';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { request, Agent } from 'node:https';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CERTIFICATE_SUBJECT } from '../../src/dataplane/default-certificate.ts';
import type { Certificate } from '../../src/routing/route-table.ts';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * TLS termination through the whole product: `pier serve --manifests` with kubernetes.io/tls
 * Secret files, 2 workers, HTTPS on --https-port. Certificates are made with openssl at test
 * time, as a user would make them.
 */

const INGRESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web, namespace: default }
spec:
  ingressClassName: pier
  tls:
    - { hosts: [secure.test], secretName: secure-cert }
    - { hosts: [broken.test], secretName: no-such-secret }
  rules:
    - host: secure.test
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: a, port: { number: 80 } } } }] }
    - host: broken.test
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: a, port: { number: 80 } } } }] }
`;

function presented(port: number, servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve(cert);
    });
    socket.once('error', reject);
  });
}

function get(port: number, host: string, agent: Agent): Promise<{ res: IncomingMessage; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', servername: host, headers: { host }, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ res, body, reused: req.reusedSocket }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('TLS termination (manifest directory, 2 workers)', () => {
  let dir: string;
  let a: EchoBackend;
  let pier: PierProcess;
  let first: Certificate;
  let renewed: Certificate;
  const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });

  const writeSecret = async (cert: Certificate) => {
    const tmp = join(dir, '.secret.yaml.tmp');
    await writeFile(tmp, tlsSecretYaml('default', 'secure-cert', cert));
    await rename(tmp, join(dir, 'secret.yaml'));
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-tls-e2e-'));
    first = makeCertificate('secure.test');
    renewed = makeCertificate('secure.test', ['secure.test', 'renewed.secure.test']);
    a = await startEchoBackend('a', '127.0.0.6');
    await writeFile(join(dir, 'base.yaml'), [INGRESS_CLASS_YAML, serviceYaml('a', [a]), INGRESS].join('---\n'));
    await writeSecret(first);
    pier = await startPier(['--manifests', dir, '--workers', '2'], { readyTimeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await pier?.stop();
    await a?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('presents the Secret certificate for its host, the fake default for others and for a missing Secret', async () => {
    expect((await presented(pier.httpsPort, 'secure.test')).subject.CN).toBe('secure.test');
    expect((await presented(pier.httpsPort, 'other.test')).subject.CN).toBe(DEFAULT_CERTIFICATE_SUBJECT);
    expect((await presented(pier.httpsPort, 'broken.test')).subject.CN).toBe(DEFAULT_CERTIFICATE_SUBJECT);
  });

  it('routes HTTPS requests to the backend with X-Forwarded-Proto: https; plain HTTP is redirected to HTTPS (ssl-redirect, on for hosts with a certificate)', async () => {
    const { res } = await get(pier.httpsPort, 'secure.test', agent);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-backend']).toBe('a');
    expect(a.received.at(-1)!.headers['x-forwarded-proto']).toBe('https');
    const seen = a.received.length;
    const plain = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port: pier.httpPort, path: '/x?y=1', headers: { host: 'secure.test' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location }));
      }).once('error', reject);
    });
    expect(plain).toEqual({ status: 308, location: 'https://secure.test/x?y=1' });
    expect(a.received.length).toBe(seen); // answered by Pier, never proxied
    // A host whose Secret is missing is still served, over the default certificate.
    expect((await get(pier.httpsPort, 'broken.test', agent)).res.statusCode).toBe(200);
  });

  it('reports the missing Secret without ever logging key material', () => {
    expect(pier.output()).toContain('TLSSecretNotFound');
    expect(pier.output()).not.toContain('PRIVATE KEY');
    // A piece of the key body, raw and as the Secret file carries it (base64 of the PEM).
    expect(pier.output()).not.toContain(first.keyPem.split('\n')[1]!.slice(0, 32));
    expect(pier.output()).not.toContain(Buffer.from(first.keyPem).toString('base64').slice(48, 96));
  });

  it('an edited Secret takes effect for new handshakes without a restart; the open keepalive connection stays', { timeout: 30_000 }, async () => {
    const before = await get(pier.httpsPort, 'secure.test', agent);
    expect(before.res.statusCode).toBe(200);
    await writeSecret(renewed);
    await waitFor(async () => (await presented(pier.httpsPort, 'secure.test')).subjectaltname === 'DNS:secure.test, DNS:renewed.secure.test', 15_000, 'the renewed certificate');
    // Several fresh handshakes (the kernel spreads them over both workers) all see it.
    for (let i = 0; i < 6; i++) {
      expect((await presented(pier.httpsPort, 'secure.test')).subjectaltname).toBe('DNS:secure.test, DNS:renewed.secure.test');
    }
    const after = await get(pier.httpsPort, 'secure.test', agent);
    expect(after.res.statusCode).toBe(200);
    expect(after.reused).toBe(true);
  });
});

describe('HTTPS port taken', () => {
  it('pier serve fails to start, naming the port, instead of serving HTTP only', { timeout: 60_000 }, async () => {
    const blocker = createNetServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const dir = await mkdtemp(join(tmpdir(), 'pier-tls-taken-'));
    try {
      await writeFile(join(dir, 'base.yaml'), INGRESS_CLASS_YAML);
      const taken = (blocker.address() as AddressInfo).port;
      const pier = await startPier(['--manifests', dir, '--workers', '1', '--https-port', String(taken)], { waitReady: false });
      const code = await Promise.race([pier.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
      if (code === 'timeout') await pier.stop('SIGKILL');
      expect(code).not.toBe('timeout');
      expect(code).not.toBe(0);
      expect(pier.output()).toContain('EADDRINUSE');
      expect(pier.output()).toContain(String(taken));
    } finally {
      blocker.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
