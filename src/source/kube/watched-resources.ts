import type { WatchedKind } from '../objects.ts';

/** How one watched kind is listed and watched. */
export interface WatchedResource {
  readonly kind: WatchedKind;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** A CRD that may not be installed: 404 is tolerated and retried. */
  readonly optional: boolean;
  readonly fieldSelector?: string;
}

/** TLS Secrets are the only Secrets Pier reads; the API server filters by type. */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

/**
 * Every kind the cluster source watches. Secrets: all of type kubernetes.io/tls (a field
 * selector), not only the referenced ones — watching by name would need one watch per
 * referenced Secret and a restart of watches whenever an Ingress changes its spec.tls.
 */
export const WATCHED_RESOURCES: readonly WatchedResource[] = [
  { kind: 'IngressClass', group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', namespaced: false, optional: false },
  { kind: 'Ingress', group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true, optional: false },
  { kind: 'Service', group: '', version: 'v1', plural: 'services', namespaced: true, optional: false },
  { kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true, optional: false },
  { kind: 'Secret', group: '', version: 'v1', plural: 'secrets', namespaced: true, optional: false, fieldSelector: `type=${TLS_SECRET_TYPE}` },
  { kind: 'ConfigMap', group: '', version: 'v1', plural: 'configmaps', namespaced: true, optional: false },
  { kind: 'Upstream', group: 'pier.dev', version: 'v1alpha1', plural: 'upstreams', namespaced: true, optional: true },
];

export function apiVersionOf(r: WatchedResource): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Collection path, limited to `namespace` for namespaced kinds when given. */
export function collectionPath(r: WatchedResource, namespace?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return r.namespaced && namespace ? `${base}/namespaces/${namespace}/${r.plural}` : `${base}/${r.plural}`;
}
