import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML } from './manifests.ts';
import {
  siteYaml, sleep, startIdleClosingBackend, startResetOnReuseBackend, startTrackingBackend, type RawBackend, type TrackingBackend,
} from './upstream-backends.ts';

/** GET `<site>.example/` through Pier; the backend's connection number (x-conn). */
async function connOf(pier: PierProcess, site: string): Promise<number> {
  const res = await request(`http://127.0.0.1:${pier.httpPort}/`, { headers: { host: `${site}.example` } });
  await res.body.text();
  expect(res.statusCode).toBe(200);
  return Number(res.headers['x-conn']);
}

/**
 * Issue 5 end to end, upstream keepalive limits observed from the backend side (which TCP
 * connection carried each request). One worker: upstream pools are per worker.
 */
describe('Upstream keepalive limits (pier serve --manifests, 1 worker)', () => {
  let dir: string;
  let pier: PierProcess;
  let perConn: TrackingBackend;
  let idle: TrackingBackend;
  let aged: TrackingBackend;
  let capped: TrackingBackend;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-ups-ka-'));
    [perConn, idle, aged, capped] = await Promise.all([
      startTrackingBackend('requests', '127.0.0.41'), startTrackingBackend('idle', '127.0.0.42'), startTrackingBackend('aged', '127.0.0.43'),
      startTrackingBackend('capped', '127.0.0.44'),
    ]);
    const server = (b: TrackingBackend) => [{ address: b.host, port: b.port }];
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'sites.yaml'), [
      siteYaml('ka-requests', { servers: server(perConn), keepalive: { requests: 5 } }),
      siteYaml('ka-idle', { servers: server(idle), keepalive: { idleTimeout: '200ms' } }),
      siteYaml('ka-age', { servers: server(aged), keepalive: { time: '1s' } }),
      siteYaml('ka-cap', { servers: server(capped), keepalive: { connections: 2 } }),
    ].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1'], { readyTimeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await pier?.stop();
    await Promise.all([perConn, idle, aged, capped].map((b) => b?.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keepalive.requests 5: the backend sees a new connection every 5 requests', async () => {
    const conns: number[] = [];
    for (let i = 0; i < 20; i++) conns.push(await connOf(pier, 'ka-requests'));
    const perConnection = new Map<number, number>();
    for (const c of conns) perConnection.set(c, (perConnection.get(c) ?? 0) + 1);
    // Regression (found by this test): undici's maxRequestsPerClient N sends N + 1 requests on a
    // connection (the last with Connection: close); passing keepalive.requests as N gave 6, 6, 6, 2.
    expect([...perConnection.values()]).toEqual([5, 5, 5, 5]);
  });

  it('keepalive.idleTimeout 200ms: back-to-back requests share a connection; after 600 ms idle the next arrives on a new one', async () => {
    const quick: number[] = [];
    for (let i = 0; i < 5; i++) quick.push(await connOf(pier, 'ka-idle'));
    // Allows one reconnect should the loaded machine stall a moment between two requests.
    expect(new Set(quick).size).toBeLessThanOrEqual(2);
    await sleep(600);
    const after = await connOf(pier, 'ka-idle');
    expect(after).toBeGreaterThan(Math.max(...quick));
  });

  it('keepalive.connections 2 (nginx keepalive 2): a burst of 6 opens 6, only 2 stay idle for the next burst', async () => {
    const burst = () => Promise.all(Array.from({ length: 6 }, async () => {
      const res = await request(`http://127.0.0.1:${pier.httpPort}/slow`, { headers: { host: 'ka-cap.example' } });
      await res.body.text();
      return res.statusCode;
    }));
    expect(await burst()).toEqual(Array(6).fill(200));
    expect(capped.acceptedAt.length).toBe(6); // concurrency is not capped
    await sleep(100);
    expect(await burst()).toEqual(Array(6).fill(200));
    expect(capped.acceptedAt.length).toBe(6 + 4); // 2 idle connections were kept, 4 had closed
  });

  it('keepalive.time 1s: no request rides a connection older than 1 s', async () => {
    const deadline = Date.now() + 3_000;
    let n = 0;
    while (Date.now() < deadline && n < 40) {
      await connOf(pier, 'ka-age');
      n++;
      await sleep(100);
    }
    const conns = new Set(aged.seen.map((s) => s.conn));
    expect(conns.size).toBeGreaterThanOrEqual(2);
    expect(conns.size).toBeLessThan(n / 2);
    // Age is checked when a request is dispatched; the slack covers the trip to the backend.
    for (const s of aged.seen) expect(s.at - aged.acceptedAt[s.conn - 1]!, `connection ${s.conn}`).toBeLessThan(1_000 + 300);
  });
});

const IDLE_CLOSE_MS = 300;

/** Pier start-ups of the concurrent scenarios below, one at a time: three at once (four
 * workers) on a loaded 2-core machine overran the supervisor's 15 s worker start timeout. */
let startups: Promise<unknown> = Promise.resolve();
function startPierInTurn(args: readonly string[]): Promise<PierProcess> {
  const mine = startups.then(() => startPier(args, { readyTimeoutMs: 30_000 }));
  startups = mine.catch(() => undefined);
  return mine;
}
const CLIENTS = 4;
const PER_CLIENT = 75;
const JITTER_MS = 30;

/**
 * The case that must never fail (issue 5): a backend that closes idle keepalive connections after
 * ~300 ms without advertising it (no Keep-Alive header: Tomcat with a short keep-alive timeout,
 * nginx's "upstream prematurely closed connection"), and clients pacing their requests at
 * 300 ms ± 30 ms, so Pier keeps picking connections the backend is closing at that instant.
 * Idempotent requests must see zero errors.
 *
 * - closes-idle, 1 worker, a backend per client: each upstream connection is idle as long as its
 *   client paces, the worst case for the race (which still only hits when the backend's FIN and
 *   the request cross: a few times per run).
 * - closes-idle, 2 workers, one backend shared by every client: the pools of both workers hold
 *   several connections, some idle past the backend's limit while others are in use.
 * - resets-on-reuse: the backend resets a connection idle 300 ms or more when the next request
 *   arrives on it, so the crossing happens every time (about half of the requests).
 *
 * The three run concurrently (each with its own Pier and backends): each is 75 paced requests
 * per client, ~23 s of mostly waiting, and one after another they were 70 s of the suite.
 */
describe.concurrent.each([
  { workers: 1, shared: false, mode: 'closes-idle' },
  { workers: 2, shared: true, mode: 'closes-idle' },
  { workers: 1, shared: false, mode: 'resets-on-reuse' },
] as const)('a backend ending idle connections silently: $mode, $workers worker(s), shared backend: $shared', ({ workers, shared, mode }) => {
  let dir: string;
  let pier: PierProcess;
  const backends: RawBackend[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-ups-idle-'));
    const start = mode === 'resets-on-reuse' ? startResetOnReuseBackend : startIdleClosingBackend;
    for (let i = 0; i < (shared ? 1 : CLIENTS); i++) backends.push(await start(IDLE_CLOSE_MS));
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'sites.yaml'), backends.map((b, i) => siteYaml(`tomcat-${i}`, { servers: [{ address: b.host, port: b.port }] })).join('---\n'));
    pier = await startPierInTurn(['--manifests', dir, '--workers', String(workers)]);
  }, 120_000);

  afterAll(async () => {
    await pier?.stop();
    await Promise.all(backends.map((b) => b.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`${CLIENTS} clients × ${PER_CLIENT} paced GETs: zero errors`, async () => {
    const errors: string[] = [];
    let ok = 0;
    const client = async (c: number) => {
      const site = `tomcat-${shared ? 0 : c}.example`;
      const conn = new Client(`http://127.0.0.1:${pier.httpPort}`, { headersTimeout: 20_000, bodyTimeout: 20_000 });
      try {
        // Stagger the clients so their requests do not arrive in lockstep.
        await sleep(c * (IDLE_CLOSE_MS / CLIENTS));
        for (let i = 0; i < PER_CLIENT; i++) {
          try {
            const res = await conn.request({ method: 'GET', path: `/?c=${c}&i=${i}`, headers: { host: site } });
            const body = await res.body.text();
            if (res.statusCode === 200 && body === 'ok') ok++;
            else errors.push(`client ${c} request ${i}: ${res.statusCode}`);
          } catch (err) {
            errors.push(`client ${c} request ${i}: ${(err as Error).message}`);
          }
          await sleep(IDLE_CLOSE_MS - JITTER_MS + Math.random() * 2 * JITTER_MS);
        }
      } finally {
        await conn.close();
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    const upstreamConnections = backends.reduce((sum, b) => sum + b.acceptedAt.length, 0);
    const metrics = await (await fetch(`http://127.0.0.1:${pier.healthPort}/metrics`)).text();
    const retries = /^pier_upstream_retries_total (\d+)$/m.exec(metrics)?.[1];
    const resets = backends.reduce((sum, b) => sum + ((b as { resets?: number }).resets ?? 0), 0);
    // The number the issue asks for: how many upstream connections the backend accepted.
    console.info(`backend ${mode} (${workers} worker(s), shared ${shared}): ${ok} requests OK, ${errors.length} errors, ${upstreamConnections} upstream connections accepted, ${retries ?? '?'} retries, ${resets} resets on reuse`);
    expect(errors).toEqual([]);
    expect(ok).toBe(CLIENTS * PER_CLIENT);
    expect(backends.reduce((sum, b) => sum + b.requests, 0)).toBeGreaterThanOrEqual(CLIENTS * PER_CLIENT);
    // The race was really run: about half the requests follow a pause of 300 ms or more.
    if (mode === 'resets-on-reuse') expect(resets).toBeGreaterThanOrEqual(50);
  }, 120_000);
});
