import type { WatchedKind } from '../objects.ts';

/** How one watched kind is listed and watched. */
export interface WatchedResource {
  readonly kind: WatchedKind | 'Namespace';
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** A CRD that may not be installed: 404 is tolerated and retried. */
  readonly optional: boolean;
  readonly fieldSelector?: string;
}

/** TLS Secrets (certificates) and Opaque ones (basic auth users, client CA bundles). */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';
export const KEPT_SECRET_TYPES: ReadonlySet<string> = new Set([TLS_SECRET_TYPE, 'Opaque']);
/** Whether Pier keeps a Secret of this type (no type means Opaque, as the API server defaults it). */
export function isKeptSecretType(type: string | undefined): boolean {
  return KEPT_SECRET_TYPES.has(type ?? 'Opaque');
}

/**
 * The API server cannot select "type in (a, b)", so the watch excludes the types that are
 * numerous or large and never Pier's business (service account tokens, Helm release records,
 * registry credentials, bootstrap tokens); what else arrives is dropped by isKeptSecretType.
 */
export const SECRET_FIELD_SELECTOR = [
  'kubernetes.io/service-account-token', 'helm.sh/release.v1', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/dockercfg', 'bootstrap.kubernetes.io/token',
].map((t) => `type!=${t}`).join(',');

/**
 * Every kind the cluster source watches. Secrets: those of the kept types (kubernetes.io/tls
 * for spec.tls; Opaque for auth-secret, auth-tls-secret and proxy-ssl-secret), not only the referenced ones —
 * watching by name would need one watch per referenced Secret and a restart of watches whenever
 * an Ingress changes its spec.tls or annotations.
 */
export const WATCHED_RESOURCES: readonly WatchedResource[] = [
  { kind: 'IngressClass', group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', namespaced: false, optional: false },
  { kind: 'Ingress', group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true, optional: false },
  { kind: 'Service', group: '', version: 'v1', plural: 'services', namespaced: true, optional: false },
  { kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true, optional: false },
  { kind: 'Secret', group: '', version: 'v1', plural: 'secrets', namespaced: true, optional: false, fieldSelector: SECRET_FIELD_SELECTOR },
  { kind: 'ConfigMap', group: '', version: 'v1', plural: 'configmaps', namespaced: true, optional: false },
  { kind: 'Upstream', group: 'pier.dev', version: 'v1alpha1', plural: 'upstreams', namespaced: true, optional: true },
];

/**
 * Listed and watched only with --watch-namespace-selector, every Namespace rather than those a
 * server-side labelSelector would pick: NamespaceGate matches the labels itself, so one parser
 * (checked at start) decides in cluster and manifest mode alike, and a relabelled namespace
 * arrives as a change carrying its new labels.
 */
export const NAMESPACE_RESOURCE: WatchedResource = { kind: 'Namespace', group: '', version: 'v1', plural: 'namespaces', namespaced: false, optional: false };

export function apiVersionOf(r: WatchedResource): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Collection path, limited to `namespace` for namespaced kinds when given. */
export function collectionPath(r: WatchedResource, namespace?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return r.namespaced && namespace ? `${base}/namespaces/${namespace}/${r.plural}` : `${base}/${r.plural}`;
}
