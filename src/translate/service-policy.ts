import { DEFAULT_POLICY, type BackendDefaults, type BackendPolicy } from '../routing/route-table.ts';

/**
 * The policy every Service backend starts from (the default backend service's too): DEFAULT_POLICY
 * with the controller-wide timeouts and keepalive in place of its own, as ingress-nginx's
 * ConfigMap sets every location's and the shared upstream's. Per-Ingress annotations are applied
 * on top of it (backend-overrides.ts), as ingress-nginx's location annotations win over the
 * ConfigMap; an Upstream resource's spec does not start from it. Built once per translation, so
 * every Service backend of one table shares the object.
 */
export function servicePolicyOf(defaults: BackendDefaults | undefined): BackendPolicy {
  if (defaults === undefined) return DEFAULT_POLICY;
  return { ...DEFAULT_POLICY, timeouts: { ...defaults.timeouts }, keepalive: { ...defaults.keepalive } };
}
