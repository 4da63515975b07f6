import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventRecorder } from '../../src/status/event-recorder.ts';
import type { Problem } from '../../src/translate/problem.ts';
import { FakeApiServer } from './fake-api-server.ts';
import { silentLogger } from './kube-test-helpers.ts';

let api: FakeApiServer;

beforeEach(async () => {
  api = await FakeApiServer.start();
});

afterEach(async () => {
  await api.close();
});

const missing: Problem = { kind: 'Ingress', namespace: 'shop', name: 'web', reason: 'ServiceNotFound', message: 'Service shop/api does not exist; its paths answer 503.' };
const conflict: Problem = { kind: 'Ingress', namespace: 'shop', name: 'old', reason: 'PathConflict', message: 'shop/web wins /.', severity: 'Normal' };
const crd: Problem = { kind: 'CustomResourceDefinition', namespace: '', name: 'upstreams.pier.dev', reason: 'CustomResourceNotInstalled', message: 'not installed' };

function recorder(clock: { t: number }, leader = { is: true }) {
  return createEventRecorder({
    kubeConfig: api.kubeConfig(), logger: silentLogger, controllerName: 'pier.dev/ingress-controller', identity: 'pier-0',
    windowMs: 60_000, now: () => clock.t, isLeader: () => leader.is,
  });
}

describe('event recorder', () => {
  it('posts one core/v1 Event per problem on its object', async () => {
    const r = recorder({ t: Date.parse('2026-01-02T03:04:05Z') });
    r.record([missing, conflict, crd]);
    await r.flush();
    const events = api.list('Event');
    expect(events).toHaveLength(3);
    expect(events.find((e) => e.reason === 'ServiceNotFound')).toMatchObject({
      metadata: { namespace: 'shop' },
      involvedObject: { kind: 'Ingress', namespace: 'shop', name: 'web', apiVersion: 'networking.k8s.io/v1' },
      type: 'Warning', message: missing.message, count: 1,
      firstTimestamp: '2026-01-02T03:04:05Z', lastTimestamp: '2026-01-02T03:04:05Z',
      source: { component: 'pier' }, reportingComponent: 'pier.dev/ingress-controller', reportingInstance: 'pier-0',
    });
    expect(events.find((e) => e.reason === 'PathConflict')).toMatchObject({ type: 'Normal' });
    expect(events.find((e) => e.reason === 'CustomResourceNotInstalled')).toMatchObject({ metadata: { namespace: 'default' } });
    expect(new Set(events.map((e) => e.metadata.name)).size).toBe(3);
  });

  it.each([
    { name: 'same problem again within the window', later: 59_000, problem: missing, posted: 1 },
    { name: 'same problem after the window', later: 60_000, problem: missing, posted: 2 },
    { name: 'same object and reason, new message', later: 1_000, problem: { ...missing, message: 'Service shop/api2 does not exist.' }, posted: 2 },
  ])('rate limit: $name → $posted event(s)', async ({ later, problem, posted }) => {
    const clock = { t: 1_000_000 };
    const r = recorder(clock);
    r.record([missing]);
    r.record([missing]);
    clock.t += later;
    r.record([problem]);
    await r.flush();
    expect(api.list('Event')).toHaveLength(posted);
  });

  it('posts nothing while not the leader, and posts once it leads', async () => {
    const leader = { is: false };
    const r = recorder({ t: 1_000_000 }, leader);
    r.record([missing]);
    await r.flush();
    expect(api.list('Event')).toHaveLength(0);
    leader.is = true;
    r.record([missing]);
    await r.flush();
    expect(api.list('Event')).toHaveLength(1);
  });

  it('survives API errors', async () => {
    const r = recorder({ t: 1_000_000 });
    const unfail = api.fail((req) => req.path.endsWith('/events'), 500);
    r.record([missing]);
    await r.flush();
    unfail();
    r.record([conflict]);
    await r.flush();
    expect(api.list('Event').map((e) => e.reason)).toEqual(['PathConflict']);
  });
});
