import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Ingress, KubeObject, Service } from '../../src/source/objects.ts';
import { DEFAULT_POLICY, type BackendDefaults, type BackendPolicy } from '../../src/routing/route-table.ts';
import { Store } from '../../src/store/store.ts';
import { IncrementalTranslator } from '../../src/translate/incremental-translate.ts';
import type { Snapshot, TranslateOptions } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { OPTIONS } from './builders.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * --proxy-*-timeout and --upstream-keepalive-* (TranslateOptions.backendDefaults): every Service
 * backend starts from them instead of DEFAULT_POLICY's values, an Ingress's annotations still win
 * (as ingress-nginx's location annotations over its ConfigMap), and an Upstream resource keeps its
 * own spec. The incremental translator gives the same.
 */

const DEFAULTS: BackendDefaults = {
  timeouts: { connectMs: 2_000, sendMs: 30_000, readMs: 1_000 },
  keepalive: { connections: 0, requests: 100, timeMs: 600_000, idleTimeoutMs: 5_000 },
};
const WITH_FLAGS: TranslateOptions = { ...OPTIONS, backendDefaults: DEFAULTS };
/** What a Service backend gets under WITH_FLAGS. */
const FLAGGED: BackendPolicy = { ...DEFAULT_POLICY, ...DEFAULTS };

const N = 'nginx.ingress.kubernetes.io/';

function ingress(name: string, host: string, annotations: Record<string, string>, spec: Record<string, unknown> = {}): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default', annotations },
    spec: { ingressClassName: 'pier', rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'a', port: { number: 80 } } } }] } }], ...spec },
  } as Ingress;
}

function withIngresses(snapshot: Snapshot, ...more: Ingress[]): Snapshot {
  return { ...snapshot, ingresses: [...snapshot.ingresses, ...more] };
}

function policyOf(snapshot: Snapshot, options: TranslateOptions, id: string): BackendPolicy {
  const found = translate(snapshot, options).table.backends.find((b) => b.id === id);
  if (found === undefined) throw new Error(`no backend ${id}`);
  return found.policy;
}

describe('controller-wide backend defaults', () => {
  it('every Service backend of a route gets the flags\' timeouts and keepalive, the rest of DEFAULT_POLICY unchanged', () => {
    const { table, problems } = translate(loadSnapshot('basic'), WITH_FLAGS);
    expect(problems).toEqual([]);
    expect(table.backends.map((b) => b.id)).toEqual(['service:default/a:80', 'service:default/b:http']);
    for (const b of table.backends) expect(b.policy).toEqual(FLAGGED);
    // Without the flags nothing moves: the very table DEFAULT_POLICY gives.
    expect(translate(loadSnapshot('basic'), OPTIONS).table.backends.every((b) => b.policy === DEFAULT_POLICY)).toBe(true);
  });

  it('an Ingress\'s timeout annotations win over the flags, only for what they set', () => {
    const snapshot = withIngresses(loadSnapshot('basic'), ingress('slow', 'slow.com', { [`${N}proxy-read-timeout`]: '120', [`${N}proxy-connect-timeout`]: '3' }));
    const policy = policyOf(snapshot, WITH_FLAGS, 'service:default/a:80#connect=3000,read=120000');
    expect(policy).toEqual({ ...FLAGGED, timeouts: { connectMs: 3_000, sendMs: DEFAULTS.timeouts.sendMs, readMs: 120_000 } });
    // The Ingress without annotations on the same Service keeps the flags' values.
    expect(policyOf(snapshot, WITH_FLAGS, 'service:default/a:80')).toEqual(FLAGGED);
  });

  it('other backend annotations (load-balance, backend-protocol) keep the flags\' timeouts and keepalive', () => {
    const snapshot = withIngresses(loadSnapshot('basic'), ingress('lb', 'lb.com', { [`${N}load-balance`]: 'ewma', [`${N}backend-protocol`]: 'HTTPS' }));
    const id = translate(snapshot, WITH_FLAGS).table.backends.map((b) => b.id).find((i) => i.includes('#'))!;
    const policy = policyOf(snapshot, WITH_FLAGS, id);
    expect([policy.protocol, policy.timeouts, policy.keepalive]).toEqual(['HTTPS', DEFAULTS.timeouts, DEFAULTS.keepalive]);
  });

  it('the canary\'s Service backend gets them too', () => {
    const canary = ingress('web-canary', 'foo.com', { [`${N}canary`]: 'true', [`${N}canary-weight`]: '10' });
    const canaryService = { ...canary, spec: { ...canary.spec, rules: [{ host: 'foo.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'b', port: { name: 'http' } } } }] } }] } } as Ingress;
    const { table } = translate(withIngresses(loadSnapshot('basic'), canaryService), WITH_FLAGS);
    const route = table.virtualHosts.find((v) => v.host === 'foo.com')!.routes.find((r) => r.path === '/')!;
    const policy = route.policies?.find((p) => p.kind === 'canary');
    expect(policy).toMatchObject({ backend: 'service:default/b:http' });
    expect(table.backends.find((b) => b.id === 'service:default/b:http')!.policy).toEqual(FLAGGED);
  });

  it('the default backends: an Ingress spec.defaultBackend and --default-backend-service (even one without ports)', () => {
    const own = { ...ingress('own-default', 'unused.com', {}), spec: { ingressClassName: 'pier', defaultBackend: { service: { name: 'b', port: { name: 'http' } } } } } as Ingress;
    expect(policyOf(withIngresses(loadSnapshot('basic'), own), WITH_FLAGS, 'service:default/b:http')).toEqual(FLAGGED);
    const flags = { ...WITH_FLAGS, defaultBackendService: { namespace: 'default', name: 'b' } };
    const basic = loadSnapshot('basic');
    const noIngress = { ...basic, ingresses: [] };
    expect(translate(noIngress, flags).table.defaultBackend).toBe('service:default/b:http');
    expect(policyOf(noIngress, flags, 'service:default/b:http')).toEqual(FLAGGED);
    const portless = { ...noIngress, services: noIngress.services.map((s) => (s.metadata.name === 'b' ? { ...s, spec: { ports: [] } } as Service : s)) };
    const { table } = translate(portless, flags);
    expect(table.backends.find((b) => b.id === table.defaultBackend)).toMatchObject({ unavailable: 'ServiceHasNoPorts', policy: FLAGGED });
  });

  it('an Upstream resource keeps its own spec', () => {
    const snapshot = loadSnapshot('resource-backends');
    const id = 'upstream:default/u';
    expect(policyOf(snapshot, WITH_FLAGS, id)).toEqual(policyOf(snapshot, OPTIONS, id));
    expect(policyOf(snapshot, WITH_FLAGS, id).timeouts).not.toEqual(DEFAULTS.timeouts);
  });

  it('the incremental translator gives the same policies, also for a backend re-resolved after an EndpointSlice change', () => {
    const store = new Store();
    const snapshot = withIngresses(loadSnapshot('basic'), ingress('slow', 'slow.com', { [`${N}proxy-read-timeout`]: '120' }));
    for (const obj of Object.values(snapshot).flat() as KubeObject[]) store.upsert(obj);
    const incremental = new IncrementalTranslator(WITH_FLAGS);
    expect(incremental.update(store.index(), store.takeChanges())).toStrictEqual(translate(store.snapshot(), WITH_FLAGS));
    const slice = snapshot.endpointSlices.find((s) => s.metadata.name === 'a-1')!;
    store.upsert({ ...slice, endpoints: [slice.endpoints![0]!] } as EndpointSlice);
    const after = incremental.update(store.index(), store.takeChanges());
    expect(after).toStrictEqual(translate(store.snapshot(), WITH_FLAGS));
    expect(after.table.backends.find((b) => b.id === 'service:default/a:80')).toMatchObject({ servers: [expect.objectContaining({ host: '10.0.0.2' })], policy: FLAGGED });
  });
});
