import type { Certificate, VirtualHost } from '../routing/route-table.ts';
import { buildTable, type BackendResolver } from './build-table.ts';
import type { ProcessedIngress } from './ingress-processor.ts';
import { addHttpsRedirects, tlsClaimedHosts } from './https-redirects.ts';
import { mergeRoutes } from './merge-routes.ts';
import type { Problem } from './problem.ts';
import type { SnapshotIndex } from './snapshot.ts';
import { sortRouteTable } from './sort.ts';
import { applySslCiphers } from './ssl-cipher-hosts.ts';
import { applyTls } from './tls-hosts.ts';

/**
 * The unit of incremental translation: hosts whose virtual hosts can depend on each other.
 * Everything translate() decides per host (route merging, regex hosts, canaries, TLS claims,
 * https redirects) stays inside one host; `from-to-www-redirect` links `foo.com` and
 * `www.foo.com`, so a family is a host with every leading `www.` removed. Ingresses with no
 * host at all (only a default backend, or nothing valid) share the family NO_HOSTS, where only
 * their own problems come from.
 */
export function familyOf(host: string): string {
  let h = host;
  while (h.startsWith('www.')) h = h.slice(4);
  return h;
}

/** The family of Ingresses that name no host in rules or `spec.tls` (cannot clash: no host has '#'). */
export const NO_HOSTS = '#none';

/** The families one processed Ingress takes part in: its routes' hosts and its `spec.tls` hosts. */
export function familiesOf(p: ProcessedIngress): Set<string> {
  const families = new Set<string>();
  for (const r of p.routes) families.add(familyOf(r.host));
  if (!p.rejected) for (const host of tlsClaimedHosts([p])) families.add(familyOf(host));
  if (families.size === 0) families.add(NO_HOSTS);
  return families;
}

/** What one family contributes to the table. */
export interface FamilyOutput {
  /** Its virtual hosts, routes in table order. */
  readonly virtualHosts: readonly VirtualHost[];
  readonly certificates: Readonly<Record<string, Certificate>>;
  /** Merge, build and TLS problems (backend resolution problems are the resolver's). */
  readonly problems: readonly Problem[];
  /** Whether a route asked for the table's default backend (custom-http-errors). */
  readonly usedTableDefault: boolean;
}

/**
 * translate()'s steps 3 to 5 (merge, build, ciphers and tls) for one family: `members` are the processed
 * Ingresses of the family, `tableDefault` the spec.defaultBackend winner's backend id, decided
 * over every Ingress, else `--default-backend-service`'s (what custom-http-errors name). The routes of other families and every default backend are left out, so
 * the result is exactly this family's share of translate()'s table.
 */
export function translateFamily(index: SnapshotIndex, family: string, members: readonly ProcessedIngress[], resolveBackend: BackendResolver, tableDefault: string | undefined): FamilyOutput {
  const own = members.map((p) => {
    const { defaultBackend: _ignored, ...rest } = p;
    return { ...rest, routes: p.routes.filter((r) => familyOf(r.host) === family) };
  });
  const merged = mergeRoutes(own);
  let usedTableDefault = false;
  const built = buildTable(index, merged, tlsClaimedHosts(own), {
    resolveBackend,
    tableDefault: () => {
      usedTableDefault = true;
      return tableDefault;
    },
  });
  const valid = own.filter((p) => !p.rejected).map((p) => p.ingress);
  const ciphers = applySslCiphers(built.table, own);
  const tls = applyTls(index, valid, ciphers.table);
  const table = sortRouteTable(addHttpsRedirects(tls.table, built.settings));
  return {
    virtualHosts: table.virtualHosts,
    certificates: table.certificates ?? {},
    problems: [...merged.problems, ...built.problems, ...ciphers.problems, ...tls.problems],
    usedTableDefault,
  };
}
