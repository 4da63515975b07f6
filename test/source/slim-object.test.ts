import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/source/objects.ts';
import { slimObject } from '../../src/source/slim-object.ts';
import type { Snapshot, TranslateOptions } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { withClusterNoise } from '../helpers/cluster-noise.ts';
import { seeded } from '../helpers/seeded-random.ts';
import { OPTIONS } from '../translate/builders.ts';

const TRANSLATE_FIXTURES = new URL('../fixtures/translate/', import.meta.url);
const UPSTREAM_FIXTURES = new URL('../fixtures/upstream/', import.meta.url);

const FIELD_OF_KIND: Record<string, keyof Snapshot> = {
  IngressClass: 'ingressClasses', Ingress: 'ingresses', Service: 'services', EndpointSlice: 'endpointSlices',
  Secret: 'secrets', ConfigMap: 'configMaps', Upstream: 'upstreams',
};

function emptyBuckets(): Record<keyof Snapshot, KubeObject[]> {
  return { ingressClasses: [], ingresses: [], services: [], endpointSlices: [], secrets: [], configMaps: [], upstreams: [] };
}

function snapshotOf(objects: readonly KubeObject[]): Snapshot {
  const buckets = emptyBuckets();
  for (const obj of objects) buckets[FIELD_OF_KIND[obj.kind]!].push(obj);
  return buckets as unknown as Snapshot;
}

/** Every object of test/fixtures/translate/<name>.yaml. */
function translateFixture(name: string): KubeObject[] {
  return parseAllDocuments(readFileSync(new URL(name, TRANSLATE_FIXTURES), 'utf8')).map((d) => d.toJS() as KubeObject | null).filter((o) => o !== null);
}

/** The Upstream and the objects it refers to of each test/fixtures/upstream case. */
function upstreamFixture(name: string): KubeObject[] {
  const doc = parse(readFileSync(new URL(name, UPSTREAM_FIXTURES), 'utf8')) as { upstream: KubeObject; objects?: KubeObject[] };
  return [doc.upstream, ...(doc.objects ?? [])];
}

const translateFiles = readdirSync(TRANSLATE_FIXTURES).filter((f) => f.endsWith('.yaml')).sort();
const upstreamFiles = readdirSync(UPSTREAM_FIXTURES).filter((f) => f.endsWith('.yaml')).sort();

/** Option sets under which every snapshot is compared: the class rules and fallbacks differ. */
const OPTION_SETS: readonly TranslateOptions[] = [
  OPTIONS,
  { ...OPTIONS, watchIngressWithoutClass: true, defaultBackendService: { namespace: 'default', name: 'a' }, defaultSslCertificate: { namespace: 'default', name: 'tls' } },
];

const slim = (objects: readonly KubeObject[]) => objects.map((o) => slimObject(o));
const noisy = (objects: readonly KubeObject[]) => objects.map((o, i) => withClusterNoise(o, i));

function expectSameTranslation(objects: readonly KubeObject[]): void {
  for (const options of OPTION_SETS) {
    const want = translate(snapshotOf(objects), options);
    expect(translate(snapshotOf(slim(objects)), options)).toEqual(want);
    // What a cluster adds, then slimmed away, changes nothing either.
    expect(translate(snapshotOf(slim(noisy(objects))), options)).toEqual(want);
  }
}

describe('slimObject keeps what translation reads', () => {
  it.each(translateFiles)('translate fixture %s: the same table and problems, slimmed or not', (file) => {
    expectSameTranslation(translateFixture(file));
  });

  it.each(upstreamFiles)('upstream fixture %s: the same table and problems, slimmed or not', (file) => {
    const objects = upstreamFixture(file);
    const ingress: KubeObject = {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'via-upstream', namespace: 'default', annotations: { 'pier.dev/proxy-read-timeout': '5' } },
      spec: { ingressClassName: 'pier', rules: [{ host: 'up.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { resource: { apiGroup: 'pier.dev', kind: 'Upstream', name: objects[0]!.metadata.name } } }] } }] },
    } as KubeObject;
    const klass: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' } } as KubeObject;
    expectSameTranslation([klass, ingress, ...objects]);
  });

  it('randomized snapshots drawn from every fixture object: the same table and problems (200 seeds)', () => {
    const pool = [...translateFiles.flatMap(translateFixture), ...upstreamFiles.flatMap(upstreamFixture)];
    expect(pool.length).toBeGreaterThan(200);
    for (let seed = 1; seed <= 200; seed++) {
      const random = seeded(seed);
      const picked = new Map<string, KubeObject>();
      const count = 5 + Math.floor(random() * 40);
      for (let i = 0; i < count; i++) {
        const obj = pool[Math.floor(random() * pool.length)]!;
        picked.set(`${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, obj);
      }
      // Class objects first, so most drawn Ingresses are ours and get translated.
      const objects = [...pool.filter((o) => o.kind === 'IngressClass' && o.metadata.name === 'pier').slice(0, 1), ...picked.values()];
      expectSameTranslation(objects);
    }
  });
});

describe('slimObject drops what Pier never reads', () => {
  const meta = {
    name: 'web', namespace: 'default', uid: 'u-1', resourceVersion: '7', generation: 2, creationTimestamp: '2026-01-01T00:00:00Z', deletionTimestamp: '2026-01-02T00:00:00Z',
    annotations: {
      'nginx.ingress.kubernetes.io/rewrite-target': '/', 'pier.dev/cache': 'on', 'kubernetes.io/ingress.class': 'pier',
      'ingressclass.kubernetes.io/is-default-class': 'true', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'meta.helm.sh/release-name': 'web',
    },
    labels: { 'kubernetes.io/service-name': 'web', 'app.kubernetes.io/name': 'web' },
    managedFields: [{ manager: 'kubectl' }], ownerReferences: [{ kind: 'Service', name: 'web' }], finalizers: ['x'], generateName: 'web-',
  };
  const keptMeta = {
    name: 'web', namespace: 'default', uid: 'u-1', resourceVersion: '7', generation: 2, creationTimestamp: '2026-01-01T00:00:00Z', deletionTimestamp: '2026-01-02T00:00:00Z',
    annotations: {
      'nginx.ingress.kubernetes.io/rewrite-target': '/', 'pier.dev/cache': 'on', 'kubernetes.io/ingress.class': 'pier', 'ingressclass.kubernetes.io/is-default-class': 'true',
    },
    labels: { 'kubernetes.io/service-name': 'web' },
  };
  const cases: [string, object, object][] = [
    ['Ingress: whole spec and status',
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta, spec: { ingressClassName: 'pier', rules: [{ host: 'a' }], future: 1 }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: keptMeta, spec: { ingressClassName: 'pier', rules: [{ host: 'a' }], future: 1 }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } }],
    ['Service: type, ports, externalName, clusterIP',
      {
        apiVersion: 'v1', kind: 'Service', metadata: meta,
        spec: { type: 'NodePort', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], externalName: 'x.example', selector: { app: 'web' }, sessionAffinity: 'None', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: 'h2c', nodePort: 30080 }, 'odd'] },
        status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: keptMeta, spec: { type: 'NodePort', clusterIP: '10.96.0.1', externalName: 'x.example', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: 'h2c' }, 'odd'] } }],
    ['EndpointSlice: addresses, conditions, nodeName; ports',
      {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta, addressType: 'IPv4',
        endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1', zone: 'z', hostname: 'h', hints: { forZones: [] }, targetRef: { kind: 'Pod', name: 'p' } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
      },
      {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: keptMeta, addressType: 'IPv4',
        endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1' }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
      }],
    ['Secret of a kept type: type and data',
      { apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'kubernetes.io/tls', immutable: true, data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: keptMeta, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==' } }],
    ['Secret of another type: no data',
      { apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': 'e30=' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: keptMeta, type: 'kubernetes.io/dockerconfigjson' }],
    ['ConfigMap: data',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { a: 'b' }, binaryData: { c: 'ZA==' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: keptMeta, data: { a: 'b' } }],
    ['IngressClass: whole spec',
      { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: meta, spec: { controller: 'pier.dev/ingress-controller', parameters: { kind: 'X', name: 'y' } } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: keptMeta, spec: { controller: 'pier.dev/ingress-controller', parameters: { kind: 'X', name: 'y' } } }],
    ['Upstream: whole spec and status',
      { apiVersion: 'pier.dev/v1alpha1', kind: 'Upstream', metadata: meta, spec: { servers: [{ address: 'a', port: 1 }], future: true }, status: { conditions: [{ type: 'Ready' }] } },
      { apiVersion: 'pier.dev/v1alpha1', kind: 'Upstream', metadata: keptMeta, spec: { servers: [{ address: 'a', port: 1 }], future: true }, status: { conditions: [{ type: 'Ready' }] } }],
    ['Namespace (--watch-namespace-selector): every label, no spec or status',
      { apiVersion: 'v1', kind: 'Namespace', metadata: meta, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { ...keptMeta, labels: meta.labels } }],
  ];

  it.each(cases)('%s', (_name, input, want) => {
    const before = structuredClone(input);
    expect(slimObject(input as KubeObject)).toEqual(want);
    expect(input).toEqual(before);
  });

  it('drops annotation and label maps left empty, and passes odd shapes through for translate/ to report', () => {
    const obj = { kind: 'Service', metadata: { name: 'a', namespace: 'd', annotations: { 'helm.sh/x': 'y' }, labels: { app: 'a' } }, spec: { ports: 'not a list' } } as unknown as KubeObject;
    expect(slimObject(obj)).toEqual({ kind: 'Service', metadata: { name: 'a', namespace: 'd' }, spec: { ports: 'not a list' } });
    const odd = { kind: 'EndpointSlice', metadata: { name: 'a', annotations: 'text' }, endpoints: 5, ports: [null, 7] } as unknown as KubeObject;
    expect(slimObject(odd)).toEqual({ kind: 'EndpointSlice', metadata: { name: 'a', annotations: 'text' }, endpoints: 5, ports: [null, 7] });
    expect(slimObject({ kind: 'Service', metadata: { name: 'a' }, spec: null } as unknown as KubeObject)).toEqual({ kind: 'Service', metadata: { name: 'a' }, spec: null });
  });

  it('a slimmed object is a fraction of what a cluster sends', () => {
    const objects = translateFiles.flatMap(translateFixture).map((o, i) => withClusterNoise(o, i));
    const size = (list: readonly unknown[]) => JSON.stringify(list).length;
    expect(size(slim(objects)) / size(objects)).toBeLessThan(0.35);
  });
});
