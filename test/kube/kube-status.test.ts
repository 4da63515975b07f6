import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Ingress, IngressClass } from '../../src/source/objects.ts';
import { startKubeStatus, type KubeStatus } from '../../src/status/kube-status.ts';
import type { Problem } from '../../src/translate/problem.ts';
import { EMPTY_SNAPSHOT, type Snapshot } from '../../src/translate/snapshot.ts';
import { FakeApiServer } from './fake-api-server.ts';
import { eventually, ingress, silentLogger, sleep, testConfig } from './kube-test-helpers.ts';

const ELECTION = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100, namespace: 'pier-system' };
const problem: Problem = { kind: 'Ingress', namespace: 'default', name: 'ours', reason: 'ServiceNotFound', message: 'Service default/web does not exist.' };

let api: FakeApiServer;
const started: KubeStatus[] = [];

beforeEach(async () => {
  // HTTPS with a CA in the kubeconfig, as in a pod: the generated API clients verify it too.
  api = await FakeApiServer.start({ tls: true });
  api.apply({ kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' } });
  api.apply(ingress('default', 'ours', 'pier'));
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  await api.close();
});

function start(identity: string): KubeStatus {
  const s = startKubeStatus(testConfig({ publishStatusAddress: ['10.0.0.1'] }), silentLogger, { kubeConfig: api.kubeConfig(identity), election: { ...ELECTION, identity }, resyncMs: 200 });
  started.push(s);
  return s;
}

const snapshot = (): Snapshot => ({ ...EMPTY_SNAPSHOT, ingressClasses: api.list('IngressClass') as unknown as IngressClass[], ingresses: api.list('Ingress') as unknown as Ingress[] });

describe('startKubeStatus (the onBuilt hook main.ts wires)', () => {
  it('writes status and posts events from the leader only; a new leader posts the latest problems', async () => {
    const a = start('a');
    await eventually(() => a.isLeader(), 3000, 'a leads');
    const b = start('b');
    a.onBuilt(snapshot(), { problems: [problem] });
    b.onBuilt(snapshot(), { problems: [problem] });
    await eventually(() => api.list('Event').length === 1 && api.get('Ingress', 'default', 'ours')!.status, 3000, 'event and status');
    await sleep(200);
    expect(api.list('Event').map((e) => e.reportingInstance)).toEqual(['a']);
    await a.stop();
    started.splice(started.indexOf(a), 1);
    await eventually(() => b.isLeader(), 3000, 'b leads');
    await eventually(() => api.list('Event').length === 2, 3000, 'b posts what it saw');
    expect(api.list('Event').map((e) => e.reportingInstance).sort()).toEqual(['a', 'b']);
  });
});
