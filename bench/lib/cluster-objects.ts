/**
 * A synthetic cluster for the control-plane benchmark: N Ingresses, each with its own host,
 * several paths over two Services, each Service with one EndpointSlice of three endpoints.
 * Deterministic, so runs compare.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndpointSlice, Ingress, IngressClass, Service } from '../../src/source/objects.ts';
import type { Snapshot } from '../../src/translate/snapshot.ts';

/** Paths per Ingress, in the shapes real Ingresses use. */
const PATHS = [
  { path: '/', pathType: 'Prefix', service: 'web' },
  { path: '/api', pathType: 'Prefix', service: 'api' },
  { path: '/api/v1/users', pathType: 'Prefix', service: 'api' },
  { path: '/healthz', pathType: 'Exact', service: 'web' },
] as const;
const NAMESPACES = 10;
const ENDPOINTS_PER_SLICE = 3;

export const BENCH_CLASS: IngressClass = {
  apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' },
};

/** The generated objects of one size. */
export interface SyntheticCluster {
  readonly ingresses: Ingress[];
  readonly services: Service[];
  readonly endpointSlices: EndpointSlice[];
}

function service(namespace: string, name: string): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
}

function slice(namespace: string, serviceName: string, index: number): EndpointSlice {
  const endpoints = Array.from({ length: ENDPOINTS_PER_SLICE }, (_, e) => ({
    addresses: [`10.${(index >> 8) & 255}.${index & 255}.${e + 1}`], conditions: { ready: true },
  }));
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: { name: `${serviceName}-abcde`, namespace, labels: { 'kubernetes.io/service-name': serviceName } },
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints,
  };
}

function ingress(namespace: string, i: number): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { name: `app-${i}`, namespace, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      ingressClassName: 'pier',
      rules: [{
        host: `app-${i}.bench.local`,
        http: { paths: PATHS.map((p) => ({ path: p.path, pathType: p.pathType, backend: { service: { name: `app-${i}-${p.service}`, port: { number: 80 } } } })) },
      }],
    },
  };
}

/** `count` Ingresses with 2 Services and 2 EndpointSlices each. */
export function syntheticCluster(count: number): SyntheticCluster {
  const cluster: SyntheticCluster = { ingresses: [], services: [], endpointSlices: [] };
  for (let i = 0; i < count; i++) {
    const namespace = `team-${i % NAMESPACES}`;
    cluster.ingresses.push(ingress(namespace, i));
    for (const [s, suffix] of ['web', 'api'].entries()) {
      cluster.services.push(service(namespace, `app-${i}-${suffix}`));
      cluster.endpointSlices.push(slice(namespace, `app-${i}-${suffix}`, i * 2 + s));
    }
  }
  return cluster;
}

/** The cluster as translate() sees it. */
export function snapshotOf(cluster: SyntheticCluster): Snapshot {
  return { ingressClasses: [BENCH_CLASS], ingresses: cluster.ingresses, services: cluster.services, endpointSlices: cluster.endpointSlices, secrets: [], upstreams: [] };
}

/**
 * Writes the cluster as multi-document manifests (JSON documents are YAML), `perFile`
 * Ingresses with their Services and slices per file, plus the IngressClass.
 */
export function writeClusterManifests(dir: string, cluster: SyntheticCluster, perFile = 500): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '00-class.yaml'), JSON.stringify(BENCH_CLASS) + '\n');
  for (let start = 0; start < cluster.ingresses.length; start += perFile) {
    const end = Math.min(start + perFile, cluster.ingresses.length);
    const docs = [
      ...cluster.ingresses.slice(start, end),
      ...cluster.services.slice(start * 2, end * 2),
      ...cluster.endpointSlices.slice(start * 2, end * 2),
    ].map((o) => JSON.stringify(o));
    writeFileSync(join(dir, `apps-${String(start / perFile).padStart(4, '0')}.yaml`), docs.join('\n---\n') + '\n');
  }
}
