import type { BodySizePolicy } from '../../../routing/policies.ts';
import type { RequestFilter } from '../admission.ts';
import { answer } from '../answer.ts';

/**
 * `proxy-body-size` (nginx client_max_body_size): a request whose Content-Length is over the
 * limit gets 413 before any of its body is read, and its connection closes (the body is never
 * read). 0 = unlimited (translate then attaches no policy).
 */
export function bodySizeFilter(policy: BodySizePolicy): RequestFilter {
  const max = policy.maxBytes;
  return (a) => {
    const length = a.req.headers['content-length'];
    if (length === undefined || Number(length) <= max) return true;
    a.stats.errors[413]++;
    return answer(a, 413, [], undefined, true);
  };
}
