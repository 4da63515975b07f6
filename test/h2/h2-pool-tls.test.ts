import { createSecureServer, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyFailure, failureStatus } from '../../src/dataplane/upstream/upstream-failure.ts';
import { closeAll, onCleanup } from '../dataplane/helpers.ts';
import { makeCertificate } from '../dataplane/tls-certificates.ts';
import { h2Pool, send } from './h2-helpers.ts';

afterEach(closeAll);

/** A node:http2 TLS server (h2 only by ALPN) for `name`; records the SNI and ALPN each connection used. */
async function startTlsH2(name: string): Promise<{ port: number; caPem: string; seen: { servername: string | false; alpn: string | false | null }[] }> {
  const cert = makeCertificate(name);
  const seen: { servername: string | false; alpn: string | false | null }[] = [];
  const server = createSecureServer({ cert: cert.certPem, key: cert.keyPem, ALPNProtocols: ['h2'] });
  server.on('secureConnection', (socket: TLSSocket) => seen.push({ servername: socket.servername ?? false, alpn: socket.alpnProtocol }));
  const sessions = new Set<Http2Session>();
  server.on('session', (s: Http2Session) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    stream.respond({ ':status': 200 });
    stream.end(`tls ${headers[':path']}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => {
    for (const s of sessions) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, caPem: cert.certPem, seen };
}

describe('H2Pool over TLS (ALPN h2: GRPCS, HTTPS with tls.alpn h2)', () => {
  it('verifies the server against the CA with the configured server name (SNI), negotiates h2, multiplexes', async () => {
    const server = await startTlsH2('api.internal');
    const pool = h2Pool(server.port, { tls: { servername: 'api.internal', ca: server.caPem, rejectUnauthorized: true } }, 'https');
    const outs = await Promise.all([send(pool, { path: '/a' }), send(pool, { path: '/b' })]);
    expect(outs.map((o) => o.body.toString())).toEqual(['tls /a', 'tls /b']);
    expect(server.seen).toEqual([{ servername: 'api.internal', alpn: 'h2' }]);
  });

  it('a certificate that does not verify for the server name fails the request with the TLS error (502, as HTTP/1.1 upstreams)', async () => {
    const server = await startTlsH2('api.internal');
    const pool = h2Pool(server.port, { tls: { servername: 'other.internal', ca: server.caPem, rejectUnauthorized: true } }, 'https');
    const out = await send(pool);
    expect(out.completed).toBe(false);
    expect(out.error?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(failureStatus(classifyFailure(out.error))).toBe(502);
  });
});
