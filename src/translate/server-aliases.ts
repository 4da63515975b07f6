import { X509Certificate } from 'node:crypto';
import { displayName } from '../source/objects.ts';
import type { Ingress } from '../source/objects.ts';
import type { Certificate, RouteTable, VirtualHost } from '../routing/route-table.ts';
import type { ProcessedIngress } from './ingress-processor.ts';
import { compareIngressPrecedence } from './merge-routes.ts';
import { problemAbout, type Problem } from './problem.ts';
import { compareHostNames } from './sorted-keys.ts';

/** One served Ingress's `server-alias` names, for each host its rules name. */
export interface AliasClaim {
  readonly ingress: Ingress;
  /** The hosts of its rules, lower-case (`''` for a rule without host). */
  readonly hosts: readonly string[];
  readonly aliases: readonly string[];
}

/** The claim of one processed Ingress: none when it is skipped, a canary, or sets no alias. */
export function aliasClaimOf(p: ProcessedIngress): AliasClaim | undefined {
  if (p.rejected || p.serverAliases === undefined) return undefined;
  const rules = p.ingress.spec?.rules ?? [];
  const hosts = [...new Set(rules.map((rule) => (rule.host ?? '').toLowerCase()))];
  return hosts.length === 0 ? undefined : { ingress: p.ingress, hosts, aliases: p.serverAliases };
}

/**
 * `server-alias`, resolved over the whole table as ingress-nginx's createServers does, into
 * virtual hosts of their own (so a request costs the same host lookup as any other):
 *
 * - A host's aliases are those of the first Ingress, by precedence (compareIngressPrecedence:
 *   oldest, then namespace/name), whose rules name the host and that sets the annotation; a
 *   later one with other aliases gets `AliasConflict` (Normal). Canary Ingresses set none.
 * - An alias serves the host's virtual host as it is: every route of every Ingress of the
 *   host, with their policies (https redirects included), and the host's HTTP/2 choice.
 * - Over HTTPS the alias gets the host's certificate when that certificate names the alias
 *   (its CN or a DNS SAN, exactly or by a `*.` first label: ingress-nginx's IsValidHostname);
 *   otherwise the default certificate, as ingress-nginx's configureCertificates.
 * - An alias equal to its host is dropped; a name the table serves already (an Ingress rule,
 *   or a from-to-www redirect: nginx writes those servers first) wins over an alias
 *   (`ServerAliasIgnored`, Normal), whatever order the objects came in; a name two hosts alias
 *   goes to the first host by name (`ServerAliasIgnored` for the other).
 * - A host without routes has no virtual host, so its aliases serve nothing.
 */
export function resolveServerAliases(
  claims: Iterable<AliasClaim>,
  vhostOf: (host: string) => VirtualHost | undefined,
  certificateOf: (key: string) => Certificate | undefined,
): { virtualHosts: VirtualHost[]; problems: Problem[] } {
  const byHost = new Map<string, AliasClaim[]>();
  for (const claim of claims) {
    for (const host of claim.hosts) {
      const list = byHost.get(host);
      if (list) list.push(claim);
      else byHost.set(host, [claim]);
    }
  }
  const problems: Problem[] = [];
  const wanted = new Map<string, { host: string; claim: AliasClaim }[]>();
  for (const [host, list] of byHost) {
    list.sort((a, b) => compareIngressPrecedence(a.ingress, b.ingress));
    const winner = list[0]!;
    for (const loser of list.slice(1)) {
      if (sameList(loser.aliases, winner.aliases)) continue;
      problems.push(problemAbout(loser.ingress, 'AliasConflict',
        `server-alias for ${hostText(host)} ignored: Ingress ${displayName(winner.ingress.metadata)} sets the aliases of this host and takes precedence (older, or first by namespace/name)`, 'Normal'));
    }
    if (vhostOf(host) === undefined) continue;
    for (const alias of winner.aliases) {
      if (alias === host) continue;
      if (vhostOf(alias) !== undefined) {
        problems.push(ignored(winner.ingress, alias, host, `Pier serves ${alias} as a host of its own (an Ingress rule or a from-to-www redirect), which wins over an alias`));
        continue;
      }
      const hosts = wanted.get(alias);
      if (hosts) hosts.push({ host, claim: winner });
      else wanted.set(alias, [{ host, claim: winner }]);
    }
  }
  const virtualHosts: VirtualHost[] = [];
  for (const [alias, hosts] of wanted) {
    hosts.sort((a, b) => compareHostNames(a.host, b.host));
    const first = hosts[0]!;
    for (const other of hosts.slice(1)) problems.push(ignored(other.claim.ingress, alias, other.host, `it is an alias of ${hostText(first.host)} already (the first host by name keeps it)`));
    virtualHosts.push(aliasHost(vhostOf(first.host)!, alias, certificateOf));
  }
  return { virtualHosts, problems };
}

/** translate()'s alias step: the table with the alias virtual hosts added (unsorted). */
export function applyServerAliases(table: RouteTable, processed: readonly ProcessedIngress[]): { table: RouteTable; problems: Problem[] } {
  const claims = processed.map(aliasClaimOf).filter((c) => c !== undefined);
  if (claims.length === 0) return { table, problems: [] };
  const vhosts = new Map(table.virtualHosts.map((v) => [v.host, v]));
  const certificates = table.certificates ?? {};
  const result = resolveServerAliases(claims, (host) => vhosts.get(host), (key) => certificates[key]);
  const virtualHosts = result.virtualHosts.length === 0 ? table.virtualHosts : [...table.virtualHosts, ...result.virtualHosts];
  return { table: { ...table, virtualHosts }, problems: result.problems };
}

/** The alias's virtual host: the host's, under the alias's name, with its certificate if that names the alias. */
export function aliasHost(source: VirtualHost, alias: string, certificateOf: (key: string) => Certificate | undefined): VirtualHost {
  const { tls, ...rest } = source;
  const certificate = tls === undefined ? undefined : certificateOf(tls);
  const covered = certificate !== undefined && (namesOf(certificate).has(alias) || namesOf(certificate).has(wildcardOf(alias)));
  return covered ? { ...rest, host: alias, tls } : { ...rest, host: alias };
}

/** ingress-nginx's IsValidHostname candidate: the first label replaced by `*`. */
function wildcardOf(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? '*' : `*${name.slice(dot)}`;
}

/*
 * The names a certificate is for (subject CN and DNS SANs, lower-case), as ingress-nginx's
 * SSLCert.CN. Parsed once per Certificate object (tls-secret.ts keeps one per Secret object):
 * a cache of a pure function, so translate stays pure.
 */
const names = new WeakMap<Certificate, ReadonlySet<string>>();

function namesOf(certificate: Certificate): ReadonlySet<string> {
  let found = names.get(certificate);
  if (found === undefined) {
    found = parseNames(certificate.certPem);
    names.set(certificate, found);
  }
  return found;
}

function parseNames(pem: string): ReadonlySet<string> {
  const result = new Set<string>();
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return result;
  }
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) result.add(line.slice(3).toLowerCase());
  for (const entry of (cert.subjectAltName ?? '').split(', ')) if (entry.startsWith('DNS:')) result.add(entry.slice(4).toLowerCase());
  return result;
}

function ignored(ingress: Ingress, alias: string, host: string, why: string): Problem {
  return problemAbout(ingress, 'ServerAliasIgnored', `server-alias ${alias} of ${hostText(host)} ignored: ${why}`, 'Normal');
}

function hostText(host: string): string {
  return host === '' ? 'the rules without host' : `host ${host}`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
