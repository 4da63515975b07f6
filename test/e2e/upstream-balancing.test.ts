import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';
import { logLines, siteYaml, startTrackingBackend, type TrackingBackend } from './upstream-backends.ts';

/** GET `<site>.example/` through Pier: the answering backend's name, or the status. */
async function backendOf(pier: PierProcess, site: string, headers: Record<string, string> = {}): Promise<string | number> {
  const res = await request(`http://127.0.0.1:${pier.httpPort}/`, { headers: { host: `${site}.example`, ...headers } });
  await res.body.text();
  return res.statusCode === 200 ? String(res.headers['x-backend']) : res.statusCode;
}

/** GET / from a given local address (undici ignores `localAddress`; node:http honours it). */
function backendFrom(localAddress: string, port: number, host: string): Promise<string | number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, localAddress, path: '/', headers: { host, connection: 'close' }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? String(res.headers['x-backend']) : res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function tally(n: number, pick: () => Promise<string | number>): Promise<Map<string | number, number>> {
  const counts = new Map<string | number, number>();
  for (let i = 0; i < n; i++) {
    const b = await pick();
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return counts;
}

/**
 * Issue 5 end to end, balancing: the real `pier serve --manifests DIR`, Upstreams with static
 * servers and with a Service, real backends on 127.0.0.x.
 *
 * One worker: the round-robin state is per worker, so with two workers each one runs its own
 * smooth weighted round robin and the exact 3:1 sequence only holds per worker.
 */
describe('Upstream balancing (pier serve --manifests, 1 worker)', () => {
  let dir: string;
  let pier: PierProcess;
  const backends: TrackingBackend[] = [];
  let primary: TrackingBackend;
  let primaryPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-ups-bal-'));
    const [heavy, light, svcA, svcB, backup] = await Promise.all([
      startTrackingBackend('heavy', '127.0.0.11'), startTrackingBackend('light', '127.0.0.12'),
      startTrackingBackend('svc-a', '127.0.0.13'), startTrackingBackend('svc-b', '127.0.0.14'),
      startTrackingBackend('backup', '127.0.0.16'),
    ]);
    primary = await startTrackingBackend('primary', '127.0.0.15');
    primaryPort = primary.port;
    backends.push(heavy!, light!, svcA!, svcB!, backup!);
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'service.yaml'), serviceYaml('web', [svcA!, svcB!]));
    await writeFile(join(dir, 'sites.yaml'), [
      siteYaml('weighted', { servers: [{ address: heavy!.host, port: heavy!.port, weight: 3 }, { address: light!.host, port: light!.port, weight: 1 }] }),
      siteYaml('svc', { service: { name: 'web', port: { number: 80 } } }),
      siteYaml('failover', {
        servers: [
          { address: primary.host, port: primary.port, maxFails: 1, failTimeout: '1s' },
          { address: backup!.host, port: backup!.port, backup: true },
        ],
      }),
    ].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1'], { readyTimeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await pier?.stop();
    await Promise.all([...backends, primary].map((b) => b?.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('weights 3:1 give a 3:1 distribution (smooth weighted round robin)', async () => {
    const counts = await tally(80, () => backendOf(pier, 'weighted'));
    expect([...counts.keys()].sort()).toEqual(['heavy', 'light']);
    // Smooth WRR is exact over every 4 picks; the tolerance only allows for a stray pick.
    expect(Math.abs(counts.get('heavy')! - 60)).toBeLessThanOrEqual(2);
    expect(Math.abs(counts.get('light')! - 20)).toBeLessThanOrEqual(2);
  });

  it('spec.service: the endpoints of the EndpointSlice are the servers', async () => {
    const counts = await tally(20, () => backendOf(pier, 'svc'));
    expect(Object.fromEntries(counts)).toEqual({ 'svc-a': 10, 'svc-b': 10 });
  });

  it('manifest mode logs each Upstream\'s status once: Accepted, Ready, endpoint counts', () => {
    const status = logLines(pier.output()).filter((l) => l.component === 'status');
    expect(status.filter((l) => l.name === 'weighted')).toEqual([expect.objectContaining({ kind: 'Upstream', namespace: 'default', accepted: true, ready: true, readyEndpoints: 2, totalEndpoints: 2 })]);
    expect(status.filter((l) => l.name === 'svc')).toEqual([expect.objectContaining({ accepted: true, ready: true, readyEndpoints: 2, totalEndpoints: 2 })]);
    expect(status.filter((l) => l.name === 'failover')).toEqual([expect.objectContaining({ accepted: true, ready: true, readyEndpoints: 2, totalEndpoints: 2 })]);
  });

  it('the backup serves only while the primary is down, and traffic returns after failTimeout', async () => {
    expect(Object.fromEntries(await tally(10, () => backendOf(pier, 'failover')))).toEqual({ primary: 10 });

    await primary.close();
    const failedAt = Date.now();
    // The first request finds the primary refusing and is retried on the backup: no error.
    expect(Object.fromEntries(await tally(10, () => backendOf(pier, 'failover')))).toEqual({ backup: 10 });

    primary = await startTrackingBackend('primary', '127.0.0.15', primaryPort);
    await waitFor(async () => (await backendOf(pier, 'failover')) === 'primary', 15_000, 'traffic back on the primary');
    // Marked down for failTimeout (1s) after its failure: never back earlier.
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(950);
    expect(Object.fromEntries(await tally(10, () => backendOf(pier, 'failover')))).toEqual({ primary: 10 });
  }, 40_000);
});

/**
 * Hashing with two workers: each new client connection may land on either worker, and the same
 * key must reach the same server whichever worker picks it.
 */
describe('Upstream hashing (pier serve --manifests, 2 workers)', () => {
  let dir: string;
  let pier: PierProcess;
  const backends: TrackingBackend[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-ups-hash-'));
    backends.push(...await Promise.all(['h1', 'h2', 'h3'].map((n, i) => startTrackingBackend(n, `127.0.0.${21 + i}`))));
    const servers = backends.map((b) => ({ address: b.host, port: b.port }));
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'sites.yaml'), [
      siteYaml('iphash', { servers, loadBalancing: { algorithm: 'IPHash' } }),
      siteYaml('chash', { servers, loadBalancing: { algorithm: 'ConsistentHash', hashKey: { source: 'Header', name: 'X-User' } } }),
    ].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '2'], { readyTimeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await pier?.stop();
    await Promise.all(backends.map((b) => b.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ConsistentHash on a header: each key sticks to one server, keys spread over servers', async () => {
    const serverOf = new Map<string, Set<string | number>>();
    for (let round = 0; round < 4; round++) {
      for (let k = 0; k < 20; k++) {
        // A new connection per request, so both workers take part.
        const b = await backendOf(pier, 'chash', { 'x-user': `user-${k}`, connection: 'close' });
        const set = serverOf.get(`user-${k}`) ?? new Set();
        set.add(b);
        serverOf.set(`user-${k}`, set);
      }
    }
    for (const [key, set] of serverOf) expect([...set], key).toHaveLength(1);
    const used = new Set([...serverOf.values()].map((s) => [...s][0]));
    expect(used.size).toBeGreaterThan(1);
    for (const b of used) expect(['h1', 'h2', 'h3']).toContain(b);
  });

  it('IPHash: each client network sticks to one server, networks spread over servers', async () => {
    // nginx ip_hash hashes the first three octets of an IPv4 address: vary the third.
    const serverOf = new Map<string, Set<string | number>>();
    for (let round = 0; round < 3; round++) {
      for (let net = 1; net <= 8; net++) {
        const b = await backendFrom(`127.0.${net}.${round + 7}`, pier.httpPort, 'iphash.example');
        const set = serverOf.get(`127.0.${net}`) ?? new Set();
        set.add(b);
        serverOf.set(`127.0.${net}`, set);
      }
    }
    for (const [net, set] of serverOf) expect([...set], net).toHaveLength(1);
    const used = new Set([...serverOf.values()].map((s) => [...s][0]));
    expect(used.size).toBeGreaterThan(1);
  });
});
