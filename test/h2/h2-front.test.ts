import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { backendOf, closeAll, policy, startBackend, startDataplane, tableFor } from '../dataplane/helpers.ts';
import { h2Connect, h2Request } from './h2-client.ts';
import { startH2Backend } from './h2-helpers.ts';

afterEach(closeAll);

describe('HTTP/2 front, cleartext with prior knowledge (h2c)', () => {
  it('routes by :authority to an HTTP/1.1 backend: head, body, X-Forwarded-*; the HTTP/1.1 port still serves HTTP/1.1', async () => {
    const backend = await startBackend('one');
    const { origin } = await startDataplane(tableFor('site.test', [backendOf('b', [backend])]));
    const session = await h2Connect(origin);
    const r = await h2Request(session, { ':path': '/x?y=1', ':authority': 'site.test' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('backend=one');
    expect(r.headers.server).toBeUndefined(); // a backend's Server is hidden, as by ingress-nginx
    const seen = backend.seen[0]!;
    expect(seen.url).toBe('/x?y=1');
    expect(seen.headers.host).toBe('site.test');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    const h1 = await request(`${origin}/`, { headers: { host: 'site.test' } });
    expect(await h1.body.text()).toBe('backend=one');
  });

  it('an unknown host is 404; a request body (no content-length) reaches an HTTP/1.1 backend chunked', async () => {
    const backend = await startBackend('echo', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(`${req.headers['transfer-encoding']}:${Buffer.concat(chunks).toString()}`));
    });
    const { origin } = await startDataplane(tableFor('site.test', [backendOf('b', [backend])]));
    const session = await h2Connect(origin);
    expect((await h2Request(session, { ':path': '/', ':authority': 'nope.test' })).status).toBe(404);
    const r = await h2Request(session, { ':method': 'POST', ':path': '/', ':authority': 'site.test' }, 'hello body');
    expect(r.body).toBe('chunked:hello body');
  });

  it('h2 client → h2c backend: trailers relayed end to end', async () => {
    const backend = await startH2Backend((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }));
      stream.end('payload');
    });
    const { origin } = await startDataplane(tableFor('g.test', [backendOf('g', [{ host: '127.0.0.1', port: backend.port }], policy({ protocol: 'H2C' }))]));
    const session = await h2Connect(origin);
    const r = await h2Request(session, { ':method': 'POST', ':path': '/svc/M', ':authority': 'g.test', 'content-type': 'application/grpc', te: 'trailers' }, 'x');
    expect(r.status).toBe(200);
    expect(r.body).toBe('payload');
    expect(r.trailers).toMatchObject({ 'grpc-status': '0', 'grpc-message': 'ok' });
  });

  it('trailers of a non-gRPC response reach an HTTP/2 client when the response announces them (Trailer field)', async () => {
    const backend = await startH2Backend((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain', trailer: 'x-sum' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-sum': '42' }));
      stream.write('part one, ');
      setTimeout(() => stream.end('part two'), 20); // the end comes in a later tick than the head
    });
    const { origin } = await startDataplane(tableFor('t.test', [backendOf('t', [{ host: '127.0.0.1', port: backend.port }], policy({ protocol: 'H2C' }))]));
    const r = await h2Request(await h2Connect(origin), { ':path': '/', ':authority': 't.test' });
    expect(r.body).toBe('part one, part two');
    expect(r.trailers).toMatchObject({ 'x-sum': '42' });
  });
});
