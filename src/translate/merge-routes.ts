import { compileRoutePattern } from '../routing/host-rules.ts';
import { displayName } from '../source/objects.ts';
import type { Ingress } from '../source/objects.ts';
import type { BackendRef } from './backend-ref.ts';
import type { CandidateRoute, ProcessedIngress } from './ingress-processor.ts';
import { problemAbout } from './problem.ts';
import type { Problem } from './problem.ts';

/** A route that survived merging, with the canary Ingress's route for it, if any. */
export interface MergedRoute extends CandidateRoute {
  readonly canary?: CandidateRoute;
}

/** The routes and default backend that survive merging, and the conflicts that were resolved. */
export interface MergedRoutes {
  readonly routes: readonly MergedRoute[];
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
 *
 * Regex hosts: when any (non-canary) Ingress of a host has `use-regex` or `rewrite-target`,
 * every path of that host becomes a Regex route (its path as written), as ingress-nginx
 * enforces `~*` locations on the whole server.
 *
 * Canaries: a route of a `canary: "true"` Ingress never competes with the others; it attaches to
 * the winning route with the same host, path and type (the first canary by precedence; others
 * get `CanaryConflict`). A canary route with no main route gets `CanaryWithoutMain`.
 */
export function mergeRoutes(processed: readonly ProcessedIngress[]): MergedRoutes {
  const all = processed.flatMap((p) => p.routes);
  const regexHosts = new Set(all.filter(enforcesRegex).map((r) => r.host));
  const groups = new Map<string, CandidateRoute[]>();
  const canaries = new Map<string, CandidateRoute[]>();
  const problems: Problem[] = [];
  for (const candidate of all) {
    const route = regexHosts.has(candidate.host) ? asRegex(candidate) : candidate;
    if (route.pathType === 'Regex' && compileRoutePattern(route.path) === undefined) {
      problems.push(problemAbout(route.ingress, 'InvalidRegexPath',
        `path ${route.path} on ${route.host ? `host ${route.host}` : 'any host'} ignored: it is not a regular expression RE2 can run (lookarounds and backreferences are not supported)`));
      continue;
    }
    const key = `${route.host}\n${route.pathType}\n${route.path}`;
    const into = route.settings.canary === undefined ? groups : canaries;
    const group = into.get(key);
    if (group) group.push(route);
    else into.set(key, [route]);
  }
  const routes: MergedRoute[] = [];
  for (const [key, group] of groups) {
    group.sort((a, b) => compareIngressPrecedence(a.ingress, b.ingress) || a.seq - b.seq);
    const winner = group[0]!;
    for (const loser of group.slice(1)) problems.push(routeConflict(loser, winner));
    const canary = canaries.get(key)?.sort((a, b) => compareIngressPrecedence(a.ingress, b.ingress) || a.seq - b.seq);
    for (const extra of canary?.slice(1) ?? []) problems.push(canaryProblem(extra, 'CanaryConflict', `Ingress ${nameOf(canary![0]!.ingress)} is the canary for it already (one canary per host and path)`));
    routes.push(canary === undefined ? winner : { ...winner, canary: canary[0]! });
  }
  for (const [key, group] of canaries) {
    if (groups.has(key)) continue;
    for (const orphan of group) problems.push(canaryProblem(orphan, 'CanaryWithoutMain', 'no non-canary Ingress serves this host and path'));
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

/** ingress-nginx's enforceRegexModifier: use-regex, or a rewrite-target other than the path. */
function enforcesRegex(route: CandidateRoute): boolean {
  const s = route.settings;
  if (s.canary !== undefined) return false;
  return s.regex || (s.rewriteTarget !== undefined && s.rewriteTarget !== route.rawPath);
}

/**
 * A route of a host where ingress-nginx enforces regex locations (`use-regex` or
 * `rewrite-target` on any of the host's Ingresses): its path as written, as a Regex.
 */
function asRegex(route: CandidateRoute): CandidateRoute {
  return { ...route, path: route.rawPath, pathType: 'Regex' };
}

function canaryProblem(route: CandidateRoute, reason: string, why: string): Problem {
  const what = `${route.pathType} path ${route.path} on ${route.host ? `host ${route.host}` : 'any host'}`;
  return problemAbout(route.ingress, reason, `canary for ${what} ignored: ${why}`);
}

function routeConflict(loser: CandidateRoute, winner: CandidateRoute): Problem {
  const what = `${loser.pathType} path ${loser.path} on ${loser.host ? `host ${loser.host}` : 'any host'}`;
  const message = loser.ingress === winner.ingress
    ? `${what} ignored: it is defined more than once in this Ingress and the first one is used`
    : `${what} ignored: Ingress ${nameOf(winner.ingress)} defines it too and takes precedence (older, or first by namespace/name)`;
  return problemAbout(loser.ingress, 'RouteConflict', message);
}
