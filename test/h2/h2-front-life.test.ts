import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDataplane } from '../../src/dataplane/create-dataplane.ts';
import { generateDefaultCertificate } from '../../src/dataplane/default-certificate.ts';
import type { Certificate, RouteTable } from '../../src/routing/route-table.ts';
import { backendOf, closeAll, onCleanup, prefixRoute, startBackend, startDataplane, tableFor } from '../dataplane/helpers.ts';
import { makeCertificate } from '../dataplane/tls-certificates.ts';
import { h2Connect, h2Request } from './h2-client.ts';
import { until } from './h2-helpers.ts';

afterEach(closeAll);

let a: Certificate;
let b: Certificate;
let fallback: Certificate;
beforeAll(() => {
  a = makeCertificate('a.test', ['a.test', 'shared.test']);
  b = makeCertificate('b.test');
  fallback = generateDefaultCertificate();
});

async function startTls(table: RouteTable) {
  const dp = createDataplane({ tls: { defaultCertificate: fallback } });
  dp.swap(table, 1);
  await new Promise<void>((resolve) => dp.httpsServer!.listen(0, '127.0.0.1', resolve));
  onCleanup(() => dp.close());
  return { dp, port: (dp.httpsServer!.address() as AddressInfo).port };
}

describe('HTTP/2 front: TLS, coalescing, opt-out, cancel, drain', () => {
  it('TLS with ALPN h2: served over HTTP/2 (X-Forwarded-Proto https); a host the certificate does not serve on this connection gets 421, one it does is served', async () => {
    const backend = await startBackend('x');
    const be = backendOf('x', [backend]);
    const { port } = await startTls({
      virtualHosts: [
        { host: 'a.test', routes: [prefixRoute('/', 'x')], tls: 'ns/a' },
        { host: 'b.test', routes: [prefixRoute('/', 'x')], tls: 'ns/b' },
        { host: 'shared.test', routes: [prefixRoute('/', 'x')], tls: 'ns/a' },
      ],
      backends: [be],
      certificates: { 'ns/a': a, 'ns/b': b },
    });
    const session = await h2Connect(`https://127.0.0.1:${port}`, { servername: 'a.test', rejectUnauthorized: false });
    const ok = await h2Request(session, { ':path': '/', ':authority': 'a.test' });
    expect(ok.status).toBe(200);
    expect(backend.seen[0]!.headers['x-forwarded-proto']).toBe('https');
    expect((await h2Request(session, { ':path': '/', ':authority': 'shared.test' })).status).toBe(200);
    expect((await h2Request(session, { ':path': '/', ':authority': 'b.test' })).status).toBe(421);
    expect(backend.seen.length).toBe(2);
  });

  it('per-host opt-out (VirtualHost.http2: false): 421 on an HTTP/2 connection, HTTP/1.1 still serves it', async () => {
    const backend = await startBackend('x');
    const table = tableFor('off.test', [backendOf('x', [backend])]);
    const { origin } = await startDataplane({ ...table, virtualHosts: [{ ...table.virtualHosts[0]!, http2: false }] });
    const session = await h2Connect(origin);
    expect((await h2Request(session, { ':path': '/', ':authority': 'off.test' })).status).toBe(421);
    expect(backend.seen.length).toBe(0);
  });

  it('RST_STREAM from the client cancels the upstream request and frees its connection', async () => {
    let closed = 0;
    const backend = await startBackend('slow', (req) => {
      req.resume();
      req.socket.on('close', () => closed++);
    });
    const { origin } = await startDataplane(tableFor('site.test', [backendOf('s', [backend])]));
    const session = await h2Connect(origin);
    const stream = session.request({ ':path': '/', ':authority': 'site.test' }, { endStream: true });
    stream.on('error', () => {});
    await until(() => backend.seen.length === 1, 3_000, 'request upstream');
    stream.close(8 /* CANCEL */);
    await until(() => closed === 1, 3_000, 'upstream connection closed');
  });

  it('drain: GOAWAY; the stream in flight finishes; new streams are refused by the client', async () => {
    const held: ((body: string) => void)[] = [];
    const backend = await startBackend('held', (req, res) => {
      req.resume();
      held.push((body) => res.end(body));
    });
    const { dp, origin } = await startDataplane(tableFor('site.test', [backendOf('h', [backend])]));
    const session = await h2Connect(origin);
    let goaway = -1;
    session.on('goaway', (code: number) => (goaway = code));
    const inFlight = h2Request(session, { ':path': '/', ':authority': 'site.test' });
    await until(() => held.length === 1, 3_000, 'request upstream');
    const drained = dp.drain(5_000);
    await until(() => goaway >= 0, 3_000, 'GOAWAY');
    expect(goaway).toBe(0);
    held[0]!('finished');
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.body).toBe('finished');
    await drained;
  });
});
