import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeSource } from '../../src/source/kube/kube-source.ts';
import type { Source } from '../../src/source/source.ts';
import { withClusterNoise } from '../helpers/cluster-noise.ts';
import { FakeApiServer, type FakeApiServerOptions, type RecordedRequest } from './fake-api-server.ts';
import { EventLog, eventually, objectsOfEachKind, silentLogger, sleep, summary, testConfig } from './kube-test-helpers.ts';

const KINDS = ['IngressClass', 'Ingress', 'Service', 'EndpointSlice', 'Secret', 'ConfigMap', 'Upstream'];
const isWatch = (r: RecordedRequest) => r.query.get('watch') === 'true';

let api: FakeApiServer | undefined;
let source: Source | undefined;

afterEach(async () => {
  await source?.stop();
  await api?.close();
  source = undefined;
  api = undefined;
});

async function startSource(options: { watchNamespace?: string; server?: FakeApiServerOptions; preload?: (api: FakeApiServer) => void; minWatchIntervalMs?: number } = {}) {
  api = await FakeApiServer.start(options.server);
  options.preload?.(api);
  const log = new EventLog();
  source = createKubeSource(testConfig({ watchNamespace: options.watchNamespace }), silentLogger, {
    kubeConfig: api.kubeConfig(), backoff: { initialMs: 20, maxMs: 100 }, absentRetryMs: 200, minWatchIntervalMs: options.minWatchIntervalMs ?? 0,
  });
  await source.start(log.listener);
  return { api, log };
}

/** Every object the fake server holds of the watched kinds (TLS Secrets only), as `kind ns/name@rv`. */
function serverState(api: FakeApiServer, namespace?: string): string[] {
  return KINDS.flatMap((k) => api.list(k))
    .filter((o) => o.kind !== 'Secret' || o.type === 'kubernetes.io/tls' || o.type === 'Opaque')
    .filter((o) => namespace === undefined || o.metadata.namespace === undefined || o.metadata.namespace === namespace)
    .map(summary).sort();
}

describe('kube source: initial sync', () => {
  it('delivers every kind as plain API JSON, then synced once', async () => {
    const { api, log } = await startSource({
      preload: (a) => {
        for (const o of objectsOfEachKind()) a.apply(o);
        a.apply({ kind: 'Secret', metadata: { name: 'token', namespace: 'default' }, type: 'kubernetes.io/service-account-token', data: { a: 'Yg==' } });
        a.apply({ kind: 'Secret', metadata: { name: 'users', namespace: 'default' }, type: 'Opaque', data: { auth: 'Yg==' } });
      },
    });
    await eventually(() => log.synced, 5000, 'synced');
    const syncedAt = log.events.findIndex((e) => e.type === 'synced');
    expect([...new Set(log.events.slice(0, syncedAt).map((e) => e.type === 'upsert' && e.object.kind))].sort()).toEqual([...KINDS].sort());
    expect(log.events.filter((e) => e.type === 'synced')).toHaveLength(1);
    expect(log.stateSummary()).toEqual(serverState(api));
    const ing = log.state.get('Ingress default/web')!.object;
    expect(ing.apiVersion).toBe('networking.k8s.io/v1');
    expect(typeof ing.metadata.creationTimestamp).toBe('string');
    expect(ing.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(log.upsertsOf('Secret', 'default', 'token')).toBe(0);
    expect(log.upsertsOf('Secret', 'default', 'users')).toBe(1); // Opaque: basic auth users
    // Token, Helm and registry Secrets are filtered by the API server, not downloaded and dropped.
    const secretLists = api.requests.filter((r) => r.path === '/api/v1/secrets');
    expect(secretLists.every((r) => r.query.get('fieldSelector')!.split(',').includes('type!=kubernetes.io/service-account-token'))).toBe(true);
  });

  it('does not say synced before every kind listed', async () => {
    let unfail = () => {};
    const { api, log } = await startSource({
      preload: (a) => {
        for (const o of objectsOfEachKind()) a.apply(o);
        unfail = a.fail((r) => r.path === '/apis/discovery.k8s.io/v1/endpointslices' && !isWatch(r), 500);
      },
    });
    await eventually(() => log.upsertsOf('Ingress', 'default', 'web') === 1, 5000, 'ingress upsert');
    await sleep(500);
    expect(log.synced).toBe(false);
    // Retried with backoff (20 ms doubling to 100 ms), not in a hot loop.
    const attempts = api.requests.filter((r) => r.path === '/apis/discovery.k8s.io/v1/endpointslices').length;
    expect(attempts).toBeGreaterThan(2);
    expect(attempts).toBeLessThan(20);
    expect(log.upsertsOf('EndpointSlice', 'default', 'web-abc')).toBe(0);
    unfail();
    await eventually(() => log.synced, 5000, 'synced after the failing list recovered');
    expect(log.stateSummary()).toEqual(serverState(api));
    expect(api.requests.filter((r) => r.path === '/apis/discovery.k8s.io/v1/endpointslices').length).toBeGreaterThan(2);
  });

  it('delivers nothing after stop(), even from a list that was in flight', async () => {
    api = await FakeApiServer.start();
    for (const o of objectsOfEachKind()) api.apply(o);
    api.delay((r) => !isWatch(r), 300);
    const log = new EventLog();
    source = createKubeSource(testConfig(), silentLogger, { kubeConfig: api.kubeConfig() });
    const started = source.start(log.listener);
    await eventually(() => api!.requests.length >= KINDS.length, 2000, 'lists sent');
    await source.stop();
    await started;
    await sleep(400);
    expect(log.events).toEqual([]);
    expect(api.openWatches).toBe(0);
  });

  it('limits namespaced kinds to --watch-namespace', async () => {
    const { api, log } = await startSource({
      watchNamespace: 'team-a',
      preload: (a) => {
        for (const o of objectsOfEachKind('team-a')) a.apply(o);
        for (const o of objectsOfEachKind('team-b', '-b')) a.apply(o);
      },
    });
    await eventually(() => log.synced, 5000, 'synced');
    api.apply({ kind: 'Service', metadata: { name: 'late', namespace: 'team-b' }, spec: {} });
    api.apply({ kind: 'Service', metadata: { name: 'late', namespace: 'team-a' }, spec: {} });
    await eventually(() => log.upsertsOf('Service', 'team-a', 'late') === 1, 5000, 'team-a service');
    expect(log.stateSummary()).toEqual(serverState(api, 'team-a'));
    expect(log.upsertsOf('Service', 'team-b', 'late')).toBe(0);
    expect(log.upsertsOf('IngressClass', undefined, 'pier-b')).toBe(1);
  });
});

describe('kube source: what is kept of listed objects', () => {
  it('keeps only the fields Pier reads of every listed object, from every page', async () => {
    const clean = objectsOfEachKind();
    const { log } = await startSource({ preload: (a) => { clean.forEach((o, i) => a.apply(withClusterNoise(o, i))); } });
    await eventually(() => log.synced, 5000, 'synced');
    for (const obj of clean) {
      const stored = log.state.get(`${obj.kind} ${obj.metadata.namespace ? obj.metadata.namespace + '/' : ''}${obj.metadata.name}`)!.object;
      const text = JSON.stringify(stored);
      for (const dropped of ['managedFields', 'last-applied-configuration', 'meta.helm.sh', 'app.kubernetes.io', 'targetRef', 'nodePort', 'clusterIPs', 'sessionAffinity', 'binaryData', 'immutable', 'ownerReferences']) {
        expect(text, `${obj.kind} keeps ${dropped}`).not.toContain(dropped);
      }
      const { metadata: _m, ...content } = obj;
      expect(stored).toMatchObject(obj.kind === 'Service' ? { spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } } : content);
    }
  });
});

describe('kube source over HTTPS', () => {
  it('verifies the API server against the kubeconfig CA and sends the token on lists and watches', async () => {
    const { api, log } = await startSource({ server: { tls: true }, preload: (a) => { for (const o of objectsOfEachKind()) a.apply(o); } });
    expect(api.url).toMatch(/^https:/);
    await eventually(() => log.synced, 5000, 'synced');
    api.apply({ kind: 'Service', metadata: { name: 'over-tls', namespace: 'default' }, spec: {} });
    await eventually(() => log.upsertsOf('Service', 'default', 'over-tls') === 1, 5000, 'watch event over TLS');
    expect(log.stateSummary()).toEqual(serverState(api));
    expect(new Set(api.requests.map((r) => `${isWatch(r) ? 'watch' : 'list'} ${r.token}`))).toEqual(new Set(['watch fake-token', 'list fake-token']));
  });

  it('refuses an API server its kubeconfig does not trust', async () => {
    api = await FakeApiServer.start({ tls: true });
    const untrusting = new KubeConfig();
    untrusting.loadFromOptions({
      clusters: [{ name: 'c', server: api.url, skipTLSVerify: false }], users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
    });
    const log = new EventLog();
    source = createKubeSource(testConfig(), silentLogger, { kubeConfig: untrusting, backoff: { initialMs: 20, maxMs: 100 } });
    await source.start(log.listener);
    await sleep(500);
    expect(log.events).toEqual([]);
    expect(api.requests).toEqual([]);
  });
});

describe('kube source: changes of each kind', () => {
  it.each(objectsOfEachKind().map((o) => [o.kind!, o] as const))('%s: add, update, delete become upsert, upsert, remove', async (kind, obj) => {
    const { api, log } = await startSource();
    await eventually(() => log.synced, 5000, 'synced');
    const ns = obj.metadata.namespace;
    const added = api.apply(obj);
    await eventually(() => log.upsertsOf(kind, ns, obj.metadata.name, added.metadata.resourceVersion as string) === 1, 5000, 'add');
    // What Pier reads arrives; what it never reads is dropped before anything keeps the object.
    const annotations = { 'pier.dev/changed': 'yes', 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(obj) };
    const managedFields = [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {} } }];
    const updated = api.apply({ ...obj, metadata: { ...obj.metadata, annotations, managedFields, labels: { 'kubernetes.io/service-name': 'x', team: 'a' } } });
    await eventually(() => log.upsertsOf(kind, ns, obj.metadata.name, updated.metadata.resourceVersion as string) === 1, 5000, 'update');
    const stored = log.state.get(`${kind} ${ns ? ns + '/' : ''}${obj.metadata.name}`)!.object;
    expect(stored.metadata).toEqual({
      name: obj.metadata.name, ...(ns ? { namespace: ns } : {}), uid: updated.metadata.uid, resourceVersion: updated.metadata.resourceVersion,
      generation: updated.metadata.generation, creationTimestamp: updated.metadata.creationTimestamp,
      annotations: { 'pier.dev/changed': 'yes' }, labels: { 'kubernetes.io/service-name': 'x' },
    });
    api.remove(kind, ns, obj.metadata.name);
    await eventually(() => log.removesOf(kind, ns, obj.metadata.name) === 1, 5000, 'remove');
    expect(log.upsertsOf(kind, ns, obj.metadata.name)).toBe(2);
    expect(log.state.size).toBe(0);
  });
});

describe('kube source: broken watches', () => {
  it('reconnects after dropped watches without losing or duplicating state', async () => {
    const { api, log } = await startSource({ preload: (a) => { for (const o of objectsOfEachKind()) a.apply(o); } });
    await eventually(() => log.synced, 5000, 'synced');
    const watchesBefore = api.requests.filter(isWatch).length;
    for (const how of ['reset', 'end'] as const) {
      const unfail = api.fail(isWatch, 503);
      api.dropWatches(how);
      // While disconnected: one change, one new object, one deletion.
      api.apply({ kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 81 }] } });
      api.apply({ kind: 'Service', metadata: { name: `new-${how}`, namespace: 'default' }, spec: {} });
      api.remove('Upstream', 'default', 'up');
      await sleep(100);
      unfail();
      await eventually(() => api.openWatches === KINDS.length && log.stateSummary().join() === serverState(api).join(), 5000, 'state after reconnect');
    }
    expect(api.requests.filter(isWatch).length).toBeGreaterThan(watchesBefore + KINDS.length);
    // Each object version arrived exactly once: no replayed duplicates.
    const upserts = log.events.filter((e) => e.type === 'upsert').map((e) => summary(e.object as never));
    expect(new Set(upserts).size).toBe(upserts.length);
    expect(log.removesOf('Upstream', 'default', 'up')).toBe(1);
  });

  it.each(['event', 'status'] as const)('relists after 410 Gone (expired reported as %s): deletions while away become removes', async (expiredAs) => {
    const { api, log } = await startSource({ server: { expiredAs }, preload: (a) => { for (const o of objectsOfEachKind()) a.apply(o); } });
    await eventually(() => log.synced, 5000, 'synced');
    const unfail = api.fail(isWatch, 503);
    api.dropWatches();
    api.remove('Ingress', 'default', 'web');
    api.apply({ kind: 'Secret', metadata: { name: 'tls', namespace: 'default' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'bmV3', 'tls.key': 'a2V5' } });
    api.apply({ kind: 'IngressClass', metadata: { name: 'other' }, spec: { controller: 'example.com/other' } });
    api.expire();
    const listsBefore = api.requests.filter((r) => !isWatch(r) && r.method === 'GET').length;
    unfail();
    await eventually(() => api.openWatches === KINDS.length && log.stateSummary().join() === serverState(api).join(), 5000, 'state after relist');
    expect(api.requests.filter((r) => !isWatch(r) && r.method === 'GET').length).toBeGreaterThanOrEqual(listsBefore + KINDS.length);
    expect(log.removesOf('Ingress', 'default', 'web')).toBe(1);
    // Unchanged objects are not re-announced by the relist.
    expect(log.upsertsOf('Service', 'default', 'web')).toBe(1);
    expect(log.upsertsOf('Secret', 'default', 'tls')).toBe(2);
    expect(log.events.filter((e) => e.type === 'synced')).toHaveLength(1);
  });

  it('resumes from bookmarks', async () => {
    const { api, log } = await startSource();
    await eventually(() => log.synced, 5000, 'synced');
    expect(api.requests.filter(isWatch).every((r) => r.query.get('allowWatchBookmarks') === 'true' && Number(r.query.get('timeoutSeconds')) >= 300)).toBe(true);
    api.apply({ kind: 'Service', metadata: { name: 'a', namespace: 'default' }, spec: {} });
    await eventually(() => log.upsertsOf('Service', 'default', 'a') === 1, 5000, 'service');
    api.sendBookmarks();
    await sleep(100);
    api.expire();
    api.dropWatches('end');
    await eventually(() => api.openWatches === KINDS.length, 5000, 'watches back');
    // Every kind resumed from the bookmark's resourceVersion, so none needed a relist.
    const gone = api.requests.filter((r) => !isWatch(r) && r.method === 'GET').length;
    expect(gone).toBe(KINDS.length);
  });

  it('paces watches that a server ends at once instead of spinning', async () => {
    const { api, log } = await startSource({ minWatchIntervalMs: 1000 });
    await eventually(() => log.synced, 5000, 'synced');
    api.endWatchesAtOnce = true;
    api.dropWatches('end');
    const before = api.requests.filter(isWatch).length;
    await sleep(600);
    const perKind = (api.requests.filter(isWatch).length - before) / KINDS.length;
    expect(perKind).toBeGreaterThanOrEqual(2);
    expect(perKind).toBeLessThan(20);
    api.endWatchesAtOnce = false;
    api.apply({ kind: 'Service', metadata: { name: 'after', namespace: 'default' }, spec: {} });
    await eventually(() => log.upsertsOf('Service', 'default', 'after') === 1, 5000, 'watching again');
  });
});

describe('kube source: Upstream CRD', () => {
  it('tolerates a missing CRD: reported once, synced anyway, picked up once installed', async () => {
    const { api, log } = await startSource({
      preload: (a) => {
        for (const o of objectsOfEachKind()) if (o.kind !== 'Upstream') a.apply(o);
        a.uninstall('Upstream');
      },
    });
    await eventually(() => log.synced, 5000, 'synced');
    await sleep(500);
    const problems = log.events.filter((e) => e.type === 'problem');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ problem: { reason: 'CustomResourceNotInstalled', name: 'upstreams.pier.dev' } });
    api.install('Upstream');
    api.apply({ kind: 'Upstream', metadata: { name: 'late', namespace: 'default' }, spec: {} });
    await eventually(() => log.upsertsOf('Upstream', 'default', 'late') === 1, 5000, 'upstream after install');
    expect(log.stateSummary()).toEqual(serverState(api));
  });
});
