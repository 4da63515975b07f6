import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync, zstdDecompressSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { startTrafficBackend, trafficManifests, type TrafficBackend } from './traffic-backend.ts';

const N = 'nginx.ingress.kubernetes.io/';

/** A GET/OPTIONS/HEAD through Pier: status, headers, body bytes (not decoded). */
async function get(pier: PierProcess, host: string, path: string, headers: Record<string, string> = {}, method: 'GET' | 'OPTIONS' | 'HEAD' = 'GET') {
  const res = await request(`http://127.0.0.1:${pier.httpPort}${path}`, { method, headers: { host, ...headers } });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

/** Raw HTTP/1.x exchange (for HTTP/1.0 and upgrades): the whole answer as bytes. */
async function raw(pier: PierProcess, text: string, until: (s: string) => boolean, sockets: Socket[]): Promise<Buffer> {
  const socket = connect(pier.httpPort, '127.0.0.1');
  sockets.push(socket);
  const chunks: Buffer[] = [];
  let ended = false;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('end', () => (ended = true));
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  socket.write(text);
  await waitFor(() => ended || until(Buffer.concat(chunks).toString('latin1')), 5_000, 'answer');
  return Buffer.concat(chunks);
}

/** A chunked body's payload (RFC 9112 §7.1), trailers ignored. */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

const DECODE = { gzip: gunzipSync, br: brotliDecompressSync, zstd: zstdDecompressSync } as const;

/** CORS and compression through `pier serve` (real sockets, real decoders). */
describe('CORS and compression (pier serve --workers 2)', () => {
  let dir: string;
  let backend: TrafficBackend;
  let pier: PierProcess;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    backend = await startTrafficBackend('127.0.0.81');
    dir = await mkdtemp(join(tmpdir(), 'pier-cors-gz-'));
    await writeFile(join(dir, 'all.yaml'), trafficManifests(backend, [
      { name: 'cors-list', host: 'list.example', annotations: { [N + 'enable-cors']: 'true', [N + 'cors-allow-origin']: 'https://app.example.com, https://*.example.org:8443', [N + 'cors-expose-headers']: 'X-Total', [N + 'cors-max-age']: '600' } },
      { name: 'cors-any', host: 'any.example', annotations: { [N + 'enable-cors']: 'true', [N + 'cors-allow-credentials']: 'false' } },
      { name: 'zip', host: 'zip.example', annotations: { 'pier.dev/compression': 'gzip,br,zstd' } },
    ]));
    pier = await startPier(['--manifests', dir, '--workers', '2'], { readyTimeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await pier?.stop();
    await backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('CORS', () => {
    it('a preflight from a listed origin (wildcard label) is answered 204 by Pier, never by the backend', async () => {
      const before = backend.seen.length;
      const res = await get(pier, 'list.example', '/api', { origin: 'https://a-b1.example.org:8443', 'access-control-request-method': 'PUT' }, 'OPTIONS');
      expect(res.status).toBe(204);
      expect(res.headers).toMatchObject({
        'access-control-allow-origin': 'https://a-b1.example.org:8443', 'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
        'access-control-allow-headers': 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization',
        'access-control-expose-headers': 'X-Total', 'access-control-max-age': '600', 'content-type': 'text/plain charset=UTF-8', 'content-length': '0', vary: 'Origin',
      });
      expect(res.body.length).toBe(0);
      expect(backend.seen.length).toBe(before);
    });

    it('a request from a listed origin gets the headers on the backend\'s answer, with Vary: Origin', async () => {
      const res = await get(pier, 'list.example', '/api', { origin: 'HTTPS://APP.example.com' });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('HTTPS://APP.example.com');
      expect(res.headers.vary).toBe('Origin');
    });

    it('another origin (two labels for *., a suffix, no port) gets no CORS headers; its OPTIONS reaches the backend', async () => {
      for (const origin of ['https://a.b.example.org:8443', 'https://app.example.com.evil.io', 'https://x.example.org']) {
        const res = await get(pier, 'list.example', '/api', { origin });
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.headers.vary).toBe('Origin');
      }
      const res = await get(pier, 'list.example', '/api', { origin: 'https://evil.io' }, 'OPTIONS');
      expect(res.status).toBe(200);
      expect(res.headers['x-method']).toBe('OPTIONS');
    });

    it('origin * (default): every response says *, every OPTIONS is answered 204, no Vary', async () => {
      const res = await get(pier, 'any.example', '/');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers.vary).toBeUndefined();
      expect((await get(pier, 'any.example', '/', { origin: 'https://x.io' }, 'OPTIONS')).status).toBe(204);
    });

    it('a WebSocket upgrade on a CORS route is relayed (CORS does not apply to it)', async () => {
      const answer = await raw(pier, 'GET /ws HTTP/1.1\r\nHost: list.example\r\nOrigin: https://app.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n', (s) => s.includes('\r\n\r\n'), sockets);
      expect(answer.toString('latin1')).toMatch(/^HTTP\/1\.1 101/);
    });
  });

  describe('compression', () => {
    it.each(['gzip', 'br', 'zstd'] as const)('%s: decoded by a real decoder, byte for byte; no Content-Length; Vary; weak ETag; no Accept-Ranges', async (coding) => {
      const res = await get(pier, 'zip.example', '/big.txt', { 'accept-encoding': coding });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe(coding);
      expect(res.headers['content-length']).toBeUndefined();
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.headers.vary).toBe('Accept-Encoding');
      expect(res.headers.etag).toBe('W/"v1"');
      expect(res.headers['accept-ranges']).toBeUndefined();
      expect(res.body.length).toBeLessThan(backend.bodies.big.length / 2);
      expect(DECODE[coding](res.body).equals(backend.bodies.big)).toBe(true);
    });

    it('a chunked (unknown length) body and a 2 MiB one are compressed as they stream', async () => {
      const streamed = await get(pier, 'zip.example', '/stream.json', { 'accept-encoding': 'br' });
      expect(streamed.headers['content-encoding']).toBe('br');
      expect(brotliDecompressSync(streamed.body).equals(backend.bodies.big)).toBe(true);
      const huge = await get(pier, 'zip.example', '/huge.txt', { 'accept-encoding': 'gzip' });
      expect(gunzipSync(huge.body).equals(backend.bodies.huge)).toBe(true);
    });

    it('Accept-Encoding q-values: the best acceptable, server order on ties, q=0 refused', async () => {
      const cases: [string, string | undefined][] = [
        ['gzip;q=0.5, br;q=0.9, zstd;q=0.1', 'br'],
        ['zstd, gzip', 'gzip'],
        ['*', 'gzip'],
        ['gzip;q=0, *;q=0.2', 'br'],
        ['br;q=0, gzip;q=0, zstd;q=0', undefined],
        ['identity', undefined],
        ['deflate, x-gzip;q=0.3', 'gzip'],
      ];
      for (const [accept, want] of cases) {
        const res = await get(pier, 'zip.example', '/big.txt', { 'accept-encoding': accept });
        expect([accept, res.headers['content-encoding']]).toEqual([accept, want]);
        expect(res.headers.vary).toBe('Accept-Encoding');
        if (want === undefined) expect(res.body.equals(backend.bodies.big)).toBe(true);
      }
    });

    it('left as they are: small, not a listed type, already encoded, no-transform, a range, HEAD, no Accept-Encoding', async () => {
      const ae = { 'accept-encoding': 'gzip, br, zstd' };
      const small = await get(pier, 'zip.example', '/small.txt', ae);
      expect([small.headers['content-encoding'], small.headers.vary, small.body.toString()]).toEqual([undefined, undefined, 'small body\n']);
      const png = await get(pier, 'zip.example', '/image.png', ae);
      expect([png.headers['content-encoding'], png.headers['content-length']]).toEqual([undefined, String(backend.bodies.big.length)]);
      const encoded = await get(pier, 'zip.example', '/encoded.txt', ae);
      expect([encoded.headers['content-encoding'], encoded.body.equals(backend.bodies.big)]).toEqual(['br', true]);
      const noTransform = await get(pier, 'zip.example', '/no-transform.txt', ae);
      expect([noTransform.headers['content-encoding'], noTransform.body.equals(backend.bodies.big)]).toEqual([undefined, true]);
      const range = await get(pier, 'zip.example', '/range.txt', ae);
      expect([range.status, range.headers['content-encoding'], range.body.length]).toEqual([206, undefined, 1000]);
      const head = await get(pier, 'zip.example', '/big.txt', ae, 'HEAD');
      expect([head.headers['content-encoding'], head.headers['content-length']]).toEqual([undefined, String(backend.bodies.big.length)]);
      const none = await get(pier, 'zip.example', '/big.txt');
      expect([none.headers['content-encoding'], none.headers.vary, none.body.equals(backend.bodies.big)]).toEqual([undefined, 'Accept-Encoding', true]);
    });

    it('a client that stops reading holds the compressed stream back (backpressure), then gets every byte', async () => {
      const socket = connect(pier.httpPort, '127.0.0.1');
      sockets.push(socket);
      await new Promise((r) => socket.once('connect', r));
      socket.pause();
      socket.write('GET /huge.txt HTTP/1.1\r\nHost: zip.example\r\nAccept-Encoding: zstd\r\nConnection: close\r\n\r\n');
      // Not reading: the body (2 MiB, streamed) cannot all be in flight; then read it all.
      await new Promise((r) => setTimeout(r, 300));
      const chunks: Buffer[] = [];
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.resume();
      await new Promise((r) => socket.once('end', r));
      const answer = Buffer.concat(chunks);
      const split = answer.indexOf('\r\n\r\n');
      expect(answer.subarray(0, split).toString('latin1')).toContain('content-encoding: zstd');
      expect(zstdDecompressSync(dechunk(answer.subarray(split + 4))).equals(backend.bodies.huge)).toBe(true);
    });

    it('an HTTP/1.0 client gets a close-delimited compressed body', async () => {
      const answer = await raw(pier, 'GET /big.txt HTTP/1.0\r\nHost: zip.example\r\nAccept-Encoding: gzip\r\n\r\n', () => false, sockets);
      const split = answer.indexOf('\r\n\r\n');
      const head = answer.subarray(0, split).toString('latin1').toLowerCase();
      expect(head).toContain('content-encoding: gzip');
      expect(head).not.toContain('content-length');
      expect(head).not.toContain('transfer-encoding');
      expect(gunzipSync(answer.subarray(split + 4)).equals(backend.bodies.big)).toBe(true);
    });

    it('a WebSocket upgrade on a compressed route is relayed untouched', async () => {
      const socket = connect(pier.httpPort, '127.0.0.1');
      sockets.push(socket);
      let received = '';
      socket.on('data', (d) => (received += d.toString('latin1')));
      await new Promise((r) => socket.once('connect', r));
      socket.write('GET /ws HTTP/1.1\r\nHost: zip.example\r\nAccept-Encoding: gzip\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      await waitFor(() => received.includes('\r\n\r\n'), 5_000, '101');
      expect(received).toMatch(/^HTTP\/1\.1 101/);
      socket.write('plain bytes');
      await waitFor(() => received.includes('echo:plain bytes'), 5_000, 'echo');
    });
  });
});
