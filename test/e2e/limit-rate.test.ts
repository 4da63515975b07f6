import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { connect, type ClientHttp2Session } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { startTrafficBackend, trafficManifests, type TrafficBackend } from './traffic-backend.ts';

const N = 'nginx.ingress.kubernetes.io/';

/** A GET over HTTP/1.1: the body and how long it took (from the request to the last byte). */
function h1(pier: PierProcess, host: string, path: string): Promise<{ status: number; body: Buffer; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port: pier.httpPort, path, headers: { host }, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 15 s')));
    req.on('error', reject);
  });
}

/** The same over HTTP/2 (h2c, prior knowledge) on `session`. */
function h2(session: ClientHttp2Session, host: string, path: string): Promise<{ status: number; body: Buffer; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'GET', ':path': path, ':authority': host });
    stream.setTimeout(15_000, () => stream.close());
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status, body: Buffer.concat(chunks), ms: performance.now() - started }));
    stream.on('error', reject);
  });
}

/**
 * limit-rate / limit-rate-after through `pier serve`: 300 KiB at 100 KiB/s after 100 KiB
 * cannot arrive before 2 s (1.8 s allows for clock rounding); the same body on a route
 * without the annotations comes at loopback speed. Upper bounds are generous (a shared machine).
 */
describe('limit-rate and limit-rate-after (pier serve --workers 2)', () => {
  let dir: string;
  let backend: TrafficBackend;
  let pier: PierProcess;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    backend = await startTrafficBackend('127.0.0.83');
    dir = await mkdtemp(join(tmpdir(), 'pier-limit-rate-'));
    await writeFile(join(dir, 'all.yaml'), trafficManifests(backend, [
      { name: 'slow', host: 'slow.example', annotations: { [N + 'limit-rate']: '100', [N + 'limit-rate-after']: '100' } },
      { name: 'slow-zip', host: 'slow-zip.example', annotations: { [N + 'limit-rate']: '100', 'pier.dev/compression': 'gzip' } },
      { name: 'fast', host: 'fast.example', annotations: {} },
    ]));
    pier = await startPier(['--manifests', dir, '--workers', '2'], { readyTimeoutMs: 30_000 });
    session = connect(`http://127.0.0.1:${pier.httpPort}`);
    session.on('error', () => {});
  }, 60_000);

  afterAll(async () => {
    session?.close();
    await pier?.stop();
    await backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('HTTP/1.1: the limited route takes at least the paced time, whole and intact', async () => {
    const res = await h1(pier, 'slow.example', '/mid.bin');
    expect(res.status).toBe(200);
    expect(res.body.equals(backend.bodies.mid)).toBe(true);
    expect(res.ms).toBeGreaterThanOrEqual(1_800);
    expect(res.ms).toBeLessThan(8_000);
  }, 20_000);

  it('HTTP/1.1: a route without the annotations is not paced', async () => {
    const res = await h1(pier, 'fast.example', '/mid.bin');
    expect(res.body.equals(backend.bodies.mid)).toBe(true);
    expect(res.ms).toBeLessThan(1_500);
  }, 20_000);

  it('HTTP/2: the same pacing per stream; the unlimited route is not paced', async () => {
    const slow = await h2(session, 'slow.example', '/mid.bin');
    expect(slow.status).toBe(200);
    expect(slow.body.equals(backend.bodies.mid)).toBe(true);
    expect(slow.ms).toBeGreaterThanOrEqual(1_800);
    expect(slow.ms).toBeLessThan(8_000);
    const fast = await h2(session, 'fast.example', '/mid.bin');
    expect(fast.body.equals(backend.bodies.mid)).toBe(true);
    expect(fast.ms).toBeLessThan(1_500);
  }, 20_000);

  it('a small body within the first second\'s budget is not held back (limit-rate-after 0)', async () => {
    const res = await h1(pier, 'slow-zip.example', '/small.txt');
    expect(res.body.toString()).toBe('small body\n');
    expect(res.ms).toBeLessThan(1_500);
  }, 20_000);

  it('a client that leaves mid-download does not disturb the route: the next download completes', async () => {
    let got = 0;
    await new Promise<void>((resolve, reject) => {
      const req = httpGet({ host: '127.0.0.1', port: pier.httpPort, path: '/mid.bin', headers: { host: 'slow.example' } }, (res) => {
        res.on('data', (c: Buffer) => {
          got += c.length;
          if (got > 0) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (err) => (got > 0 ? resolve() : reject(err)));
    });
    const res = await h2(session, 'slow.example', '/mid.bin');
    expect(res.body.equals(backend.bodies.mid)).toBe(true);
    await waitFor(() => pier.child.exitCode === null, 100, 'pier still running');
  }, 20_000);
});
