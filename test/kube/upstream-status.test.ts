import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EndpointSlice, Service, Upstream } from '../../src/source/objects.ts';
import { startStatusWriter, type StatusWriter } from '../../src/status/status-writer.ts';
import { EMPTY_SNAPSHOT, type Snapshot } from '../../src/translate/snapshot.ts';
import { FakeApiServer, type RecordedRequest } from './fake-api-server.ts';
import { eventually, silentLogger, sleep, testConfig } from './kube-test-helpers.ts';

const ELECTION = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100, namespace: 'pier-system', identity: 'pier-0' };
const isUpstreamStatusPut = (r: RecordedRequest) => r.method === 'PUT' && r.path.includes('/upstreams/') && r.path.endsWith('/status');

interface Status { readyEndpoints?: number; totalEndpoints?: number; observedGeneration?: number; conditions?: { type: string; status: string; reason: string; lastTransitionTime: string }[] }

let api: FakeApiServer;
let writer: StatusWriter;

beforeEach(async () => {
  api = await FakeApiServer.start();
});

afterEach(async () => {
  await writer?.stop();
  await api.close();
});

const snapshot = (): Snapshot => ({
  ...EMPTY_SNAPSHOT,
  upstreams: api.list('Upstream') as unknown as Upstream[],
  services: api.list('Service') as unknown as Service[],
  endpointSlices: api.list('EndpointSlice') as unknown as EndpointSlice[],
});
const statusOf = (name: string) => api.get('Upstream', 'default', name)?.status as Status | undefined;
const condition = (name: string, type: string) => statusOf(name)?.conditions?.find((c) => c.type === type);

describe('Upstream status', () => {
  it('writes conditions and endpoint counts, once, and stamps transitions', async () => {
    api.apply({ kind: 'Upstream', metadata: { name: 'static', namespace: 'default' }, spec: { servers: [{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 80 }] } });
    api.apply({ kind: 'Upstream', metadata: { name: 'bad', namespace: 'default' }, spec: { servers: [{ address: '10.0.0.1', port: 80 }], healthCheck: { healthyThreshold: 0 } } });
    api.apply({ kind: 'Upstream', metadata: { name: 'svc', namespace: 'default' }, spec: { service: { name: 'web', port: { number: 80 } } } });
    api.apply({ kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } });
    writer = startStatusWriter({ kubeConfig: api.kubeConfig(), config: testConfig(), logger: silentLogger, election: ELECTION, resyncMs: 100 });
    writer.update(snapshot());
    await eventually(() => statusOf('static') && statusOf('bad') && statusOf('svc'), 3000, 'statuses');
    expect(statusOf('static')).toMatchObject({ readyEndpoints: 2, totalEndpoints: 2, observedGeneration: 1 });
    expect(condition('static', 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(condition('bad', 'Accepted')).toMatchObject({ status: 'False', reason: 'InvalidUpstream' });
    expect(condition('svc', 'Ready')).toMatchObject({ status: 'False', reason: 'NoReadyEndpoints' });
    expect(condition('svc', 'Ready')!.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const accepted = condition('svc', 'Accepted')!.lastTransitionTime;
    // Resyncs from the same (stale) snapshot and from fresh ones write nothing more.
    await sleep(300);
    writer.update(snapshot());
    await sleep(300);
    expect(api.requests.filter((r) => isUpstreamStatusPut(r) && r.status === 200)).toHaveLength(3);

    await sleep(1100);
    api.apply({
      kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4', ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: ['10.1.0.1'], conditions: { ready: true } }],
    });
    writer.update(snapshot());
    await eventually(() => condition('svc', 'Ready')?.status === 'True', 3000, 'svc ready');
    expect(statusOf('svc')).toMatchObject({ readyEndpoints: 1, totalEndpoints: 1 });
    expect(condition('svc', 'Accepted')!.lastTransitionTime).toBe(accepted);
    expect(condition('svc', 'Ready')!.lastTransitionTime > accepted).toBe(true);
  });
});
