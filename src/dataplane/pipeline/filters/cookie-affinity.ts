import { createHash } from 'node:crypto';
import type { CookieAffinityPolicy } from '../../../routing/policies.ts';
import type { BackendRuntime } from '../../backend-runtime.ts';
import type { Admission, RequestFilter } from '../admission.ts';
import { cookieValue } from './cookies.ts';

/**
 * `affinity: cookie` (ingress-nginx's sticky balancer): the cookie names a server by a digest
 * of its address (the same in every worker and replica, and meaningless to clients). A request
 * whose cookie names a server of the chosen backend that passive health does not hold down goes
 * there; otherwise the balancer picks and the response sets the cookie. With
 * `changeOnFailure`, a retry that moved the request elsewhere re-points the cookie.
 *
 * Cookie attributes as ingress-nginx writes them: Path, optional Domain, Max-Age, Expires,
 * HttpOnly, Secure (on HTTPS requests unless set), SameSite (left out for clients that mishandle
 * `SameSite=None` with `conditionalSameSiteNone`, util/same_site.lua's list).
 */
export function cookieAffinityFilter(policy: CookieAffinityPolicy): RequestFilter {
  const name = policy.name;
  return (a) => {
    const keys = serverKeys(a.backend);
    const value = cookieValue(a.req.headers.cookie, name);
    const named = value === undefined ? -1 : (keys.get(value) ?? -1);
    if (named >= 0 && a.backend.balancer.available(named)) a.pinnedServer = named;
    a.onResponse((_status, headers, admission) => {
      const chosen = admission.chosenServer;
      if (chosen < 0 || chosen === admission.pinnedServer) return;
      if (admission.pinnedServer >= 0 && !policy.changeOnFailure) return;
      headers.push('set-cookie', cookieText(policy, keyOf(admission.backend, chosen), admission));
    });
    return true;
  };
}

const KEYS = new WeakMap<BackendRuntime, Map<string, number>>();

/** Cookie value → server index for one backend runtime (built once per swap, on first use). */
function serverKeys(runtime: BackendRuntime): Map<string, number> {
  let keys = KEYS.get(runtime);
  if (keys === undefined) {
    keys = new Map(runtime.backend.servers.map((s, i) => [digest(`${s.host}:${s.port}`), i]));
    KEYS.set(runtime, keys);
  }
  return keys;
}

function keyOf(runtime: BackendRuntime, index: number): string {
  const s = runtime.backend.servers[index]!;
  return digest(`${s.host}:${s.port}`);
}

/** A short, stable, opaque name for a server address. */
function digest(address: string): string {
  return createHash('sha1').update(address).digest('hex').slice(0, 20);
}

function cookieText(p: CookieAffinityPolicy, value: string, a: Admission): string {
  let text = `${p.name}=${value}; Path=${p.path}`;
  if (p.domain !== undefined) text += `; Domain=${p.domain}`;
  if (p.expires !== undefined) text += `; Expires=${new Date(Date.now() + p.expires * 1_000).toUTCString()}`;
  if (p.maxAge !== undefined) text += `; Max-Age=${p.maxAge}`;
  if (p.secure ?? a.tls) text += '; Secure';
  text += '; HttpOnly';
  if (p.sameSite !== undefined && !(p.sameSite === 'None' && p.conditionalSameSiteNone && !sameSiteNoneCompatible(a))) text += `; SameSite=${p.sameSite}`;
  return text;
}

/** ingress-nginx's util/same_site.lua: clients that reject or misread `SameSite=None`. */
function sameSiteNoneCompatible(a: Admission): boolean {
  const ua = a.req.headers['user-agent'];
  if (ua === undefined) return true;
  if (/Chrome\/[456]/.test(ua) || ua.includes('CPU iPhone OS 12') || ua.includes('iPad; CPU OS 12')) return false;
  return !(ua.includes('Macintosh') && ua.includes('Intel Mac OS X 10_14') && ua.includes('Safari') && !ua.includes('Chrome'));
}
