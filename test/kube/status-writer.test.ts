import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PierConfig } from '../../src/config.ts';
import type { Ingress, IngressClass } from '../../src/source/objects.ts';
import { slimObject } from '../../src/source/slim-object.ts';
import { startStatusWriter, type StatusWriter } from '../../src/status/status-writer.ts';
import { EMPTY_SNAPSHOT, type Snapshot } from '../../src/translate/snapshot.ts';
import { FakeApiServer, type Obj, type RecordedRequest } from './fake-api-server.ts';
import { eventually, ingress, silentLogger, sleep, testConfig } from './kube-test-helpers.ts';

const ELECTION = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100, namespace: 'pier-system' };
/** Ingress status is written with merge patches (PUT or another patch type would be a regression). */
const isStatusWrite = (r: RecordedRequest) => (r.method === 'PUT' || r.method === 'PATCH') && r.path.endsWith('/status');

let api: FakeApiServer;
const writers: StatusWriter[] = [];

beforeEach(async () => {
  api = await FakeApiServer.start();
  api.apply({ kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' } });
  api.apply({ kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
});

afterEach(async () => {
  await Promise.all(writers.splice(0).map((w) => w.stop()));
  await api.close();
});

function writer(identity: string, config: Partial<PierConfig> = { publishStatusAddress: ['10.0.0.1', 'lb.example.com'] }): StatusWriter {
  const w = startStatusWriter({
    kubeConfig: api.kubeConfig(identity), config: testConfig(config), logger: silentLogger,
    election: { ...ELECTION, identity }, resyncMs: 200,
  });
  writers.push(w);
  return w;
}

/** What the store would hold now (the writer must cope with it being stale, too). */
function snapshot(): Snapshot {
  return { ...EMPTY_SNAPSHOT, ingressClasses: api.list('IngressClass') as unknown as IngressClass[], ingresses: api.list('Ingress') as unknown as Ingress[] };
}

const addressesOf = (name: string) => (api.get('Ingress', 'default', name) as { status?: { loadBalancer?: { ingress?: unknown } } }).status?.loadBalancer?.ingress;
const OURS = [{ ip: '10.0.0.1' }, { hostname: 'lb.example.com' }];

describe('ingress status', () => {
  it('the leader writes our addresses on our Ingresses only, through the status subresource, once', async () => {
    const ours = api.apply(ingress('default', 'ours', 'pier'));
    api.apply(ingress('default', 'theirs', 'nginx'));
    api.apply(ingress('default', 'unclassed'));
    const w = writer('a');
    await eventually(() => w.isLeader(), 3000, 'leader');
    w.update(snapshot());
    await eventually(() => addressesOf('ours'), 3000, 'status written');
    expect(addressesOf('ours')).toEqual(OURS);
    const stored = api.get('Ingress', 'default', 'ours')!;
    expect(stored.spec).toEqual(ours.spec);
    expect(stored.metadata.generation).toBe(1);
    // Fresh snapshots and resyncs find nothing to change.
    for (let i = 0; i < 3; i++) {
      w.update(snapshot());
      await sleep(100);
    }
    await sleep(300);
    expect(api.requests.filter(isStatusWrite).map((r) => `${r.method} ${r.contentType} ${r.path}`)).toEqual(['PATCH application/merge-patch+json /apis/networking.k8s.io/v1/namespaces/default/ingresses/ours/status']);
    expect(addressesOf('theirs')).toBeUndefined();
    expect(addressesOf('unclassed')).toBeUndefined();
  });

  it('--update-status=false: the leader writes no Ingress status, and still keeps Upstream status', async () => {
    api.apply(ingress('default', 'ours', 'pier'));
    api.apply({ kind: 'Upstream', metadata: { name: 'static', namespace: 'default' }, spec: { servers: [{ address: '10.0.0.1', port: 80 }] } });
    const w = writer('a', { updateStatus: false, publishStatusAddress: ['10.0.0.1'] });
    await eventually(() => w.isLeader(), 3000, 'leader');
    w.update({ ...snapshot(), upstreams: api.list('Upstream') as unknown as Snapshot['upstreams'] });
    // The Upstream's status is written in the same sync, after the Ingresses would have been.
    await eventually(() => (api.get('Upstream', 'default', 'static') as { status?: unknown }).status, 3000, 'Upstream status');
    expect(api.requests.filter((r) => isStatusWrite(r) && r.path.includes('/ingresses/'))).toEqual([]);
    expect(addressesOf('ours')).toBeUndefined();
  });

  it('leaves labels and annotations that the store does not keep as they are', async () => {
    const annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Ingress"}', 'meta.helm.sh/release-name': 'web', 'pier.dev/proxy-read-timeout': '5' };
    const labels = { 'app.kubernetes.io/name': 'web' };
    const base = ingress('default', 'ours', 'pier');
    api.apply({ ...base, metadata: { ...base.metadata, annotations, labels } });
    const w = writer('a');
    // The store holds slimmed objects (source/slim-object.ts): no Helm or kubectl annotations.
    const slim = snapshot();
    w.update({ ...slim, ingresses: slim.ingresses.map((i) => slimObject(i)) });
    await eventually(() => addressesOf('ours'), 3000, 'status written');
    expect(addressesOf('ours')).toEqual(OURS);
    expect(api.get('Ingress', 'default', 'ours')!.metadata.annotations).toEqual(annotations);
    expect(api.get('Ingress', 'default', 'ours')!.metadata.labels).toEqual(labels);
  });

  it('follows the --publish-service load balancer address, even from a stale snapshot', async () => {
    api.apply({ kind: 'Service', metadata: { name: 'pier', namespace: 'pier-system' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } } });
    api.apply(ingress('default', 'ours', 'pier'));
    const w = writer('a', { publishService: { namespace: 'pier-system', name: 'pier' } });
    const stale = snapshot();
    w.update(stale);
    await eventually(() => JSON.stringify(addressesOf('ours')) === '[{"ip":"192.0.2.7"}]', 3000, 'first address');
    api.setStatus('Service', 'pier-system', 'pier', { loadBalancer: { ingress: [{ hostname: 'elb.example.com' }] } });
    // No new snapshot: the periodic resync notices, and the stale resourceVersion is retried on the latest.
    await eventually(() => JSON.stringify(addressesOf('ours')) === '[{"hostname":"elb.example.com"}]', 3000, 'second address');
    expect(api.requests.filter((r) => r.method === 'GET' && r.path === '/apis/networking.k8s.io/v1/namespaces/default/ingresses/ours')).toHaveLength(1);
  });

  it('a new leader with a stale snapshot leaves what the previous leader wrote alone', async () => {
    api.apply(ingress('default', 'ours', 'pier'));
    const stale = snapshot();
    api.setStatus('Ingress', 'default', 'ours', { loadBalancer: { ingress: OURS } });
    const rv = api.get('Ingress', 'default', 'ours')!.metadata.resourceVersion;
    const w = writer('a');
    w.update(stale);
    await eventually(() => api.requests.some(isStatusWrite), 3000, 'a status write attempt');
    await sleep(500);
    // One attempt on the stale version (409), a re-read, nothing written; resyncs do not retry.
    expect(api.requests.filter(isStatusWrite).map((r) => r.status)).toEqual([409]);
    expect(api.get('Ingress', 'default', 'ours')!.metadata.resourceVersion).toBe(rv);
  });

  it('clears Ingresses it no longer serves, but never another controller\'s', async () => {
    api.apply(ingress('default', 'ours', 'pier'));
    api.apply(ingress('default', 'moved', 'pier'));
    // Left behind by a previous leader: exactly our addresses, no class → ours to clear.
    api.apply({ ...ingress('default', 'orphan'), status: { loadBalancer: { ingress: OURS } } });
    api.apply(ingress('default', 'nginx-same-ip', 'nginx'));
    const w = writer('a');
    w.update(snapshot());
    await eventually(() => addressesOf('moved'), 3000, 'moved written');
    api.setStatus('Ingress', 'default', 'nginx-same-ip', { loadBalancer: { ingress: OURS } });
    const moved = api.get('Ingress', 'default', 'moved')!;
    api.apply({ ...moved, spec: { ...(moved.spec as object), ingressClassName: undefined } } as Obj);
    w.update(snapshot());
    await eventually(() => addressesOf('moved') === undefined && addressesOf('orphan') === undefined, 3000, 'cleared');
    await sleep(300);
    expect(addressesOf('ours')).toEqual(OURS);
    expect(addressesOf('nginx-same-ip')).toEqual(OURS);
    expect(api.requests.filter((r) => isStatusWrite(r) && r.path.includes('nginx-same-ip'))).toEqual([]);
  });

  it('only the leader writes; the other replica takes over when the leader stops', async () => {
    api.apply(ingress('default', 'first', 'pier'));
    const a = writer('a');
    await eventually(() => a.isLeader(), 3000, 'a leads');
    const b = writer('b');
    await sleep(300);
    a.update(snapshot());
    b.update(snapshot());
    await eventually(() => addressesOf('first'), 3000, 'first written');
    await sleep(300);
    expect(b.isLeader()).toBe(false);
    expect(new Set(api.requests.filter(isStatusWrite).map((r) => r.token))).toEqual(new Set(['a']));
    await a.stop();
    await eventually(() => b.isLeader(), 3000, 'b leads');
    api.apply(ingress('default', 'second', 'pier'));
    b.update(snapshot());
    await eventually(() => addressesOf('second'), 3000, 'second written');
    expect(api.requests.filter((r) => isStatusWrite(r) && r.path.includes('second')).map((r) => r.token)).toEqual(['b']);
  });

  it('stops writing as soon as the lease is lost', async () => {
    api.apply(ingress('default', 'first', 'pier'));
    const a = writer('a');
    await eventually(() => a.isLeader(), 3000, 'a leads');
    a.update(snapshot());
    await eventually(() => addressesOf('first'), 3000, 'first written');
    api.apply({ kind: 'Lease', metadata: { name: 'pier-leader', namespace: 'pier-system' }, spec: { holderIdentity: 'other', leaseDurationSeconds: 60, renewTime: new Date().toISOString() } });
    await eventually(() => !a.isLeader(), 2000, 'a lost the lease');
    api.apply(ingress('default', 'second', 'pier'));
    a.update(snapshot());
    await sleep(500);
    expect(addressesOf('second')).toBeUndefined();
  });
});
