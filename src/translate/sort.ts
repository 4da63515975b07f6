import type { Backend, Route, RouteTable, VirtualHost } from '../routing/route-table.ts';
import type { Problem } from './problem.ts';

/*
 * The one place that orders translate()'s output, so equal inputs give byte-equal tables
 * whatever order the store handed objects over in (the rules are the ones documented at the
 * top of routing/route-table.ts). Strings compare by UTF-16 code units, never by locale, which
 * would depend on the machine.
 */

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Virtual hosts by host, the any-host entry `''` last. */
export function compareHosts(a: VirtualHost, b: VirtualHost): number {
  if (a.host === '' || b.host === '') return Number(a.host === '') - Number(b.host === '');
  return compareText(a.host, b.host);
}

/** Exact before Prefix, then the longer path first, then by path. */
export function compareRoutes(a: Route, b: Route): number {
  if (a.pathType !== b.pathType) return a.pathType === 'Exact' ? -1 : 1;
  return b.path.length - a.path.length || compareText(a.path, b.path);
}

/** Backends by id. */
export function compareBackends(a: Backend, b: Backend): number {
  return compareText(a.id, b.id);
}

/** A copy of `table` with every list in the documented order. */
export function sortRouteTable(table: RouteTable): RouteTable {
  return {
    ...table,
    virtualHosts: table.virtualHosts
      .map((v) => ({ ...v, routes: [...v.routes].sort(compareRoutes) }))
      .sort(compareHosts),
    backends: [...table.backends].sort(compareBackends),
  };
}

/** Problems by namespace, name, kind, reason, message, with exact duplicates dropped. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const sorted = [...problems].sort(
    (a, b) =>
      compareText(a.namespace, b.namespace) ||
      compareText(a.name, b.name) ||
      compareText(a.kind, b.kind) ||
      compareText(a.reason, b.reason) ||
      compareText(a.message, b.message),
  );
  return sorted.filter((p, i) => i === 0 || !sameProblem(p, sorted[i - 1]!));
}

function sameProblem(a: Problem, b: Problem): boolean {
  return a.namespace === b.namespace && a.name === b.name && a.kind === b.kind && a.reason === b.reason && a.message === b.message;
}
