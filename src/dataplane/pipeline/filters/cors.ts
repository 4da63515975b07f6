import type { CorsPolicy } from '../../../routing/policies.ts';
import type { Admission, RequestFilter } from '../admission.ts';
import { setHeader } from './header-lists.ts';
import { addVary } from './vary.ts';

/**
 * `enable-cors`, as ingress-nginx's template CORS block:
 * - origin `*`: every request is a CORS one, answered with `Access-Control-Allow-Origin: *`;
 *   otherwise an `Origin` matching one of the list (case-insensitive, `*.` = one label of
 *   letters, digits and `-`) is echoed back, and other requests pass untouched.
 * - an allowed request gets Allow-Origin, Allow-Credentials (`true`, unless turned off),
 *   Allow-Methods, Allow-Headers, Expose-Headers (when set) and Max-Age, replacing the
 *   upstream's (more_set_headers); on every response of the route, Pier's own answers included.
 * - an allowed `OPTIONS` is answered here: 204 with those headers, `Content-Type: text/plain
 *   charset=UTF-8`, `Content-Length: 0`; it never reaches the backend (nor a rate limit).
 * - with an origin list, every response also says `Vary: Origin` (it depends on the Origin
 *   header; ingress-nginx leaves that out, so shared caches could serve one origin's answer to
 *   another). ingress-nginx anchors origins only at the end; Pier anchors both ends.
 */
export function corsFilter(policy: CorsPolicy): RequestFilter {
  const any = policy.origins.includes('*');
  const patterns = any ? [] : policy.origins.map(originPattern);
  const fixed: string[] = [];
  if (policy.credentials) fixed.push('access-control-allow-credentials', 'true');
  fixed.push('access-control-allow-methods', policy.methods, 'access-control-allow-headers', policy.headers);
  if (policy.exposeHeaders !== '') fixed.push('access-control-expose-headers', policy.exposeHeaders);
  fixed.push('access-control-max-age', String(policy.maxAge));
  const setCors = (headers: string[], origin: string) => {
    setHeader(headers, 'access-control-allow-origin', origin);
    for (let i = 0; i < fixed.length; i += 2) setHeader(headers, fixed[i]!, fixed[i + 1]!);
    if (!any) addVary(headers, 'Origin');
  };
  const varyOnly = (_status: number, headers: string[]) => addVary(headers, 'Origin');
  const wildcard = (_status: number, headers: string[]) => setCors(headers, '*');
  return (a) => {
    let origin: string | undefined;
    if (any) origin = '*';
    else {
      const raw = a.req.headers.origin;
      const value = Array.isArray(raw) ? raw[0] : raw;
      if (value !== undefined && patterns.some((p) => p.test(value))) origin = value;
    }
    if (origin === undefined) {
      a.onResponse(varyOnly);
      return true;
    }
    const allowed = origin;
    a.onResponse(any ? wildcard : (_status, headers) => setCors(headers, allowed));
    return a.req.method === 'OPTIONS' ? preflight(a) : true;
  };
}

/** ingress-nginx's `return 204` for an allowed OPTIONS (the hooks add the CORS headers). */
function preflight(a: Admission): false {
  const res = a.res;
  if (res.headersSent || res.destroyed) return false;
  const headers = ['content-type', 'text/plain charset=UTF-8', 'content-length', '0'];
  if (a.close) headers.push('connection', 'close');
  a.applyResponseHooks(204, headers);
  res.writeHead(204, undefined, headers);
  res.end();
  return false;
}

/** buildOriginRegex: the origin quoted, its first `*` one DNS label; case-insensitive. */
function originPattern(origin: string): RegExp {
  const quoted = origin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace('\\*', '[A-Za-z0-9-]+');
  return new RegExp(`^${quoted}$`, 'i');
}
