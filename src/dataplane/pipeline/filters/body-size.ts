import type { BodySizePolicy } from '../../../routing/policies.ts';
import type { RequestFilter } from '../admission.ts';
import { answer } from '../answer.ts';

/**
 * `proxy-body-size` (nginx client_max_body_size) for this route, in place of `--max-body-size`
 * (an Ingress may raise or lower it, as in ingress-nginx; `0` is unlimited): a request whose
 * Content-Length is over the limit gets 413 before any of its body is read, and its connection
 * closes (the body is never read); a chunked body is counted by the front as it arrives.
 */
export function bodySizeFilter(policy: BodySizePolicy): RequestFilter {
  const max = policy.maxBytes > 0 ? policy.maxBytes : Infinity;
  return (a) => {
    a.req.bodyLimit = max;
    if (a.req.facts.contentLength <= max) return true;
    a.stats.errors[413]++;
    return answer(a, 413, [], undefined, true);
  };
}
