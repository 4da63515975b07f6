import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml, withTls } from './manifests.ts';

/*
 * TLS versions and ciphers through the real binary: --ssl-protocols and --ssl-ciphers with
 * ingress-nginx's defaults, and the ssl-ciphers annotation of one host next to a host without
 * it, checked with node:tls clients and `openssl s_client`. The certificates are ECDSA (the
 * Secret's, and Pier's self-signed default), so TLS 1.2 picks the ECDHE-ECDSA ciphers of a list.
 */

const AES128 = 'ECDHE-ECDSA-AES128-GCM-SHA256';
const AES256 = 'ECDHE-ECDSA-AES256-GCM-SHA384';
const CHACHA = 'ECDHE-ECDSA-CHACHA20-POLY1305';
/** In Node's default list, not in ingress-nginx's. */
const CBC = 'ECDHE-ECDSA-AES128-SHA256';

type Outcome = { readonly protocol: string; readonly cipher: string } | { readonly refused: true };

/** One handshake naming `servername` (bounded: 10 s): what was negotiated, or refused. */
function handshake(port: number, servername: string, options: ConnectionOptions = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false, ...options }, () => {
      const outcome = { protocol: socket.getProtocol()!, cipher: socket.getCipher().name };
      socket.destroy();
      resolve(outcome);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timed out')));
    socket.once('error', (err) => resolve(err.message === 'handshake timed out' ? { protocol: 'timeout', cipher: '' } : { refused: true }));
  });
}

/** `openssl s_client` (bounded: 10 s): its exit code and what it printed. */
function sClient(port: number, servername: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername, ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, out: `${stdout}${stderr}` });
    });
    child.stdin!.end();
  });
}

/** GET / on `host` over HTTPS/1.1 (bounded): status, body and the cipher of the connection. */
function get(port: number, host: string, options: ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', servername: host, headers: { host }, rejectUnauthorized: false, agent: false, timeout: 10_000, ...options }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body} ${(res.socket as TLSSocket).getCipher().name}`));
    });
    req.once('error', reject);
    req.once('timeout', () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

/** GET / on `host` over HTTP/2 (ALPN h2; bounded): status and the cipher of the connection. */
async function h2Get(port: number, host: string, options: ConnectionOptions = {}): Promise<string> {
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: host, rejectUnauthorized: false, ...options });
  const timer = setTimeout(() => session.destroy(new Error('HTTP/2 request timed out')), 10_000);
  try {
    await once(session, 'connect');
    const stream = session.request({ ':path': '/', ':authority': host });
    const [headers] = (await once(stream, 'response')) as [Record<string, number>];
    stream.resume();
    await once(stream, 'end');
    return `${headers[':status']} ${(session.socket as TLSSocket).alpnProtocol} ${(session.socket as TLSSocket).getCipher().name}`;
  } finally {
    clearTimeout(timer);
    session.close();
  }
}

describe('TLS versions and ciphers (--ssl-protocols, --ssl-ciphers, ssl-ciphers annotation)', () => {
  let dir: string;
  let backend: Server;
  const started: PierProcess[] = [];
  const pier = async (...args: string[]) => {
    const p = await startPier(['--manifests', dir, '--workers', '1', ...args]);
    started.push(p);
    return p;
  };

  beforeAll(async () => {
    backend = createServer((req, res) => {
      req.resume();
      res.end('ok');
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    dir = await mkdtemp(join(tmpdir(), 'pier-ciphers-'));
    const port = (backend.address() as AddressInfo).port;
    const strict = withTls(annotatedIngressYaml('strict', 'strict.test', 'web', { 'nginx.ingress.kubernetes.io/ssl-ciphers': AES256, 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' }), 'strict.test', 'strict-cert');
    await writeFile(join(dir, 'objects.yaml'), [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('web', [{ host: '127.0.0.1', port }])}`,
      `---\n${tlsSecretYaml('default', 'strict-cert', makeCertificate('strict.test'))}`,
      strict,
      annotatedIngressYaml('plain', 'plain.test', 'web', {}),
      annotatedIngressYaml('bad', 'bad.test', 'web', { 'nginx.ingress.kubernetes.io/ssl-ciphers': 'NOT-A-CIPHER' }),
    ].join('\n'));
  });

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('ingress-nginx\'s defaults and one host with ssl-ciphers', () => {
    let p: PierProcess;
    beforeAll(async () => {
      p = await pier();
    });

    it('TLS 1.3 works on every host with ingress-nginx\'s cipher list (it names no TLS 1.3 suite, so none is turned off)', async () => {
      for (const host of ['strict.test', 'plain.test']) {
        expect(await handshake(p.httpsPort, host)).toEqual({ protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' });
        expect(await handshake(p.httpsPort, host, { ciphers: 'TLS_CHACHA20_POLY1305_SHA256' })).toEqual({ protocol: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256' });
      }
    });

    it('TLS 1.2: the annotated host negotiates only its cipher; the other keeps ingress-nginx\'s list and order', async () => {
      expect(await handshake(p.httpsPort, 'strict.test', { maxVersion: 'TLSv1.2' })).toEqual({ protocol: 'TLSv1.2', cipher: AES256 });
      expect(await handshake(p.httpsPort, 'strict.test', { maxVersion: 'TLSv1.2', ciphers: `${AES128}:${CHACHA}` })).toEqual({ refused: true });
      expect(await handshake(p.httpsPort, 'plain.test', { maxVersion: 'TLSv1.2', ciphers: `${CHACHA}:${AES256}:${AES128}` })).toEqual({ protocol: 'TLSv1.2', cipher: AES128 });
      expect(await handshake(p.httpsPort, 'plain.test', { maxVersion: 'TLSv1.2', ciphers: CBC })).toEqual({ refused: true });
    });

    it('the same seen by openssl s_client -tls1_2', async () => {
      const refused = await sClient(p.httpsPort, 'strict.test', '-tls1_2', '-cipher', AES128);
      expect(refused.code).not.toBe(0);
      expect(refused.out).toMatch(/handshake failure/);
      const agreed = await sClient(p.httpsPort, 'strict.test', '-tls1_2');
      expect(agreed.code).toBe(0);
      expect(agreed.out).toContain(`Cipher is ${AES256}`);
      expect(agreed.out).toContain('CN = strict.test');
    });

    it('requests are served over it: HTTP/1.1, and HTTP/2 over TLS 1.2 (an HTTP/2-permitted cipher)', async () => {
      expect(await get(p.httpsPort, 'strict.test', { maxVersion: 'TLSv1.2' })).toBe(`200 ok ${AES256}`);
      expect(await h2Get(p.httpsPort, 'strict.test', { maxVersion: 'TLSv1.2' })).toBe(`200 h2 ${AES256}`);
      expect(await h2Get(p.httpsPort, 'plain.test')).toBe('200 h2 TLS_AES_256_GCM_SHA384');
    });

    it('a list OpenSSL refuses: a Warning naming the annotation; the host serves with the controller\'s ciphers', async () => {
      expect(p.output()).toMatch(/"reason":"IgnoredAnnotation".*annotation nginx\.ingress\.kubernetes\.io\/ssl-ciphers: \\"NOT-A-CIPHER\\" names no cipher OpenSSL knows/);
      expect(await get(p.httpsPort, 'bad.test', { maxVersion: 'TLSv1.2' })).toBe(`200 ok ${AES128}`);
    });
  });

  it('--ssl-protocols TLSv1.3 refuses TLS 1.2 clients (node:tls and openssl s_client -tls1_2), TLS 1.3 ones are served', async () => {
    const p = await pier('--ssl-protocols', 'TLSv1.3');
    expect(await handshake(p.httpsPort, 'plain.test', { maxVersion: 'TLSv1.2' })).toEqual({ refused: true });
    const old = await sClient(p.httpsPort, 'plain.test', '-tls1_2');
    expect(old.code).not.toBe(0);
    expect(old.out).toMatch(/alert protocol version/);
    expect(await handshake(p.httpsPort, 'strict.test', { maxVersion: 'TLSv1.2' })).toEqual({ refused: true });
    expect(await get(p.httpsPort, 'plain.test')).toBe('200 ok TLS_AES_256_GCM_SHA384');
    expect((await sClient(p.httpsPort, 'plain.test', '-tls1_3')).code).toBe(0);
    await p.stop();
  });

  it('--ssl-ciphers replaces the list for the hosts without their own; TLS 1.3 keeps working', async () => {
    const p = await pier('--ssl-ciphers', CHACHA, '--workers', '2');
    expect(await handshake(p.httpsPort, 'plain.test', { maxVersion: 'TLSv1.2' })).toEqual({ protocol: 'TLSv1.2', cipher: CHACHA });
    expect(await handshake(p.httpsPort, 'strict.test', { maxVersion: 'TLSv1.2' })).toEqual({ protocol: 'TLSv1.2', cipher: AES256 });
    expect(await handshake(p.httpsPort, 'plain.test')).toEqual({ protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' });
    await p.stop();
  });

  it.each([
    [['--ssl-protocols', 'TLSv1 TLSv1.2'], 'invalid value for --ssl-protocols: "TLSv1 TLSv1.2" (expected one range without gaps'],
    [['--ssl-ciphers', 'NOT-A-CIPHER'], 'invalid value for --ssl-ciphers: "NOT-A-CIPHER" (expected an OpenSSL cipher list'],
  ])('%s stops Pier at start, naming the flag', async (args, message) => {
    const p = await startPier(['--manifests', dir, ...args], { waitReady: false });
    started.push(p);
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain(message);
  });
});
