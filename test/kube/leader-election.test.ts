import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaderElector, microTime } from '../../src/status/leader-election.ts';
import { FakeApiServer } from './fake-api-server.ts';
import { eventually, silentLogger, sleep } from './kube-test-helpers.ts';

// Fast timings: the lease's own duration is in whole seconds, so 1 s is the shortest.
const TIMINGS = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 };

let api: FakeApiServer;
const electors: LeaderElector[] = [];

beforeEach(async () => {
  api = await FakeApiServer.start();
});

afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop({ release: false })));
  await api.close();
});

function elector(identity: string, transitions?: string[]): LeaderElector {
  const e = new LeaderElector({
    kubeConfig: api.kubeConfig(identity), namespace: 'pier-system', name: 'pier-leader', identity, logger: silentLogger, ...TIMINGS,
    onStartedLeading: () => transitions?.push(`${identity} leads`),
    onStoppedLeading: () => transitions?.push(`${identity} stops`),
  });
  electors.push(e);
  return e;
}

const lease = () => api.get('Lease', 'pier-system', 'pier-leader') as { spec: Record<string, unknown> } | undefined;

describe('leader election', () => {
  it('creates the Lease and renews it with MicroTime timestamps', async () => {
    const a = elector('a');
    a.start();
    await eventually(() => a.isLeader(), 3000, 'a leads');
    const first = lease()!.spec;
    expect(first).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(first.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    await eventually(() => lease()!.spec.renewTime !== first.renewTime, 3000, 'renewal');
    expect(lease()!.spec.acquireTime).toBe(first.acquireTime);
  });

  it('lets exactly one of two simultaneous candidates lead', async () => {
    const a = elector('a');
    const b = elector('b');
    a.start();
    b.start();
    await eventually(() => a.isLeader() || b.isLeader(), 3000, 'a leader');
    for (let i = 0; i < 20; i++) {
      expect(a.isLeader() && b.isLeader()).toBe(false);
      await sleep(50);
    }
    expect(Number(a.isLeader()) + Number(b.isLeader())).toBe(1);
  });

  it('hands over after the leader dies: the successor waits for the lease to expire', async () => {
    const transitions: string[] = [];
    const a = elector('a', transitions);
    a.start();
    await eventually(() => a.isLeader(), 3000, 'a leads');
    const b = elector('b', transitions);
    b.start();
    await sleep(300);
    expect(b.isLeader()).toBe(false);
    const crashedAt = Date.now();
    await a.stop({ release: false });
    await eventually(() => b.isLeader(), 5000, 'b leads');
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(TIMINGS.leaseDurationMs - 300);
    expect(lease()!.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(transitions).toEqual(['a leads', 'a stops', 'b leads']);
  });

  it('hands over at once when the leader releases the lease on stop', async () => {
    const a = elector('a');
    a.start();
    await eventually(() => a.isLeader(), 3000, 'a leads');
    const b = elector('b');
    b.start();
    await sleep(200);
    const stoppedAt = Date.now();
    await a.stop();
    await eventually(() => b.isLeader(), 3000, 'b leads');
    expect(Date.now() - stoppedAt).toBeLessThan(TIMINGS.leaseDurationMs);
  });

  it('steps down at once when another holder took the Lease', async () => {
    const a = elector('a');
    a.start();
    await eventually(() => a.isLeader(), 3000, 'a leads');
    api.apply({ kind: 'Lease', metadata: { name: 'pier-leader', namespace: 'pier-system' }, spec: { holderIdentity: 'intruder', leaseDurationSeconds: 60, renewTime: microTime(Date.now()) } });
    await eventually(() => !a.isLeader(), 1000, 'a steps down');
  });

  it('steps down when it cannot renew within the renew deadline', async () => {
    const a = elector('a');
    a.start();
    await eventually(() => a.isLeader(), 3000, 'a leads');
    api.fail((r) => r.path.includes('/leases'), 500);
    const failingSince = Date.now();
    await eventually(() => !a.isLeader(), 3000, 'a steps down');
    const after = Date.now() - failingSince;
    expect(after).toBeGreaterThanOrEqual(TIMINGS.renewDeadlineMs - 200);
    expect(after).toBeLessThan(TIMINGS.leaseDurationMs * 2.5);
  });
});
