import type { UpstreamServer } from '../routing/route-table.ts';
import { resolveServiceServers } from './service-endpoints.ts';
import type { SnapshotIndex } from './snapshot.ts';
import type { UpstreamSpec } from './upstream-spec.ts';

/** An Upstream's servers, and why its Service contributed none (when it did not). */
export interface UpstreamServers {
  readonly servers: readonly UpstreamServer[];
  readonly serviceIssue?: { readonly unavailable: string; readonly message: string };
}

/**
 * Static `spec.servers` first, in spec order, then the Service's ready endpoints (sorted by
 * resolveServiceServers) with nginx's per-server defaults. An endpoint that is also listed
 * statically keeps the static entry (its weight, backup and failure settings).
 */
export function upstreamServers(index: SnapshotIndex, namespace: string, spec: UpstreamSpec): UpstreamServers {
  const servers: UpstreamServer[] = spec.servers.map((s) => ({
    host: s.address, port: s.port, weight: s.weight, backup: s.backup, maxFails: s.maxFails, failTimeoutMs: s.failTimeoutMs,
  }));
  if (!spec.service) return { servers };
  const result = resolveServiceServers(index, namespace, spec.service.name, spec.service.port);
  if (!('servers' in result)) return { servers, serviceIssue: result };
  const known = new Set(servers.map((s) => `${s.host}:${s.port}`));
  for (const s of result.servers) if (!known.has(`${s.host}:${s.port}`)) servers.push(s);
  return { servers };
}

/** Endpoint addresses the Service's EndpointSlices list, ready or not (the status's total). */
export function serviceEndpointCount(index: SnapshotIndex, namespace: string, service: string): number {
  const addresses = new Set<string>();
  for (const slice of index.endpointSlices(namespace, service)) {
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.terminating === true) continue;
      for (const address of endpoint.addresses ?? []) addresses.add(address);
    }
  }
  return addresses.size;
}
