import { once } from 'node:events';
import { connect as netConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { connect } from 'node:tls';
import { afterEach, expect, it } from 'vitest';
import { createDataplane } from '../../../src/dataplane/create-dataplane.ts';
import { generateDefaultCertificate } from '../../../src/dataplane/default-certificate.ts';
import type { VirtualHost } from '../../../src/routing/route-table.ts';
import { backendOf, closeAll, onCleanup, prefixRoute } from '../helpers.ts';

/*
 * Regression: behind --proxy-protocol the PROXY header reader leaves the socket paused, and the
 * ClientHello reader (ssl-passthrough, a host's ssl-ciphers) added a 'data' listener without
 * resuming it, so every HTTPS connection waited out the client header timeout and was closed.
 */

afterEach(closeAll);

/** A TCP server recording the first bytes each connection sends (a passthrough backend). */
async function startRawBackend(): Promise<{ port: number; first: Promise<Buffer> }> {
  let got: (b: Buffer) => void = () => {};
  const first = new Promise<Buffer>((resolve) => (got = resolve));
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', got);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onCleanup(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, first };
}

async function startBehindProxy(hosts: VirtualHost[], backendPort: number, sslPassthrough: boolean): Promise<number> {
  const dp = createDataplane({ proxyProtocol: true, sslPassthrough, headersTimeoutMs: 10_000, tls: { defaultCertificate: generateDefaultCertificate() } });
  dp.swap({ virtualHosts: hosts, backends: [backendOf('a', [{ host: '127.0.0.1', port: backendPort }])] }, 1);
  await new Promise<void>((resolve) => dp.httpsServer!.listen(0, '127.0.0.1', resolve));
  onCleanup(() => dp.close());
  return (dp.httpsServer!.address() as AddressInfo).port;
}

/** A TLS handshake after a PROXY v1 header; its cipher, or why not (bounded: 3 s, well under the header timeout). */
async function handshakeBehindProxy(port: number, servername: string): Promise<string> {
  const raw = netConnect(port, '127.0.0.1');
  await once(raw, 'connect');
  raw.write('PROXY TCP4 10.1.2.3 127.0.0.1 1111 443\r\n');
  return new Promise((resolve) => {
    const socket = connect({ socket: raw, servername, rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => {
      resolve(socket.getCipher().name);
      socket.destroy();
    });
    socket.once('error', (err) => resolve(err.message));
    const timer = setTimeout(() => {
      resolve('no handshake within 3 s');
      raw.destroy();
    }, 3_000);
    socket.once('close', () => clearTimeout(timer));
  });
}

it('with passthrough hosts, a terminated host\'s handshake follows its PROXY header at once', async () => {
  const backend = await startRawBackend();
  const port = await startBehindProxy([{ host: 'x.test', routes: [prefixRoute('/', 'a')] }, { host: 'pass.test', routes: [prefixRoute('/', 'a')], passthrough: 'a' }], backend.port, true);
  expect(await handshakeBehindProxy(port, 'x.test')).toMatch(/^ECDHE-/);
});

it('with passthrough hosts, a passthrough host\'s ClientHello reaches its backend', async () => {
  const backend = await startRawBackend();
  const port = await startBehindProxy([{ host: 'pass.test', routes: [prefixRoute('/', 'a')], passthrough: 'a' }], backend.port, true);
  void handshakeBehindProxy(port, 'pass.test');
  const first = await Promise.race([backend.first, new Promise<Buffer>((_, reject) => setTimeout(() => reject(new Error('nothing relayed within 3 s')), 3_000))]);
  expect(first[0]).toBe(22); // a TLS handshake record
});

it('with a host that has its own ciphers, that host\'s handshake follows its PROXY header at once, with its cipher', async () => {
  const backend = await startRawBackend();
  const port = await startBehindProxy([{ host: 'x.test', routes: [prefixRoute('/', 'a')], sslCiphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }], backend.port, false);
  expect(await handshakeBehindProxy(port, 'x.test')).toBe('ECDHE-ECDSA-AES256-GCM-SHA384');
});
