import type { RouteTable } from '../routing/route-table.ts';
import { backendResolver, buildTable } from './build-table.ts';
import { applyDefaultBackendService, defaultBackendServiceId } from './default-backend-service.ts';
import { applyDefaultSslCertificate } from './default-ssl-certificate.ts';
import { applyGlobalHeaders } from './global-headers.ts';
import { isOurIngress } from './ingress-class.ts';
import { processIngress } from './ingress-processor.ts';
import { mergeRoutes } from './merge-routes.ts';
import type { Problem } from './problem.ts';
import { indexSnapshot } from './snapshot.ts';
import type { Snapshot, TranslateOptions } from './snapshot.ts';
import { servicePolicyOf } from './service-policy.ts';
import { sortProblems, sortRouteTable } from './sort.ts';
import { applyTls } from './tls-hosts.ts';
import { applyServerAliases } from './server-aliases.ts';
import { applySslCiphers } from './ssl-cipher-hosts.ts';
import { addHttpsRedirects, tlsClaimedHosts } from './https-redirects.ts';

/** A routing table and everything that was wrong with the objects it was built from. */
export interface TranslateResult {
  readonly table: RouteTable;
  readonly problems: Problem[];
}

/**
 * Turns a snapshot into a routing table. Pure: no I/O, no clock, no randomness, no logging;
 * problems are returned as values for the caller to log and report. The same snapshot in any
 * order gives an equal result.
 *
 * The processors run in this order, each reading only what the earlier ones produced:
 * 1. class (ingress-class.ts): keep the Ingresses that are ours; others are silently skipped.
 * 2. ingress (ingress-processor.ts): validate each Ingress on its own; an invalid one is skipped
 *    whole, an unsupported backend skips its path; the rest become candidate routes.
 * 3. merge (merge-routes.ts): combine every Ingress's rules per host; resolve route and default
 *    backend conflicts by precedence (oldest, then namespace/name).
 * 4. backends (build-table.ts, service-backend.ts, upstream-backend.ts): resolve only the
 *    backends the surviving routes use — a losing route's broken backend is not reported. A
 *    Service backend starts from the flags' policy (service-policy.ts), annotations over it.
 * 5. tls (ssl-cipher-hosts.ts, tls-hosts.ts): the hosts' `ssl-ciphers` settings, the
 *    certificates of `spec.tls` for the hosts that have routes, then the https redirects that
 *    depend on them (https-redirects.ts).
 * 6. aliases (server-aliases.ts): `server-alias` names get their host's virtual host, over the
 *    whole table (a name served of its own wins over an alias).
 * 7. controller-wide fallbacks (default-backend-service.ts, default-ssl-certificate.ts,
 *    global-headers.ts): the flags' default backend when no Ingress set one, the default
 *    certificate, and the headers of --proxy-set-headers / --add-headers.
 * 8. sort (sort.ts): the documented order of hosts, routes, backends and problems.
 *
 * Objects being deleted (`metadata.deletionTimestamp` set) are still served, as Kubernetes
 * keeps them in effect until they are gone.
 */
export function translate(snapshot: Snapshot, options: TranslateOptions): TranslateResult {
  const index = indexSnapshot(snapshot);
  const ours = snapshot.ingresses.filter((ingress) => isOurIngress(ingress, index, options));
  const processed = ours.map((ingress) => processIngress(ingress, index, options));
  const merged = mergeRoutes(processed);
  const servicePolicy = servicePolicyOf(options.backendDefaults);
  const built = buildTable(index, merged, tlsClaimedHosts(processed), { resolveBackend: backendResolver(servicePolicy), serviceDefault: defaultBackendServiceId(index, options) });
  // An Ingress skipped as invalid claims no certificate either.
  const valid = processed.filter((p) => !p.rejected).map((p) => p.ingress);
  const ciphers = applySslCiphers(built.table, processed);
  const tls = applyTls(index, valid, ciphers.table);
  const redirected = addHttpsRedirects(tls.table, built.settings);
  const aliased = applyServerAliases(redirected, processed);
  const fallback = applyDefaultBackendService(index, aliased.table, options, servicePolicy);
  const certificate = applyDefaultSslCertificate(index, fallback.table, options);
  const headers = applyGlobalHeaders(index, certificate.table, options);
  const problems = [...processed.flatMap((p) => p.problems), ...merged.problems, ...built.problems, ...ciphers.problems, ...tls.problems, ...aliased.problems, ...fallback.problems, ...certificate.problems, ...headers.problems];
  return { table: sortRouteTable(headers.table), problems: sortProblems(problems) };
}
