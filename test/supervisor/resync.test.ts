import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouteTable, VirtualHost } from '../../src/routing/route-table.ts';
import { flipTable, LoadClient, startBackend, startPrimary, waitFor, type Primary, type TestBackend } from './harness.ts';

const LOSSY_WORKER = fileURLToPath(new URL('./fixtures/lossy-worker.ts', import.meta.url));

/** `table` with one more host routing `/` to the first backend. */
function withHost(table: RouteTable, host: string): RouteTable {
  const extra: VirtualHost = { host, routes: [{ path: '/', pathType: 'Prefix', backend: table.backends[0]!.id, origin: `test/${host}` }] };
  return { ...table, virtualHosts: [...table.virtualHosts, extra].sort((x, y) => (x.host < y.host ? -1 : 1)) };
}

describe('a worker that missed a generation', () => {
  let primary: Primary | undefined;
  let backends: TestBackend[] = [];
  let client: LoadClient | undefined;
  afterEach(async () => {
    await client?.close();
    await primary?.call('shutdown').catch(() => {});
    await primary?.kill();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('asks for the whole table at the next delta and serves what it missed and what came after', async () => {
    backends = [await startBackend('a'), await startBackend('b')];
    const [a, b] = backends as [TestBackend, TestBackend];
    process.env.LOSE_GENERATION = '3';
    const started = await startPrimary({ workers: 1, exec: LOSSY_WORKER });
    delete process.env.LOSE_GENERATION;
    primary = started.primary;
    const one = flipTable(a, backends);
    const two = flipTable(b, backends);
    const three = withHost(two, 'three.test'); // lost on its way to the worker
    const four = withHost(three, 'four.test');
    for (const table of [one, two, three, four]) await primary.call('publish', { table });
    await waitFor('the worker to serve generation 4', async () => (await primary!.call('ready', { generation: 4 })).ready === true, 10_000);

    client = new LoadClient(started.port, 0);
    await client.request('/', 'three.test');
    await client.request('/', 'four.test');
    await client.request('/', 'flip.test');
    expect(client.failures).toEqual([]);
    expect(client.seen.map(([, body]) => body)).toEqual(['a', 'a', 'b']);
    // Generations 1 and 2 came as deltas; 4 was answered by the whole table after the resync.
    expect((await primary.stats()).map((w) => [w.generation, w.deltaSwaps])).toEqual([[4, 2]]);

    // Deltas flow again on top of the table it was resent.
    const five = withHost(four, 'five.test');
    await primary.call('publish', { table: five });
    await waitFor('generation 5', async () => (await primary!.call('ready', { generation: 5 })).ready === true, 10_000);
    await client.request('/', 'five.test');
    expect(client.seen.at(-1)?.[1]).toBe('a');
    expect((await primary.stats()).map((w) => w.deltaSwaps)).toEqual([3]);
  }, 60_000);
});
