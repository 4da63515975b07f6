import type { Route, RouteTable } from '../routing/route-table.ts';
import type { IngressSettings } from './annotations/ingress-settings.ts';
import type { ProcessedIngress } from './ingress-processor.ts';
import { inFilterOrder } from './route-policies.ts';

/**
 * The tls step's follow-up: adds the https redirect to routes where ingress-nginx would
 * redirect plain HTTP (lua_ingress.lua redirect_to_https): `force-ssl-redirect`, or
 * `ssl-redirect` (default true) on a host that has a certificate; never on a route whose path
 * starts with one of `--no-tls-redirect-locations` (as ingress-nginx's force_no_ssl_redirect,
 * a prefix of the Ingress path), with `--http-redirect-code`. `settings` maps each route of
 * the table to its Ingress's settings.
 */
export function addHttpsRedirects(table: RouteTable, settings: ReadonlyMap<Route, IngressSettings>): RouteTable {
  let changed = false;
  const virtualHosts = table.virtualHosts.map((vhost) => {
    let hostChanged = false;
    const routes = vhost.routes.map((route) => {
      const s = settings.get(route);
      if (s === undefined || !(s.forceSslRedirect || (s.sslRedirect && vhost.tls !== undefined))) return route;
      if (s.noTlsRedirectLocations.some((prefix) => route.path.startsWith(prefix))) return route;
      hostChanged = true;
      const policy = { kind: 'https-redirect', code: s.redirectCode, preserveTrailingSlash: s.preserveTrailingSlash, ...(s.usePortInRedirects ? { port: s.httpsPort } : {}) } as const;
      return { ...route, policies: inFilterOrder([...(route.policies ?? []), policy]) };
    });
    if (!hostChanged) return vhost;
    changed = true;
    return { ...vhost, routes };
  });
  return changed ? { ...table, virtualHosts } : table;
}

/**
 * Hosts some served Ingress lists in `spec.tls` (lower-cased): a superset of the hosts that end
 * up with a certificate, so buildTable remembers settings only for routes a redirect may reach.
 */
export function tlsClaimedHosts(processed: readonly ProcessedIngress[]): Set<string> {
  const hosts = new Set<string>();
  for (const p of processed) {
    if (p.rejected) continue;
    const tls = p.ingress.spec?.tls;
    if (!Array.isArray(tls)) continue;
    for (const entry of tls) {
      if (entry === null || typeof entry !== 'object' || !Array.isArray(entry.hosts)) continue;
      for (const h of entry.hosts) if (typeof h === 'string') hosts.add(h.toLowerCase());
    }
  }
  return hosts;
}
