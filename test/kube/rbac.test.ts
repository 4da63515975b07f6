import { afterEach, describe, expect, it } from 'vitest';
import { CLUSTER_RULES, CONTROLLER_RULES, NAMESPACE_SELECTOR_RULES, OWN_NAMESPACE_RULES, type PolicyRule } from '../../src/rbac.ts';
import { parseLabelSelector } from '../../src/source/label-selector.ts';
import { createKubeSource } from '../../src/source/kube/kube-source.ts';
import type { Ingress, IngressClass, Upstream } from '../../src/source/objects.ts';
import type { Source } from '../../src/source/source.ts';
import { startKubeStatus, type KubeStatus } from '../../src/status/kube-status.ts';
import { EMPTY_SNAPSHOT } from '../../src/translate/snapshot.ts';
import { parseApiPath } from './fake-api-resources.ts';
import { FakeApiServer, type RecordedRequest } from './fake-api-server.ts';
import { EventLog, eventually, ingress, silentLogger, testConfig } from './kube-test-helpers.ts';

/** `group resource verb` of an API request, as RBAC sees it. */
function permissionOf(r: RecordedRequest): string {
  const p = parseApiPath(r.path);
  if (!p) throw new Error(`not a resource path: ${r.path}`);
  const resource = p.subresource ? `${p.type.plural}/${p.subresource}` : p.type.plural;
  const verb = { GET: p.name ? 'get' : r.query.get('watch') === 'true' ? 'watch' : 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[r.method];
  return `${p.type.group} ${resource} ${verb}`;
}

function granted(rules: readonly PolicyRule[]): string[] {
  return rules.flatMap((rule) => rule.apiGroups.flatMap((g) => rule.resources.flatMap((res) => rule.verbs.map((v) => `${g} ${res} ${v}`))));
}

let api: FakeApiServer | undefined;
let source: Source | undefined;
let status: KubeStatus | undefined;

afterEach(async () => {
  await source?.stop();
  await status?.stop();
  await api?.close();
});

describe('src/rbac.ts', () => {
  it('grants exactly the API calls Kubernetes mode makes', async () => {
    api = await FakeApiServer.start();
    api.apply({ kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' } });
    api.apply({ kind: 'Service', metadata: { name: 'pier', namespace: 'pier-system' }, spec: {}, status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } });
    api.apply(ingress('default', 'web', 'pier'));
    api.apply({ kind: 'Upstream', metadata: { name: 'pool', namespace: 'default' }, spec: { servers: [{ address: '10.0.0.1', port: 80 }] } });
    const log = new EventLog();
    source = createKubeSource(testConfig(), silentLogger, { kubeConfig: api.kubeConfig() });
    await source.start(log.listener);
    await eventually(() => log.synced, 5000, 'synced');
    status = startKubeStatus(testConfig({ publishService: { namespace: 'pier-system', name: 'pier' } }), silentLogger, {
      kubeConfig: api.kubeConfig(), election: { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100, namespace: 'pier-system', identity: 'pier-0' },
    });
    // A stale snapshot: its first status write gets a 409, so the re-read (get) is exercised too.
    const stale = { ...EMPTY_SNAPSHOT, ingressClasses: api.list('IngressClass') as unknown as IngressClass[], ingresses: api.list('Ingress') as unknown as Ingress[], upstreams: api.list('Upstream') as unknown as Upstream[] };
    api.setStatus('Ingress', 'default', 'web', { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } });
    api.setStatus('Upstream', 'default', 'pool', { readyEndpoints: 0 });
    await eventually(() => status!.isLeader(), 3000, 'leader');
    status.onBuilt(stale, { problems: [{ kind: 'Ingress', namespace: 'default', name: 'web', reason: 'Test', message: 'm' }] });
    await eventually(() => api!.list('Event').length === 1 && JSON.stringify(api!.get('Ingress', 'default', 'web')!.status).includes('192.0.2.1')
      && (api!.get('Upstream', 'default', 'pool')!.status as { readyEndpoints?: number }).readyEndpoints === 1, 3000, 'status and event');
    await eventually(() => api!.requests.filter((r) => r.path.includes('/leases') && r.method === 'PUT').length > 0, 3000, 'lease renewal');

    const used = new Set(api.requests.map(permissionOf));
    const rules = [...granted(CONTROLLER_RULES), ...granted(CLUSTER_RULES), ...granted(OWN_NAMESPACE_RULES)];
    expect([...used].sort()).toEqual([...new Set(rules)].sort());
    // No set repeats itself; services get is granted twice on purpose (watched namespace and
    // Pier's own, where the --publish-service Service lives).
    for (const set of [CONTROLLER_RULES, CLUSTER_RULES, OWN_NAMESPACE_RULES]) expect(granted(set)).toHaveLength(new Set(granted(set)).size);
    expect(rules.length - new Set(rules).size).toBe(1);
  });

  it('--watch-namespace-selector adds exactly namespaces list/watch (NAMESPACE_SELECTOR_RULES), cluster-wide', async () => {
    api = await FakeApiServer.start();
    api.apply({ kind: 'Namespace', metadata: { name: 'default', labels: { team: 'a' } } });
    api.apply(ingress('default', 'web', 'pier'));
    const log = new EventLog();
    source = createKubeSource(testConfig({ watchNamespaceSelector: parseLabelSelector('team=a') }), silentLogger, { kubeConfig: api.kubeConfig() });
    await source.start(log.listener);
    await eventually(() => log.synced && api!.requests.some((r) => r.path === '/api/v1/namespaces' && r.query.get('watch') === 'true'), 5000, 'synced, namespaces watched');
    const used = new Set(api.requests.map(permissionOf));
    const forNamespaces = [...used].filter((p) => p.split(' ')[1] === 'namespaces').sort();
    expect(forNamespaces).toEqual(granted(NAMESPACE_SELECTOR_RULES).sort());
    const all = new Set([...granted(CONTROLLER_RULES), ...granted(CLUSTER_RULES), ...granted(NAMESPACE_SELECTOR_RULES)]);
    expect([...used].filter((p) => !all.has(p))).toEqual([]);
    // Cluster-wide: one list of every Namespace, not a get per namespace.
    expect(api.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/') && parseApiPath(r.path)?.type.plural === 'namespaces')).toEqual([]);
  });
});
