import type { ClientHttp2Session, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { backendOf, closeAll, policy, startBackend, startDataplane, tableFor } from '../dataplane/helpers.ts';
import { h2Connect, type H2Answer } from './h2-client.ts';
import { startH2Backend } from './h2-helpers.ts';

afterEach(closeAll);

/** A request whose body the client ends with a trailing HEADERS frame (`trailers`). */
function withTrailers(session: ClientHttp2Session, headers: OutgoingHttpHeaders, chunks: readonly string[], trailers: OutgoingHttpHeaders): Promise<H2Answer> {
  const stream = session.request(headers, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers(trailers));
  for (const c of chunks) stream.write(c);
  stream.end();
  const out: H2Answer = { status: 0, headers: {}, body: '', trailers: null, rstCode: 0 };
  const body: Buffer[] = [];
  stream.on('response', (h) => {
    out.headers = h;
    out.status = Number(h[':status']);
  });
  stream.on('data', (c: Buffer) => body.push(c));
  stream.on('trailers', (t) => (out.trailers = t));
  stream.on('error', () => {});
  return new Promise((resolve) => stream.on('close', () => {
    out.body = Buffer.concat(body).toString();
    out.rstCode = stream.rstCode ?? 0;
    resolve(out);
  }));
}

describe('request trailers from an HTTP/2 client', () => {
  it('h2 client → h2c backend (gRPC client streaming): the body, then the trailers in a trailing HEADERS frame; framing and routing fields are not forwarded', async () => {
    let seen: { body: string; trailers: IncomingHttpHeaders | null; ended: boolean } | undefined;
    const backend = await startH2Backend((stream) => {
      const chunks: Buffer[] = [];
      let trailers: IncomingHttpHeaders | null = null;
      stream.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        seen = { body: Buffer.concat(chunks).toString(), trailers, ended: true };
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end('reply');
      });
    });
    const { origin } = await startDataplane(tableFor('g.test', [backendOf('g', [{ host: '127.0.0.1', port: backend.port }], policy({ protocol: 'H2C' }))]));
    const session = await h2Connect(origin);
    const r = await withTrailers(session, { ':method': 'POST', ':path': '/svc/Upload', ':authority': 'g.test', 'content-type': 'application/grpc', te: 'trailers' },
      ['msg-1,', 'msg-2'], { 'x-checksum': 'abc123', 'x-count': '2', 'x-forwarded-for': '6.6.6.6' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('reply');
    expect(r.trailers).toMatchObject({ 'grpc-status': '0' });
    expect(seen?.body).toBe('msg-1,msg-2');
    expect(seen?.trailers).toMatchObject({ 'x-checksum': 'abc123', 'x-count': '2' });
    expect(seen?.trailers?.['x-forwarded-for']).toBeUndefined();
  });

  it('a body without trailers still ends cleanly upstream (an empty end, no trailing HEADERS)', async () => {
    let trailersSeen = false;
    const backend = await startH2Backend((stream) => {
      const chunks: Buffer[] = [];
      stream.on('trailers', () => (trailersSeen = true));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(`got:${Buffer.concat(chunks).toString()}`);
      });
    });
    const { origin } = await startDataplane(tableFor('p.test', [backendOf('p', [{ host: '127.0.0.1', port: backend.port }], policy({ protocol: 'H2C' }))]));
    const session = await h2Connect(origin);
    const stream = session.request({ ':method': 'POST', ':path': '/', ':authority': 'p.test' });
    stream.end('plain body');
    const body: Buffer[] = [];
    stream.on('data', (c: Buffer) => body.push(c));
    await new Promise((resolve) => stream.on('close', resolve));
    expect(Buffer.concat(body).toString()).toBe('got:plain body');
    expect(trailersSeen).toBe(false);
  });

  it('h2 client → HTTP/1.1 backend: a chunked body carries the trailers in its last chunk', async () => {
    const backend = await startBackend('h1', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(JSON.stringify({ te: req.headers['transfer-encoding'], body: Buffer.concat(chunks).toString(), trailers: req.trailers })));
    });
    const { origin } = await startDataplane(tableFor('h1.test', [backendOf('b', [backend])]));
    const session = await h2Connect(origin);
    const r = await withTrailers(session, { ':method': 'POST', ':path': '/', ':authority': 'h1.test' }, ['a', 'b'], { 'x-digest': 'sha-256=xyz', host: 'evil.test' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ te: 'chunked', body: 'ab', trailers: { 'x-digest': 'sha-256=xyz' } });
  });
});
