import { displayName, refOf } from '../source/objects.ts';
import type { Ingress } from '../source/objects.ts';
import type { Backend, Route, RouteTable } from '../routing/route-table.ts';
import { backendIdOf } from './backend-ref.ts';
import type { BackendRef } from './backend-ref.ts';
import type { MergedRoutes } from './merge-routes.ts';
import type { Problem } from './problem.ts';
import { resolveServiceBackend } from './service-backend.ts';
import type { SnapshotIndex } from './snapshot.ts';
import { resolveUpstreamBackend } from './upstream-backend.ts';

/**
 * Builds the (unsorted) table from the merged routes: groups routes into one VirtualHost per
 * host and resolves each referenced backend once per referring Ingress, so problems name every
 * Ingress that uses a broken backend while the table holds each backend once. Only backends
 * that a route or the default backend uses appear.
 */
export function buildTable(index: SnapshotIndex, merged: MergedRoutes): { table: RouteTable; problems: Problem[] } {
  const backends = new Map<string, Backend>();
  const resolved = new Set<string>();
  const problems: Problem[] = [];
  const use = (ref: BackendRef, ingress: Ingress): string => {
    const id = backendIdOf(ref);
    const referrer = refOf(ingress);
    const key = `${id}\n${referrer.namespace}/${referrer.name}`;
    if (resolved.has(key)) return id;
    resolved.add(key);
    const result = ref.kind === 'Service'
      ? resolveServiceBackend(index, ref.namespace, ref, referrer)
      : resolveUpstreamBackend(index, ref.namespace, ref.name, referrer);
    if (!backends.has(id)) backends.set(id, result.backend);
    problems.push(...result.problems);
    return id;
  };

  const hosts = new Map<string, Route[]>();
  for (const r of merged.routes) {
    const route: Route = { path: r.path, pathType: r.pathType, backend: use(r.backend, r.ingress), origin: originOf(r.ingress) };
    const routes = hosts.get(r.host);
    if (routes) routes.push(route);
    else hosts.set(r.host, [route]);
  }
  const defaultBackend = merged.defaultBackend && use(merged.defaultBackend.ref, merged.defaultBackend.ingress);
  const table: RouteTable = {
    virtualHosts: [...hosts].map(([host, routes]) => ({ host, routes })),
    ...(defaultBackend === undefined ? {} : { defaultBackend }),
    backends: [...backends.values()],
  };
  return { table, problems };
}

function originOf(ingress: Ingress): string {
  return displayName({ namespace: ingress.metadata.namespace, name: ingress.metadata.name });
}
