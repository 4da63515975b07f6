import type { Ingress } from '../source/objects.ts';
import type { Route } from '../routing/route-table.ts';
import type { MergedRoute } from './merge-routes.ts';
import { compareIngressPrecedence } from './merge-routes.ts';
import { problemAbout, type Problem } from './problem.ts';

/**
 * `ssl-passthrough`, resolved per host as ingress-nginx's getConfiguration does: a host is a
 * passthrough host when an Ingress that sets the annotation has a route on it (its
 * `server.SSLPassthrough`), and its TLS connections go to the backend of the host's root path
 * `/` (whichever Ingress serves it; Prefix or regex before Exact): `VirtualHost.passthrough`.
 *
 * - Other paths of the host serve plain HTTP (and HTTPS clients that name no passthrough host)
 *   only: one Normal `SSLPassthroughPaths` problem lists them (ingress-nginx logs "Ignoring SSL
 *   Passthrough for location").
 * - A host without a `/` path has no passthrough (ingress-nginx: "has no default backend,
 *   ignoring SSL Passthrough"), nor has a wildcard host or the rules without host: the TLS
 *   proxy matches the client's server name exactly. Both are Normal `SSLPassthroughIgnored`.
 * Problems name the Ingress that sets the annotation and takes precedence on the host.
 */
export function passthroughTargets(routes: readonly MergedRoute[], hosts: ReadonlyMap<string, readonly Route[]>): { targets: Map<string, string>; problems: Problem[] } {
  const owners = new Map<string, Ingress>();
  for (const r of routes) {
    if (r.settings.sslPassthrough !== true) continue;
    const seen = owners.get(r.host);
    if (seen === undefined || compareIngressPrecedence(r.ingress, seen) < 0) owners.set(r.host, r.ingress);
  }
  const targets = new Map<string, string>();
  const problems: Problem[] = [];
  for (const [host, ingress] of owners) {
    if (host === '' || host.startsWith('*.')) {
      problems.push(problemAbout(ingress, 'SSLPassthroughIgnored', `ssl-passthrough ignored for ${host === '' ? 'the rules without host' : `host ${host}`}: TLS connections are passed through by exact server name only`, 'Normal'));
      continue;
    }
    const list = hosts.get(host) ?? [];
    const root = list.find((r) => r.path === '/' && r.pathType !== 'Exact') ?? list.find((r) => r.path === '/');
    if (root === undefined) {
      problems.push(problemAbout(ingress, 'SSLPassthroughIgnored', `ssl-passthrough ignored for host ${host}: no Ingress serves its path / (TLS connections are relayed to the backend of /)`, 'Normal'));
      continue;
    }
    targets.set(host, root.backend);
    const others = [...new Set(list.filter((r) => r.path !== '/').map((r) => r.path))].sort();
    if (others.length > 0) {
      problems.push(problemAbout(ingress, 'SSLPassthroughPaths', `ssl-passthrough on host ${host}: TLS connections naming it go to the backend of path /; paths ${others.join(', ')} serve only plain HTTP and clients that name no passthrough host`, 'Normal'));
    }
  }
  return { targets, problems };
}
