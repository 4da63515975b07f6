import { describe, expect, it } from 'vitest';
import type { Ingress, KubeObject, Secret, Service } from '../../src/source/objects.ts';
import { Store } from '../../src/store/store.ts';

const ingress: Ingress = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: 'shop', resourceVersion: '1', generation: 1, labels: { app: 'web' } },
  spec: { rules: [{ host: 'shop.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
};

const service: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop', resourceVersion: '7' },
  spec: { ports: [{ name: 'http', port: 80 }] },
};

/** Second version of `base` with metadata and top-level fields overridden. */
function edit<T extends KubeObject>(base: T, meta: Record<string, unknown>, top: Record<string, unknown> = {}): T {
  return { ...base, ...top, metadata: { ...base.metadata, ...meta } } as T;
}

describe('Store.upsert relevance', () => {
  const cases: { name: string; before: KubeObject; after: KubeObject; relevant: boolean }[] = [
    { name: 'identical object', before: ingress, after: { ...ingress }, relevant: false },
    { name: 'resourceVersion only', before: ingress, after: edit(ingress, { resourceVersion: '2' }), relevant: false },
    { name: 'managedFields only', before: ingress, after: edit(ingress, { resourceVersion: '2', managedFields: [{ manager: 'kubectl' }] }), relevant: false },
    {
      name: 'Ingress status only (our own status write)',
      before: ingress,
      after: edit(ingress, { resourceVersion: '3' }, { status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } } }),
      relevant: false,
    },
    { name: 'Upstream status only', before: { kind: 'Upstream', metadata: { name: 'u', namespace: 'd' }, spec: { a: 1 } } as KubeObject, after: { kind: 'Upstream', metadata: { name: 'u', namespace: 'd' }, spec: { a: 1 }, status: { conditions: [] } } as KubeObject, relevant: false },
    { name: 'generation bump without spec change', before: ingress, after: edit(ingress, { generation: 2 }), relevant: false },
    { name: 'label change', before: ingress, after: edit(ingress, { labels: { app: 'shop' } }), relevant: true },
    { name: 'annotation added', before: ingress, after: edit(ingress, { annotations: { 'pier.dev/x': '1' } }), relevant: true },
    { name: 'spec change', before: ingress, after: { ...ingress, spec: { ...ingress.spec, ingressClassName: 'pier' } } as Ingress, relevant: true },
    { name: 'Service port change', before: service, after: { ...service, spec: { ports: [{ name: 'http', port: 8080 }] } } as Service, relevant: true },
  ];
  it.each(cases)('$name → $relevant', ({ before, after, relevant }) => {
    const store = new Store();
    expect(store.upsert(before)).toBe(true);
    expect(store.upsert(after)).toBe(relevant);
  });

  it('keeps the latest object even when the change was irrelevant', () => {
    const store = new Store();
    store.upsert(ingress);
    const written = edit(ingress, { resourceVersion: '9' }, { status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } } });
    store.upsert(written);
    expect(store.snapshot().ingresses).toEqual([written]);
  });
});

describe('Store Secrets', () => {
  const tls: Secret = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'cert', namespace: 'shop' }, data: { 'tls.crt': 'eA==', 'tls.key': 'eQ==' } };

  it('keeps TLS Secrets', () => {
    const store = new Store();
    expect(store.upsert(tls)).toBe(true);
    expect(store.snapshot().secrets).toEqual([tls]);
  });

  it('keeps Opaque Secrets (basic auth users, CA bundles), typed or not', () => {
    const store = new Store();
    const users = { ...tls, metadata: { name: 'users', namespace: 'shop' }, type: 'Opaque', data: { auth: 'eA==' } } as Secret;
    expect(store.upsert(users)).toBe(true);
    expect(store.upsert({ ...users, metadata: { name: 'untyped', namespace: 'shop' }, type: undefined } as Secret)).toBe(true);
    expect(store.snapshot().secrets.map((s) => s.metadata.name).sort()).toEqual(['untyped', 'users']);
  });

  it('ignores Secrets of other types', () => {
    const store = new Store();
    expect(store.upsert({ ...tls, type: 'kubernetes.io/service-account-token' } as Secret)).toBe(false);
    expect(store.upsert({ ...tls, type: 'helm.sh/release.v1' } as Secret)).toBe(false);
    expect(store.snapshot().secrets).toEqual([]);
  });

  it('drops a Secret that changes to a type Pier does not keep', () => {
    const store = new Store();
    store.upsert(tls);
    expect(store.upsert({ ...tls, type: 'kubernetes.io/basic-auth' } as Secret)).toBe(true);
    expect(store.snapshot().secrets).toEqual([]);
  });
});

describe('Store.remove and snapshot', () => {
  it('remove says whether the object was there', () => {
    const store = new Store();
    store.upsert(service);
    expect(store.remove({ kind: 'Service', namespace: 'shop', name: 'web' })).toBe(true);
    expect(store.remove({ kind: 'Service', namespace: 'shop', name: 'web' })).toBe(false);
    expect(store.remove({ kind: 'Deployment', namespace: 'shop', name: 'web' })).toBe(false);
  });

  it('keys by kind, namespace and name', () => {
    const store = new Store();
    store.upsert(service);
    store.upsert(edit(service, { namespace: 'other' }));
    store.upsert(ingress);
    const ingressClass: KubeObject = { kind: 'IngressClass', metadata: { name: 'pier' } };
    store.upsert(ingressClass);
    const snap = store.snapshot();
    expect(snap.services).toHaveLength(2);
    expect(snap.ingresses).toEqual([ingress]);
    expect(snap.ingressClasses).toEqual([ingressClass]);
    expect(store.remove({ kind: 'IngressClass', namespace: '', name: 'pier' })).toBe(true);
  });

  it('ignores kinds it does not watch', () => {
    const store = new Store();
    expect(store.upsert({ kind: 'Deployment', metadata: { name: 'x', namespace: 'd' } })).toBe(false);
    expect(store.upsert({ kind: 'toString', metadata: { name: 'x' } })).toBe(false);
    const snap = store.snapshot();
    expect(Object.values(snap).every((list) => list.length === 0)).toBe(true);
  });

  it('snapshot arrays are independent of later writes', () => {
    const store = new Store();
    store.upsert(service);
    const snap = store.snapshot();
    store.remove({ kind: 'Service', namespace: 'shop', name: 'web' });
    expect(snap.services).toEqual([service]);
  });
});
