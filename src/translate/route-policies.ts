import { POLICY_ORDER, type Policy } from '../routing/policies.ts';
import type { MergedRoute } from './merge-routes.ts';

/**
 * The policies of one merged route that depend only on its own Ingress (and its canary):
 * the Ingress-wide ones from its annotations, plus the rewrite, whose pattern is the route's
 * path. Backend references (canary, fallback) are added by buildTable, the https redirect
 * after TLS (addHttpsRedirects).
 */
export function ownPolicies(route: MergedRoute): Policy[] {
  const s = route.settings;
  const policies = [...s.policies];
  // ingress-nginx rewrites only where the target differs from the location path (needsRewrite).
  if (s.rewriteTarget !== undefined && s.rewriteTarget !== route.rawPath && route.pathType === 'Regex') {
    policies.push({ kind: 'rewrite', pattern: route.path, target: s.rewriteTarget, ...(s.forwardedPrefix === undefined ? {} : { forwardedPrefix: s.forwardedPrefix }) });
  }
  if (s.affinity !== undefined) policies.push({ kind: 'cookie-affinity', ...s.affinity, path: s.affinity.path ?? cookiePath(route) });
  // ingress-nginx names each limit zone after the Ingress: its routes share a client's budgets.
  if (s.rateLimit !== undefined) policies.push({ kind: 'rate-limit', zone: `${route.ingress.metadata.namespace ?? ''}/${route.ingress.metadata.name}`, ...s.rateLimit });
  return policies;
}

/** The affinity cookie's default Path: the route's path (ingress-nginx's location path); `/`
 * for a regex route, whose path is no URL path. */
function cookiePath(route: MergedRoute): string {
  return route.pathType === 'Regex' ? '/' : route.path;
}

/** `policies` in filter order (POLICY_ORDER; stable within a kind). */
export function inFilterOrder(policies: readonly Policy[]): Policy[] {
  return [...policies].sort((a, b) => POLICY_ORDER.indexOf(a.kind) - POLICY_ORDER.indexOf(b.kind));
}
