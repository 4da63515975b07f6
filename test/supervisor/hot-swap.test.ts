/**
 * Issue 3's central promise, through real processes and sockets: 32 keepalive clients send
 * requests back to back through 2 workers while the supervisor flips a route between two
 * backends 100 times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flipTable, LoadClient, startBackend, startPrimary, waitFor, type Primary, type TestBackend } from './harness.ts';

const CLIENTS = 32;
const FLIPS = 100;
const FLIP_EVERY_MS = 30;

describe('100 route flips under 32 keepalive clients', () => {
  let primary: Primary;
  let backends: TestBackend[];
  let clients: LoadClient[];
  let warmConnections: number[];
  let lastPublishAt = 0;
  let lastGeneration = 0;
  let readyAfterMs = Infinity;
  let final: TestBackend;

  beforeAll(async () => {
    backends = [await startBackend('a'), await startBackend('b')];
    const started = await startPrimary({ workers: 2 });
    primary = started.primary;
    const [a, b] = backends as [TestBackend, TestBackend];
    await primary.call('publish', { table: flipTable(a, backends) });
    clients = Array.from({ length: CLIENTS }, (_, i) => new LoadClient(started.port, i));
    let stop = false;
    const load = Promise.all(clients.map((c) => c.loop(() => stop, Date.now() + 60_000)));

    // Warm-up: slow answers put every client in flight at once on each backend, so both
    // backends' pools reach the highest concurrency the load can ever have.
    for (const x of backends) x.delayMs = 100;
    await new Promise((r) => setTimeout(r, 700));
    // Waited for: on a loaded machine the workers may take a while to switch, and b must see
    // every client in flight before the flips start.
    const warmB = (await primary.call('publish', { table: flipTable(b, backends) })).generation as number;
    await waitFor('the warm-up table in force', async () => (await primary.call('ready', { generation: warmB })).ready === true, 10_000);
    await new Promise((r) => setTimeout(r, 700));
    for (const x of backends) x.delayMs = 0;
    await new Promise((r) => setTimeout(r, 200));
    warmConnections = backends.map((x) => x.connections);

    for (let i = 0; i < FLIPS; i++) {
      final = i % 2 === 0 ? a : b;
      lastGeneration = (await primary.call('publish', { table: flipTable(final, backends) })).generation as number;
      lastPublishAt = Date.now();
      await new Promise((r) => setTimeout(r, FLIP_EVERY_MS));
    }
    await waitFor('every worker to ack the last table', async () => (await primary.call('ready', { generation: lastGeneration })).ready === true, 5_000);
    readyAfterMs = Date.now() - lastPublishAt;
    await new Promise((r) => setTimeout(r, 1_500 - Math.min(readyAfterMs, 1_500)));
    stop = true;
    await load;
  }, 60_000);

  afterAll(async () => {
    await Promise.all((clients ?? []).map((c) => c.close()));
    await primary?.call('shutdown').catch(() => {});
    await primary?.kill();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('fails no request', () => {
    const failures = clients.flatMap((c) => c.failures);
    expect(failures).toEqual([]);
    expect(clients.every((c) => c.ok > 20)).toBe(true);
  });

  it('keeps each client on its one connection', () => {
    expect(clients.map((c) => c.connects)).toEqual(clients.map(() => 1));
  });

  it('routes to both backends during the flips', () => {
    const bodies = new Set(clients.flatMap((c) => c.seen.filter(([t]) => t < lastPublishAt).map(([, body]) => body)));
    expect([...bodies].sort()).toEqual(['a', 'b']);
  });

  it('serves the final route within 1 s of the last publish', () => {
    expect(readyAfterMs).toBeLessThan(1_000);
    const late = clients.flatMap((c) => c.seen.filter(([t]) => t >= lastPublishAt + 1_000).map(([, body]) => body));
    expect(late.length).toBeGreaterThan(0);
    expect(new Set(late)).toEqual(new Set([final.name]));
  });

  it('is ready only for generations every worker acked', async () => {
    expect((await primary.call('ready', { generation: lastGeneration })).ready).toBe(true);
    expect((await primary.call('ready', { generation: lastGeneration + 1 })).ready).toBe(false);
    expect((await primary.stats()).map((w) => [w.state, w.generation])).toEqual([['serving', lastGeneration], ['serving', lastGeneration]]);
  });

  it('sent each flip as a delta, which every worker applied without compiling the whole table', async () => {
    // A starting worker gets the empty table whole; the first table (small), the warm-up flip and
    // the 100 flips after it are deltas.
    expect((await primary.stats()).map((w) => w.deltaSwaps)).toEqual([FLIPS + 2, FLIPS + 2]);
  });

  it('opens no upstream connection after the warm-up', () => {
    expect(backends.map((b) => b.connections)).toEqual(warmConnections);
    expect(warmConnections.every((n) => n > 0 && n <= CLIENTS)).toBe(true);
  });
});
