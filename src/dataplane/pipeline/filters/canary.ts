import { RE2JS } from 're2js';
import type { CanaryPolicy } from '../../../routing/policies.ts';
import type { BackendRuntime } from '../../backend-runtime.ts';
import type { RequestFilter } from '../admission.ts';
import { cookieValue } from './cookies.ts';

/**
 * A canary Ingress's backend as the alternative for this route, as ingress-nginx's balancer.lua
 * (route_to_alternative_balancer) decides, in this precedence:
 * 1. `canary-by-header`: with `canary-by-header-value`, that exact value → canary; else with
 *    `canary-by-header-pattern`, a match anywhere in the value (RE2, case-sensitive as PCRE's
 *    default) → canary; else `always` → canary, `never` → the main backend (no further rule).
 *    Any other value (or none) falls through.
 * 2. `canary-by-cookie`: `always` → canary, `never` → main; anything else falls through.
 * 3. `canary-weight`: a uniform draw in 1..total (total = `canary-weight-total` when above 100,
 *    else 100) at or below the weight → canary.
 * The canary serves only when it has endpoints; otherwise the main backend does.
 */
export function canaryFilter(policy: CanaryPolicy, resolve: (id: string) => BackendRuntime, random: () => number = Math.random): RequestFilter {
  const canary = resolve(policy.backend);
  const header = policy.header;
  const headerValue = policy.headerValue;
  const pattern = header !== undefined && headerValue === undefined && policy.headerPattern !== undefined ? RE2JS.compile(policy.headerPattern) : undefined;
  const cookie = policy.cookie;
  const weight = policy.weight;
  const total = policy.weightTotal > 100 ? policy.weightTotal : 100;
  const decide = (a: Parameters<RequestFilter>[0]): boolean => {
    if (header !== undefined) {
      const raw = a.req.headers[header];
      const v = Array.isArray(raw) ? raw[0] : raw;
      if (v !== undefined) {
        if (headerValue !== undefined) {
          if (v === headerValue) return true;
        } else if (pattern !== undefined) {
          if (pattern.matcher(v).find()) return true;
        } else if (v === 'always') return true;
        else if (v === 'never') return false;
      }
    }
    if (cookie !== undefined) {
      const c = cookieValue(a.req.headers.cookie, cookie);
      if (c === 'always') return true;
      if (c === 'never') return false;
    }
    return weight > 0 && Math.floor(random() * total) + 1 <= weight;
  };
  return (a) => {
    if (!canary.unavailable && decide(a)) a.backend = canary;
    return true;
  };
}
