import type { AppRootPolicy, HostRedirectPolicy, HttpsRedirectPolicy, RedirectPolicy } from '../../../routing/policies.ts';
import type { RequestFilter } from '../admission.ts';
import { clientScheme, trustedOrigin } from '../../forwarded-origin.ts';
import { redirect } from '../answer.ts';

/**
 * `permanent-redirect` / `temporal-redirect`: nginx `return <code> <url>`: every request of the
 * route answered with the URL as written (no path or query appended).
 */
export function redirectFilter(policy: RedirectPolicy): RequestFilter {
  const { code, url } = policy;
  return (a) => redirect(a, code, url);
}

/**
 * `ssl-redirect` / `force-ssl-redirect` (ingress-nginx's lua_ingress.lua redirect_to_https):
 * a plain-HTTP request is sent to `https://<host without port><request URI>`; the request URI
 * loses a trailing `/` unless `preserve-trailing-slash`; with `use-port-in-redirects` the host is
 * followed by the port clients reach HTTPS on (lua_ingress.lua's `listen_ports.https`). Translate attaches the policy only
 * where it applies (a host with a certificate, or forced).
 *
 * From a trusted proxy (`--trusted-proxies`, use-forwarded-headers) "plain HTTP" is what its
 * X-Forwarded-Proto says, exactly `http` as lua_ingress.lua compares, and the host is its
 * X-Forwarded-Host (forwarded-origin.ts): a load balancer that terminated the client's TLS
 * connects over plain HTTP, and redirecting that would loop. Likewise with `--proxy-protocol`,
 * a PROXY header naming the balancer's port 443 (clientScheme).
 */
export function httpsRedirectFilter(policy: HttpsRedirectPolicy): RequestFilter {
  const { code, preserveTrailingSlash } = policy;
  const port = policy.port === undefined ? '' : `:${policy.port}`;
  return (a) => {
    const conn = a.req.conn;
    const origin = trustedOrigin(a.req.rawHeaders, conn);
    if (clientScheme(conn, a.tls ? 'https' : 'http', origin) !== 'http') return true;
    const host = origin?.host ?? a.host;
    let uri = a.target;
    if (!preserveTrailingSlash && uri.length > 0 && uri.charCodeAt(uri.length - 1) === 47) uri = uri.slice(0, -1);
    return redirect(a, code, `https://${hostWithoutPort(host ?? '')}${port}${uri}`);
  };
}

/** `app-root`: nginx `if ($uri = /) { return 302 $scheme://$http_host<app-root>; }`. */
export function appRootFilter(policy: AppRootPolicy): RequestFilter {
  const path = policy.path;
  return (a) => {
    const t = a.target;
    if (t !== '/' && !t.startsWith('/?')) return true;
    return redirect(a, 302, `${a.tls ? 'https' : 'http'}://${a.host ?? ''}${path}`);
  };
}

/** `foo.com:8080` → `foo.com`, `[::1]:8080` → `[::1]`. */
export function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/** `from-to-www-redirect`'s other name: `<scheme>://<host><request URI without trailing />`. */
export function hostRedirectFilter(policy: HostRedirectPolicy): RequestFilter {
  const { code, host } = policy;
  return (a) => {
    let uri = a.target;
    if (uri.length > 0 && uri.charCodeAt(uri.length - 1) === 47) uri = uri.slice(0, -1);
    return redirect(a, code, `${a.tls ? 'https' : 'http'}://${host}${uri}`);
  };
}
