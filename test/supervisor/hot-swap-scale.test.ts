/**
 * Routing changes in a large table, through real processes and sockets: 32 keepalive clients
 * send requests back to back through 2 workers serving 10,000 hosts while the supervisor flips
 * one host's route 20 times. Each flip reaches the workers as a delta of that one host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flipTable, LoadClient, startBackend, startPrimary, waitFor, type Primary, type TestBackend } from './harness.ts';

const CLIENTS = 32;
const HOSTS = 10_000;
const FLIPS = 20;
const FLIP_EVERY_MS = 100;

describe(`${FLIPS} route flips in a ${HOSTS.toLocaleString('en')}-host table under ${CLIENTS} keepalive clients`, () => {
  let primary: Primary;
  let backends: TestBackend[];
  let clients: LoadClient[];
  let warmConnections: number[];
  let lastGeneration = 0;
  let final: TestBackend;
  let swapMs: number[] = [];

  beforeAll(async () => {
    backends = [await startBackend('a'), await startBackend('b')];
    const started = await startPrimary({ workers: 2 });
    primary = started.primary;
    const [a, b] = backends as [TestBackend, TestBackend];
    const publish = async (active: TestBackend) => (await primary.call('publish', { table: flipTable(active, backends), pad: HOSTS })).generation as number;
    const first = await publish(a);
    await waitFor('the large table in force', async () => (await primary.call('ready', { generation: first })).ready === true, 60_000);
    clients = Array.from({ length: CLIENTS }, (_, i) => new LoadClient(started.port, i));
    let stop = false;
    const load = Promise.all(clients.map((c) => c.loop(() => stop, Date.now() + 90_000)));

    // Warm-up as in hot-swap.test.ts: every client in flight at once on each backend.
    // Each warm-up table is waited for: publishing a 10,000-host table takes the fixture a while.
    const publishAndWait = async (active: TestBackend) => {
      const generation = await publish(active);
      await waitFor('the warm-up table in force', async () => (await primary.call('ready', { generation })).ready === true, 20_000);
    };
    for (const x of backends) x.delayMs = 100;
    await new Promise((r) => setTimeout(r, 700));
    await publishAndWait(b);
    await new Promise((r) => setTimeout(r, 700));
    for (const x of backends) x.delayMs = 0;
    await new Promise((r) => setTimeout(r, 200));
    warmConnections = backends.map((x) => x.connections);

    for (let i = 0; i < FLIPS; i++) {
      final = i % 2 === 0 ? a : b;
      lastGeneration = await publish(final);
      await new Promise((r) => setTimeout(r, FLIP_EVERY_MS));
    }
    await waitFor('every worker to ack the last table', async () => (await primary.call('ready', { generation: lastGeneration })).ready === true, 20_000);
    swapMs = (await primary.stats()).map((w) => w.lastSwapMs);
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await load;
  }, 120_000);

  afterAll(async () => {
    await Promise.all((clients ?? []).map((c) => c.close()));
    await primary?.call('shutdown').catch(() => {});
    await primary?.kill();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('fails no request and keeps each client on its one connection', () => {
    expect(clients.flatMap((c) => c.failures)).toEqual([]);
    expect(clients.every((c) => c.ok > 5)).toBe(true);
    expect(clients.map((c) => c.connects)).toEqual(clients.map(() => 1));
  });

  it('sends every flip as a delta, compiled without the whole table', async () => {
    expect((await primary.stats()).map((w) => [w.generation, w.deltaSwaps])).toEqual([[lastGeneration, FLIPS + 1], [lastGeneration, FLIPS + 1]]);
    console.log(`last delta swap per worker at ${HOSTS} hosts: ${swapMs.map((ms) => ms.toFixed(1)).join(', ')} ms`);
  });

  it('serves the final route, and opened no upstream connection after the warm-up', () => {
    const last = clients.flatMap((c) => c.seen.slice(-1).map(([, body]) => body));
    expect(new Set(last)).toEqual(new Set([final.name]));
    expect(backends.map((b) => b.connections)).toEqual(warmConnections);
  });
});
