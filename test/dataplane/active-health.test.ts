import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type BackendPolicy } from '../../src/routing/route-table.ts';
import { RawClient, backendOf, closeAll, sleep, startBackend, startDataplane, tableFor, type TestBackend } from './helpers.ts';

afterEach(closeAll);

const INTERVAL_MS = 100;
const UNHEALTHY = 2;
const HEALTHY = 2;
/** Probe latency and timer jitter on a loaded machine. */
const SLACK_MS = 300;

const checked: BackendPolicy = {
  ...DEFAULT_POLICY,
  healthCheck: { path: '/healthz', intervalMs: INTERVAL_MS, timeoutMs: 500, healthyThreshold: HEALTHY, unhealthyThreshold: UNHEALTHY },
};

interface CheckedBackend {
  readonly backend: TestBackend;
  failing: boolean;
  probes: number;
  traffic: number;
}

/** A node:http backend whose /healthz answers 503 while `failing`; other paths always 200. */
async function startChecked(name: string): Promise<CheckedBackend> {
  const state = { failing: false, probes: 0, traffic: 0 } as CheckedBackend;
  const backend = await startBackend(name, (req, res) => {
    req.resume();
    if (req.url === '/healthz') {
      state.probes++;
      res.statusCode = state.failing ? 503 : 200;
      res.end();
      return;
    }
    state.traffic++;
    res.end(`backend=${name}`);
  });
  return Object.assign(state, { backend });
}

/** Sends `n` requests on one connection; returns how many each backend answered. */
async function spread(client: RawClient, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await client.get('foo.com', '/work');
    expect(res.status).toBe(200);
    seen[res.body] = (seen[res.body] ?? 0) + 1;
  }
  return seen;
}

describe('active health checks through the dataplane', () => {
  it('a server whose /healthz fails stops receiving traffic within interval × unhealthyThreshold, and comes back', async () => {
    const a = await startChecked('a');
    const b = await startChecked('b');
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('pool', [a.backend, b.backend], checked)]));
    const client = await RawClient.open(port);
    expect(await spread(client, 10)).toEqual({ 'backend=a': 5, 'backend=b': 5 });
    await sleep(INTERVAL_MS);
    expect(b.probes).toBeGreaterThan(0);

    b.failing = true;
    await sleep(INTERVAL_MS * UNHEALTHY + SLACK_MS);
    expect(await spread(client, 10)).toEqual({ 'backend=a': 10 });

    b.failing = false;
    await sleep(INTERVAL_MS * HEALTHY + SLACK_MS);
    expect(await spread(client, 10)).toEqual({ 'backend=a': 5, 'backend=b': 5 });
  });

  it('keeps verdicts across swaps, and stops probing when the backend leaves the table', async () => {
    const a = await startChecked('a');
    const b = await startChecked('b');
    const c = await startChecked('c');
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('pool', [a.backend, b.backend], checked)]));
    const client = await RawClient.open(port);
    b.failing = true;
    await sleep(INTERVAL_MS * UNHEALTHY + SLACK_MS);

    // Same backend, one server added: b is still down at once, c (new) starts healthy.
    dp.swap(tableFor('foo.com', [backendOf('pool', [a.backend, b.backend, c.backend], checked)]), 2);
    const afterSwap = await spread(client, 10);
    expect(afterSwap['backend=b']).toBeUndefined();
    expect(afterSwap['backend=c']).toBeGreaterThan(0);

    // The backend leaves the table: its checker stops (no more probes anywhere).
    dp.swap(tableFor('foo.com', [backendOf('plain', [a.backend])]), 3);
    await sleep(INTERVAL_MS); // a probe already on the wire may still land
    const probes = [a.probes, b.probes, c.probes];
    await sleep(INTERVAL_MS * 3);
    expect([a.probes, b.probes, c.probes]).toEqual(probes);
  });

  it('stops probing when the dataplane closes', async () => {
    const a = await startChecked('a');
    const { dp } = await startDataplane(tableFor('foo.com', [backendOf('pool', [a.backend], checked)]));
    await sleep(INTERVAL_MS * 2);
    expect(a.probes).toBeGreaterThan(0);
    await dp.close();
    const probes = a.probes;
    await sleep(INTERVAL_MS * 3);
    expect(a.probes).toBe(probes);
  });
});
