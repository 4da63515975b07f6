import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';
import { startTrackingBackend, type TrackingBackend } from './upstream-backends.ts';

/** A backend that never answers `/silent` and answers `/late` after LATE_MS. */
const LATE_MS = 2_000;
function slowBackend(): Server {
  return createServer((req, res) => {
    req.resume();
    if (req.url === '/silent') return;
    setTimeout(() => res.end('late'), req.url === '/late' ? LATE_MS : 0);
  });
}

/**
 * ingress-nginx's ConfigMap keys proxy-read-timeout and upstream-keepalive-connections as
 * `pier serve` flags, on the wire: a Service backend times out after the flag's 1 s (the built-in
 * default would wait 60 s), an Ingress's proxy-read-timeout annotation still wins, and
 * `--upstream-keepalive-connections 0` sends every request on a new connection with
 * `Connection: close`, as ingress-nginx without its upstream keepalive block. One worker: upstream
 * pools are per worker.
 */
describe('pier serve --proxy-read-timeout 1 --upstream-keepalive-connections 0', () => {
  let dir: string;
  let pier: PierProcess;
  let slow: Server;
  let tracking: TrackingBackend;

  beforeAll(async () => {
    slow = slowBackend();
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    tracking = await startTrackingBackend('tracking', '127.0.0.1');
    dir = await mkdtemp(join(tmpdir(), 'pier-backend-defaults-'));
    await writeFile(join(dir, 'all.yaml'), [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('slow', [{ host: '127.0.0.1', port: (slow.address() as { port: number }).port }])}`,
      `---\n${serviceYaml('tracking', [{ host: tracking.host, port: tracking.port }])}`,
      annotatedIngressYaml('flags', 'flags.example', 'slow', {}),
      annotatedIngressYaml('patient', 'patient.example', 'slow', { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '5' }),
      annotatedIngressYaml('reuse', 'reuse.example', 'tracking', {}),
    ].join(''));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--proxy-read-timeout', '1', '--upstream-keepalive-connections', '0']);
  });

  afterAll(async () => {
    await pier?.stop();
    slow?.closeAllConnections();
    await new Promise((r) => slow?.close(r));
    await tracking?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** GET through Pier; gives up after 15 s (the built-in 60 s read timeout must not be waited out). */
  async function get(host: string, path: string): Promise<{ status: number; ms: number }> {
    const started = performance.now();
    const res = await request(`http://127.0.0.1:${pier.httpPort}${path}`, { headers: { host }, signal: AbortSignal.timeout(15_000) });
    await res.body.dump();
    return { status: res.statusCode, ms: performance.now() - started };
  }

  it('a Service backend silent past the flag\'s 1 s gets 504 after about 1 s', async () => {
    const { status, ms } = await get('flags.example', '/silent');
    expect(status).toBe(504);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(10_000);
  });

  it('an Ingress\'s proxy-read-timeout annotation wins: its backend may take 2 s', async () => {
    const { status, ms } = await get('patient.example', '/late');
    expect(status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(LATE_MS - 50);
    // The same request under the flag alone times out.
    expect((await get('flags.example', '/late')).status).toBe(504);
  });

  it('no upstream keepalive: each request on its own connection, sent with Connection: close', async () => {
    for (let i = 0; i < 3; i++) expect((await get('reuse.example', '/')).status).toBe(200);
    const seen = tracking.seen.slice(-3);
    expect(new Set(seen.map((s) => s.conn)).size).toBe(3);
    for (const s of seen) expect(s.headers.connection).toBe('close');
  });
});
