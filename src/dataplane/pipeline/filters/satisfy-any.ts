import type { BasicAuthPolicy, IpAccessPolicy } from '../../../routing/policies.ts';
import type { RequestFilter } from '../admission.ts';
import { answer } from '../answer.ts';
import { basicChallenge, basicCredentials, dropAuthorization } from './basic-auth.ts';
import { ipAllowed } from './ip-access.ts';

/** The access controls of one route under `satisfy: any`, compiled (the external one already a filter). */
export interface AccessControls {
  readonly ip?: IpAccessPolicy;
  readonly basic?: BasicAuthPolicy;
  readonly external?: RequestFilter;
}

/**
 * `satisfy: any`: nginx's access phase with `satisfy any`, where the first access module that
 * lets the request in ends the phase. In ingress-nginx's order: the allow/deny lists, then basic
 * auth, then external auth (auth_request, which is then not called at all). When none lets it in,
 * the answer is the last control's: the external auth's own, else basic auth's 401 with its
 * challenge (nginx keeps a 401 over a 403), else the lists' 403. On a basic-auth route the
 * Authorization header is never sent upstream, whichever control let the request in.
 */
export function satisfyAnyFilter(controls: AccessControls): RequestFilter {
  const listed = controls.ip === undefined ? undefined : ipAllowed(controls.ip);
  const credentials = controls.basic === undefined ? undefined : basicCredentials(controls.basic);
  const challenge = controls.basic === undefined ? undefined : basicChallenge(controls.basic);
  const external = controls.external;
  // No access control on the route: nothing to satisfy (nginx's access phase then lets all in).
  if (listed === undefined && credentials === undefined && external === undefined) return allowAll;
  return (a) => {
    if (challenge !== undefined) a.editRequest(dropAuthorization);
    if (listed !== undefined && listed(a)) return true;
    if (credentials !== undefined && credentials(a)) return true;
    if (external !== undefined) return external(a);
    if (challenge !== undefined) return answer(a, 401, ['www-authenticate', challenge]);
    return answer(a, 403, []);
  };
}

function allowAll(): boolean {
  return true;
}
