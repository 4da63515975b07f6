import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBalancer } from '../../src/dataplane/balance/create-balancer.ts';
import { ActiveHealthChecker } from '../../src/dataplane/health/active-health-checker.ts';
import { DEFAULT_POLICY, DEFAULT_SERVER_LIMITS, type Backend } from '../../src/routing/route-table.ts';

afterEach(() => {
  vi.useRealTimers();
});

const backendWith = (intervalMs: number): Backend => ({
  id: 'b',
  servers: [{ host: '10.0.0.1', port: 80, ...DEFAULT_SERVER_LIMITS }],
  policy: { ...DEFAULT_POLICY, healthCheck: { path: '/healthz', intervalMs, timeoutMs: 50, healthyThreshold: 1, unhealthyThreshold: 1 } },
});

describe('ActiveHealthChecker stop', () => {
  it('stays stopped when stop() lands while a policy-change restart waits for a probe (backend removed right after a change)', async () => {
    vi.useFakeTimers();
    let probes = 0;
    let finishProbe: ((ok: boolean) => void) | undefined;
    const probe = () => {
      probes++;
      return new Promise<boolean>((resolve) => (finishProbe = resolve));
    };
    const first = backendWith(100);
    const checker = new ActiveHealthChecker(first, createBalancer(first), { probe });
    checker.start();
    expect(probes).toBe(1); // first round at once; its probe stays pending

    const changed = backendWith(200);
    checker.update(changed, createBalancer(changed)); // restart: waits for the pending probe
    const stopped = checker.stop(); // the next swap drops the backend
    finishProbe!(true);
    await stopped;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probes).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
