/**
 * The Kubernetes API access Pier's controller needs, declared once next to the code and
 * rendered by the Helm chart (charts/pier) into its ClusterRole and Role. A test compares the
 * chart's rendered RBAC with these rules, so code and chart cannot drift.
 *
 * Why each rule:
 * - list/watch of every watched kind: informers (source/kube).
 * - Secrets: TLS certificates named by Ingress spec.tls (list/watch, filtered client-side to
 *   type kubernetes.io/tls; namespaced informers would need one watch per referenced Secret).
 * - ingresses/status update: status/ writes status.loadBalancer (leader only).
 * - upstreams/status update: Upstream conditions (leader only).
 * - events create/patch: problems found during translation become Events.
 * - leases get/create/update: leader election (coordination.k8s.io/v1).
 */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** Rules granted cluster-wide (ClusterRole), or in the watched namespace with --watch-namespace. */
export const CONTROLLER_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['services', 'secrets'], verbs: ['list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
  { apiGroups: ['pier.dev'], resources: ['upstreams'], verbs: ['list', 'watch'] },
  { apiGroups: ['pier.dev'], resources: ['upstreams/status'], verbs: ['update'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];

/** Cluster-scoped kinds: always a ClusterRole, even with --watch-namespace. */
export const CLUSTER_RULES: readonly PolicyRule[] = [
  { apiGroups: ['networking.k8s.io'], resources: ['ingressclasses'], verbs: ['list', 'watch'] },
];

/** In the controller's own namespace only (Role): the election Lease. */
export const LEADER_ELECTION_RULES: readonly PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];
