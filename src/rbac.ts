/**
 * The Kubernetes API access Pier's controller needs, declared once next to the code and
 * rendered by the Helm chart (charts/pier) into its ClusterRole and Role. A test compares the
 * chart's rendered RBAC with these rules, so code and chart cannot drift.
 *
 * Why each rule (each verb is one the code calls; keep them in step):
 * - list/watch of every watched kind: informers (source/kube/watched-resources.ts).
 * - Secrets: TLS certificates named by Ingress spec.tls and Opaque Secrets (auth-secret,
 *   auth-tls-secret, proxy-ssl-secret);
 *   list/watch with a field selector excluding token, Helm and registry types (watching only
 *   referenced Secrets would need one watch per name).
 * - services get: status/ reads the --publish-service Service's load balancer address.
 * - ingresses get + ingresses/status patch: status/ writes status.loadBalancer (leader only) as
 *   a merge patch (the store's objects are slimmed, so a PUT of one would drop annotations),
 *   re-reading an Ingress when its write hit a 409 Conflict.
 * - upstreams get + upstreams/status update: status/ writes Upstream conditions and endpoint
 *   counts (leader only), re-reading an Upstream when its write hit a 409 Conflict.
 * - events create: problems found during translation become Events (leader only; no count
 *   patching, so no patch).
 * - leases get/create/update: leader election (status/leader-election.ts).
 * - namespaces list/watch, only with --watch-namespace-selector: the labels that decide which
 *   namespaces are served (source/namespace-gate.ts); never a get, nothing else of them.
 */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** Rules granted cluster-wide (ClusterRole), or in the watched namespace with --watch-namespace. */
export const CONTROLLER_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['patch'] },
  { apiGroups: ['pier.dev'], resources: ['upstreams'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['pier.dev'], resources: ['upstreams/status'], verbs: ['update'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

/** Cluster-scoped kinds: always a ClusterRole, even with --watch-namespace. */
export const CLUSTER_RULES: readonly PolicyRule[] = [
  { apiGroups: ['networking.k8s.io'], resources: ['ingressclasses'], verbs: ['list', 'watch'] },
];

/** Cluster-wide (ClusterRole), added only with --watch-namespace-selector. */
export const NAMESPACE_SELECTOR_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
];

/**
 * In the controller's own namespace only (Role): the election Lease, and reading the
 * --publish-service Service, which lives there by default — needed when --watch-namespace
 * narrows CONTROLLER_RULES to another namespace.
 */
export const OWN_NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  { apiGroups: [''], resources: ['services'], verbs: ['get'] },
];
