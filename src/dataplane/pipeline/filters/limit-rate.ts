import type { LimitRatePolicy } from '../../../routing/policies.ts';
import { PacedBody } from '../../pacing/paced-body.ts';
import type { Admission, RequestFilter, ResponseHook } from '../admission.ts';

/**
 * `limit-rate` / `limit-rate-after` (nginx `limit_rate`, `limit_rate_after`): the body of each
 * upstream response on the route goes to the client through a PacedBody. Per request, as
 * nginx. Only the route's own requests pay: one hook registration per request, one PacedBody
 * per response with a body.
 *
 * - With compression on the route (its hook runs first, POLICY_ORDER), the paced bytes are
 *   the ones compression takes in: the client gets the limit or less.
 * - Not paced: upgrades (WebSocket), Pier's own answers, HEAD, 204 and 304, and cache hits
 *   (they are written from the entry, not through a body transform).
 */
export function limitRateFilter(policy: LimitRatePolicy): RequestFilter {
  const { bytesPerSecond, afterBytes } = policy;
  const hook: ResponseHook = (status, _headers, a) => {
    if (!a.upstreamHead || a.req.method === 'HEAD' || status === 204 || status === 304) return;
    a.bodyTransform = new PacedBody(a.res, bytesPerSecond, afterBytes, a.bodyTransform);
  };
  return (a: Admission) => {
    if (!a.upgrade) a.onResponse(hook);
    return true;
  };
}
