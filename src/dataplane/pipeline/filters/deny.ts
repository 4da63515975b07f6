import type { DenyPolicy } from '../../../routing/policies.ts';
import type { RequestFilter } from '../admission.ts';
import { answer } from '../answer.ts';

/** A route whose access control could not be built (its auth Secret is missing): every request
 * gets the policy's status (503, ingress-nginx's denied location); nothing reaches the backend. */
export function denyFilter(policy: DenyPolicy): RequestFilter {
  const status = policy.status;
  return (a) => answer(a, status, []);
}
