import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, RouteTable } from '../../src/routing/route-table.ts';
import { backendOf, closeAll, prefixRoute, startBackend, startDataplane, swapTo, type SwapMode } from '../dataplane/helpers.ts';
import { h2Connect, h2Request } from './h2-client.ts';

afterEach(closeAll);

/** Generation `n`: `site.test/` on backend a or b (alternating), plus a host that exists only in
 * this generation; the same backend objects in every generation, as the controller's. */
function table(n: number, backends: readonly Backend[]): RouteTable {
  return {
    virtualHosts: [
      { host: `gen${n}.test`, routes: [prefixRoute('/', 'a')] },
      { host: 'site.test', routes: [prefixRoute('/', n % 2 === 0 ? 'a' : 'b')] },
    ],
    backends,
  };
}

describe('HTTP/2 under routing changes', () => {
  it.each<SwapMode>(['whole', 'delta'])('100 table swaps (%s) under load from 16 HTTP/2 connections × 8 streams: 0 failed streams, 0 new connections', async (mode) => {
    const [a, b] = [await startBackend('a'), await startBackend('b')];
    const backends = [backendOf('a', [a]), backendOf('b', [b])];
    let current = table(0, backends);
    const { dp, origin } = await startDataplane(current);
    const sessions = await Promise.all(Array.from({ length: 16 }, () => h2Connect(origin)));
    // A node:http2 client never reconnects a session: the same 16 sessions open at the end,
    // none told GOAWAY, means 0 new connections.
    let goaways = 0;
    for (const s of sessions) s.on('goaway', () => goaways++);
    let done = 0;
    let failed = 0;
    let swapping = true;
    const waiters: (() => void)[] = [];
    const loop = async (session: (typeof sessions)[number]) => {
      // Bounded: stops when the swaps are over, or after 20,000 requests per loop at most.
      for (let i = 0; swapping && i < 20_000; i++) {
        const r = await h2Request(session, { ':path': '/', ':authority': 'site.test' });
        if (r.status !== 200 || (r.body !== 'backend=a' && r.body !== 'backend=b')) failed++;
        done++;
        waiters.splice(0).forEach((w) => w());
      }
    };
    const loops = sessions.flatMap((s) => Array.from({ length: 8 }, () => loop(s)));
    for (let gen = 1; gen <= 100; gen++) {
      // Each swap waits for 16 more completed streams: load keeps flowing between swaps.
      const target = done + 16;
      while (done < target) await new Promise<void>((resolve) => waiters.push(resolve));
      const next = table(gen, backends);
      swapTo(dp, mode, current, next, gen + 1);
      current = next;
    }
    swapping = false;
    await Promise.all(loops);
    expect(failed).toBe(0);
    expect(done).toBeGreaterThanOrEqual(1600);
    expect(goaways).toBe(0);
    expect(sessions.every((s) => !s.closed && !s.destroyed)).toBe(true);
    expect(dp.generation).toBe(101);
    expect(dp.stats.deltaSwaps).toBe(mode === 'delta' ? 100 : 0);
  }, 60_000);
});
