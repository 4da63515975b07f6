import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { startTrafficBackend, trafficManifests, type TrafficBackend } from './traffic-backend.ts';

/**
 * Send `total` GETs paced at `perSecond` from `clientAddress`, spread round-robin over
 * `connections` keepalive connections; the statuses, counted.
 */
async function paced(pier: PierProcess, host: string, clientAddress: string, perSecond: number, total: number, connections: number): Promise<Map<number, number>> {
  const clients = Array.from({ length: connections }, () => new Client(`http://127.0.0.1:${pier.httpPort}`, { localAddress: clientAddress, pipelining: 1 }));
  const statuses = new Map<number, number>();
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / perSecond - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(clients[i % connections]!.request({ method: 'GET', path: '/', headers: { host } }).then(async (res) => {
      await res.body.dump();
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    }));
  }
  await Promise.all(pending);
  await Promise.all(clients.map((c) => c.close()));
  return statuses;
}

/** Sends an Upgrade request from `clientAddress`; the status line's code (the socket kept open). */
async function upgrade(pier: PierProcess, host: string, clientAddress: string, sockets: Socket[]): Promise<number> {
  const socket = connect({ port: pier.httpPort, host: '127.0.0.1', localAddress: clientAddress });
  sockets.push(socket);
  let received = '';
  socket.on('data', (d) => (received += d.toString()));
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  socket.write(`GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await waitFor(() => received.includes('\r\n\r\n'), 5_000, 'upgrade answer');
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
}

/**
 * Rate limits through `pier serve --workers 2` (the pod-wide case: budgets leased from the
 * primary). Each case uses its own client address on loopback (127.0.0.x), so each is a new
 * client for the limits.
 */
describe('rate limits (pier serve --workers 2)', () => {
  let dir: string;
  let backend: TrafficBackend;
  let pier: PierProcess;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    backend = await startTrafficBackend('127.0.0.71');
    dir = await mkdtemp(join(tmpdir(), 'pier-rl-'));
    await writeFile(join(dir, 'all.yaml'), trafficManifests(backend, [
      { name: 'rps', host: 'rps.example', annotations: { 'nginx.ingress.kubernetes.io/limit-rps': '20', 'nginx.ingress.kubernetes.io/limit-burst-multiplier': '1', 'nginx.ingress.kubernetes.io/limit-allowlist': '127.0.0.99' } },
      { name: 'r429', host: 'r429.example', annotations: { 'pier.dev/limit-rps': '1', 'pier.dev/limit-burst-multiplier': '1', 'pier.dev/limit-req-status-code': '429' } },
      { name: 'conn', host: 'conn.example', annotations: { 'nginx.ingress.kubernetes.io/limit-connections': '2' } },
    ]));
    pier = await startPier(['--manifests', dir, '--workers', '2'], { readyTimeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await pier?.stop();
    await backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // limit-rps 20, burst 20 (multiplier 1): nginx admits 21 at once, then 20 per second. Over
  // 2.5 s at 40/s (100 requests): 21 + 20 × 2.5 = 71 expected; ±15 % allowed.
  const expected = 21 + 20 * 2.5;

  it('2× the limit over one keepalive connection: the configured rate gets through (503 for the rest)', async () => {
    const statuses = await paced(pier, 'rps.example', '127.0.0.72', 40, 100, 1);
    expect((statuses.get(200) ?? 0) + (statuses.get(503) ?? 0)).toBe(100);
    expect(statuses.get(200)).toBeGreaterThanOrEqual(expected * 0.85);
    expect(statuses.get(200)).toBeLessThanOrEqual(expected * 1.15);
  }, 20_000);

  it('2× the limit over 50 connections spread across the workers: the same pod-wide rate', async () => {
    const statuses = await paced(pier, 'rps.example', '127.0.0.73', 40, 100, 50);
    expect((statuses.get(200) ?? 0) + (statuses.get(503) ?? 0)).toBe(100);
    expect(statuses.get(200)).toBeGreaterThanOrEqual(expected * 0.85);
    expect(statuses.get(200)).toBeLessThanOrEqual(expected * 1.15);
  }, 20_000);

  it('an address in limit-allowlist is never limited', async () => {
    const statuses = await paced(pier, 'rps.example', '127.0.0.99', 200, 100, 4);
    expect(statuses.get(200)).toBe(100);
  }, 20_000);

  it('pier.dev/limit-req-status-code 429, and upgrades count like requests', async () => {
    // rps 1, burst 1: nginx admits two at once and refuses the rest — WebSocket upgrades too.
    // Across 2 workers a client new to the pod may get one more on credit (README: the edges).
    // The bucket refills continuously (nginx counts in milliseconds): the five may span part of
    // a token's refill, so at most one more per second begun is admitted.
    const codes: number[] = [];
    const started = performance.now();
    for (let i = 0; i < 5; i++) codes.push(await upgrade(pier, 'r429.example', '127.0.0.74', sockets));
    const refills = Math.ceil((performance.now() - started) / 1000);
    expect(codes.every((c) => c === 101 || c === 429)).toBe(true);
    expect(codes.filter((c) => c === 101).length).toBeGreaterThanOrEqual(2);
    expect(codes.filter((c) => c === 101).length).toBeLessThanOrEqual(3 + refills);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(5 - 3 - refills);
    // Three more, 20 ms apart: a token that refilled meanwhile (the upgrades may have taken a
    // second on a busy machine) admits one, the bucket's depth at most two, never all three;
    // and over the whole test no more than the burst, the credit and one per second begun.
    const statuses = await paced(pier, 'r429.example', '127.0.0.74', 50, 3, 1);
    expect([...statuses.keys()].every((c) => c === 200 || c === 429)).toBe(true);
    expect(statuses.get(429) ?? 0).toBeGreaterThanOrEqual(1);
    const admitted = codes.filter((c) => c === 101).length + (statuses.get(200) ?? 0);
    expect(admitted).toBeLessThanOrEqual(3 + Math.ceil((performance.now() - started) / 1000));
  }, 20_000);

  it('limit-connections 2: a third request in progress is refused; released slots admit again; tunnels hold a slot', async () => {
    const client = (n: number) => new Client(`http://127.0.0.1:${pier.httpPort}`, { localAddress: '127.0.0.75', pipelining: 1 }).request({ method: 'GET', path: `/hold?${n}`, headers: { host: 'conn.example' } });
    const first = client(1);
    await waitFor(() => backend.held.length === 1, 5_000, 'first request at the backend');
    const second = client(2);
    await waitFor(() => backend.held.length === 2, 5_000, 'second request at the backend');
    // The count reaches the other worker through the primary (one IPC hop each way).
    await new Promise((r) => setTimeout(r, 50));
    const third = await client(3);
    expect(third.statusCode).toBe(503);
    await third.body.dump();
    backend.releaseAll();
    for (const res of await Promise.all([first, second])) {
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    await new Promise((r) => setTimeout(r, 50));
    // An open tunnel is a request in progress (nginx: until its connection closes).
    expect(await upgrade(pier, 'conn.example', '127.0.0.75', sockets)).toBe(101);
    expect(await upgrade(pier, 'conn.example', '127.0.0.75', sockets)).toBe(101);
    await new Promise((r) => setTimeout(r, 50));
    expect(await upgrade(pier, 'conn.example', '127.0.0.75', sockets)).toBe(503);
  }, 20_000);
});
