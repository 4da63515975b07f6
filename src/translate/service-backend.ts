import type { ServiceBackendPort } from '../source/objects.ts';
import type { BackendPolicy } from '../routing/route-table.ts';
import { backendIdOf } from './backend-ref.ts';
import { resolveServiceServers } from './service-endpoints.ts';
import type { ResolvedBackend } from './upstream-backend.ts';
import type { SnapshotIndex } from './snapshot.ts';

/**
 * Resolves an Ingress `backend.service` in `namespace` to a Backend with `policy` (the Service
 * backend policy of the translation: service-policy.ts).
 * Returns a backend in every case: when the Service is missing, lacks the port, or has no ready
 * endpoint, the backend is marked `unavailable` (its requests get 503) and a Warning problem
 * about `referrer` (the Ingress) says why.
 */
export function resolveServiceBackend(
  index: SnapshotIndex,
  namespace: string,
  service: { readonly name: string; readonly port: ServiceBackendPort },
  referrer: { kind: string; namespace: string; name: string },
  policy: BackendPolicy,
  clusterIp = false,
): ResolvedBackend {
  const id = backendIdOf({ kind: 'Service', namespace, name: service.name, port: service.port });
  const result = resolveServiceServers(index, namespace, service.name, service.port, clusterIp);
  if ('servers' in result) return { backend: { id, servers: result.servers, policy }, problems: [] };
  return {
    backend: { id, servers: [], policy, unavailable: result.unavailable },
    problems: [{ ...referrer, reason: result.unavailable, message: `${result.message}: its requests get 503`, severity: 'Warning' }],
  };
}
