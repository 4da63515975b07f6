import { displayName } from '../source/objects.ts';
import type { Ingress } from '../source/objects.ts';
import type { BackendRef } from './backend-ref.ts';
import type { CandidateRoute, ProcessedIngress } from './ingress-processor.ts';
import { problemAbout } from './problem.ts';
import type { Problem } from './problem.ts';

/** The routes and default backend that survive merging, and the conflicts that were resolved. */
export interface MergedRoutes {
  readonly routes: readonly CandidateRoute[];
  readonly defaultBackend?: { readonly ref: BackendRef; readonly ingress: Ingress };
  readonly problems: readonly Problem[];
}

/**
 * Merges the routes of every Ingress. Rules for one host from several Ingresses simply add up;
 * only the same host + path + path type defined twice is a conflict. A conflict, and likewise
 * `spec.defaultBackend` set by several Ingresses, goes to the Ingress that takes precedence (see
 * compareIngressPrecedence); each loser gets a `RouteConflict` / `DefaultBackendConflict`
 * problem and that route of it is not served. A path repeated inside one Ingress keeps its first
 * occurrence.
 */
export function mergeRoutes(processed: readonly ProcessedIngress[]): MergedRoutes {
  const groups = new Map<string, CandidateRoute[]>();
  for (const p of processed) {
    for (const route of p.routes) {
      const key = `${route.host}\n${route.pathType}\n${route.path}`;
      const group = groups.get(key);
      if (group) group.push(route);
      else groups.set(key, [route]);
    }
  }
  const routes: CandidateRoute[] = [];
  const problems: Problem[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => compareIngressPrecedence(a.ingress, b.ingress) || a.seq - b.seq);
    const winner = group[0]!;
    routes.push(winner);
    for (const loser of group.slice(1)) problems.push(routeConflict(loser, winner));
  }
  const defaults = processed.filter((p) => p.defaultBackend !== undefined);
  defaults.sort((a, b) => compareIngressPrecedence(a.ingress, b.ingress));
  const [first, ...losers] = defaults;
  for (const loser of losers) {
    problems.push(problemAbout(loser.ingress, 'DefaultBackendConflict',
      `defaultBackend ignored: Ingress ${nameOf(first!.ingress)} also sets one and takes precedence (older, or first by namespace/name)`));
  }
  if (!first) return { routes, problems };
  return { routes, defaultBackend: { ref: first.defaultBackend!, ingress: first.ingress }, problems };
}

/**
 * Which of two Ingresses wins a conflict: the older `metadata.creationTimestamp`, then
 * namespace, then name. A missing or unparsable timestamp counts as newest (manifests usually
 * carry none; an object the API server created is then never displaced by one that did not).
 */
export function compareIngressPrecedence(a: Ingress, b: Ingress): number {
  const ta = createdAt(a);
  const tb = createdAt(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareText(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || compareText(a.metadata.name, b.metadata.name);
}

function createdAt(ingress: Ingress): number {
  const t = Date.parse(ingress.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function nameOf(ingress: Ingress): string {
  return displayName({ namespace: ingress.metadata.namespace, name: ingress.metadata.name });
}

function routeConflict(loser: CandidateRoute, winner: CandidateRoute): Problem {
  const what = `${loser.pathType} path ${loser.path} on ${loser.host ? `host ${loser.host}` : 'any host'}`;
  const message = loser.ingress === winner.ingress
    ? `${what} ignored: it is defined more than once in this Ingress and the first one is used`
    : `${what} ignored: Ingress ${nameOf(winner.ingress)} defines it too and takes precedence (older, or first by namespace/name)`;
  return problemAbout(loser.ingress, 'RouteConflict', message);
}
