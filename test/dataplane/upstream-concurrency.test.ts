import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { DEFAULT_POLICY } from '../../src/routing/route-table.ts';
import { backendOf, closeAll, onCleanup, policy, startBackend, startDataplane, tableFor } from './helpers.ts';

afterEach(closeAll);

describe('upstream concurrency', () => {
  it.each([
    { name: 'keepalive.connections caps idle connections, not concurrency: requests beyond it all reach the backend at once', connections: 2, wantConnectionHeader: 'keep-alive' },
    { name: 'keepalive off (connections 0): every request on its own connection, Connection: close', connections: 0, wantConnectionHeader: 'close' },
  ])('$name', async ({ connections, wantConnectionHeader }) => {
    const CONCURRENT = 12;
    const held: ServerResponse[] = [];
    const connectionHeaders: string[] = [];
    // Answers nothing until every request has arrived: with a total cap of `connections` the
    // rest would queue in the pool forever and this would time out.
    const backend = await startBackend('held', (req, res) => {
      connectionHeaders.push(String(req.headers.connection));
      req.resume();
      held.push(res);
      if (held.length === CONCURRENT) for (const r of held) r.end('ok');
    });
    const p = policy({ keepalive: { ...DEFAULT_POLICY.keepalive, connections } });
    const { origin } = await startDataplane(tableFor('', [backendOf('held', [backend], p)]));
    const agent = new Agent({ connections: CONCURRENT });
    onCleanup(() => agent.close());
    const signal = AbortSignal.timeout(5_000);
    const statuses = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const res = await request(`${origin}/r${i}`, { dispatcher: agent, signal });
        await res.body.dump();
        return res.statusCode;
      }),
    );
    expect(statuses).toEqual(Array(CONCURRENT).fill(200));
    expect(backend.connections).toBe(CONCURRENT);
    expect(new Set(connectionHeaders)).toEqual(new Set([wantConnectionHeader]));
    // With keepalive N, as nginx's `keepalive N`: only N of the burst's connections stay idle
    // for reuse (the rest close when freed), so a second burst reuses N and opens the others.
    if (connections > 0) {
      held.length = 0;
      await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => request(`${origin}/s${i}`, { dispatcher: agent, signal }).then((r) => r.body.dump())));
      expect(backend.connections).toBe(CONCURRENT + CONCURRENT - connections);
    }
  });
});
