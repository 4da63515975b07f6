import { displayName } from '../source/objects.ts';
import type { Ingress } from '../source/objects.ts';
import type { Certificate, RouteTable } from '../routing/route-table.ts';
import { ingressHostError } from './k8s-names.ts';
import { compareIngressPrecedence } from './merge-routes.ts';
import { problemAbout } from './problem.ts';
import type { Problem } from './problem.ts';
import type { SnapshotIndex } from './snapshot.ts';
import { readTlsSecret } from './tls-secret.ts';
import type { TlsSecretResult } from './tls-secret.ts';

/** One host of one Ingress's `spec.tls` entry. */
interface TlsClaim {
  readonly host: string;
  /** `namespace/secretName`: the `RouteTable.certificates` key. */
  readonly key: string;
  readonly secretName: string;
  readonly ingress: Ingress;
}

/**
 * Adds TLS to a built table (the tls step of translate(), after the routes are merged):
 *
 * - Each host listed in an Ingress's `spec.tls[].hosts` (lower-cased; `*.foo.com` allowed) claims
 *   the Secret `secretName` in the Ingress's namespace for the VirtualHost of exactly that host.
 *   A host with no VirtualHost (no rule serves it) is ignored: there is nothing to serve.
 * - Two Ingresses claiming one host with different Secrets: the one that takes precedence for
 *   routes (compareIngressPrecedence: oldest, then namespace/name) wins; each other one gets a
 *   `TLSConflict` problem. Claims naming the same Secret agree and are not a conflict.
 * - The winning Secret must exist (`TLSSecretNotFound`) and be a valid `kubernetes.io/tls`
 *   Secret whose key matches its certificate (`InvalidTLSSecret`, see tls-secret.ts). If not,
 *   the host stays in the table without `tls`: HTTPS clients get the default certificate, as
 *   ingress-nginx does, and HTTP keeps working.
 * - An entry without hosts is reported (`TLSWithoutHosts`) and ignored: Pier picks certificates
 *   by host name only.
 *
 * Problems are about the Ingress (the Secret is only its input) and never quote key material.
 * `certificates` holds only the Secrets some VirtualHost uses, inserted in key order so equal
 * input gives equal (serialized) output.
 */
export function applyTls(index: SnapshotIndex, ingresses: readonly Ingress[], table: RouteTable): { table: RouteTable; problems: Problem[] } {
  const problems: Problem[] = [];
  const served = new Set(table.virtualHosts.map((v) => v.host));
  const claims = new Map<string, TlsClaim[]>();
  for (const ingress of ingresses) {
    for (const claim of claimsOf(ingress, problems)) {
      if (!served.has(claim.host)) continue;
      const list = claims.get(claim.host);
      if (list) list.push(claim);
      else claims.set(claim.host, [claim]);
    }
  }
  const secrets = new Map<string, TlsSecretResult>();
  const reported = new Set<string>();
  const hostKeys = new Map<string, string>();
  for (const [host, list] of claims) {
    list.sort((a, b) => compareIngressPrecedence(a.ingress, b.ingress));
    const winner = list[0]!;
    for (const loser of list.slice(1)) {
      if (loser.key !== winner.key) problems.push(conflict(loser, winner));
    }
    let result = secrets.get(winner.key);
    if (result === undefined) {
      result = readTlsSecret(index.secret(winner.ingress.metadata.namespace ?? '', winner.secretName));
      secrets.set(winner.key, result);
    }
    if (result.ok) {
      hostKeys.set(host, winner.key);
      continue;
    }
    const once = `${displayName(winner.ingress.metadata)}\n${winner.key}`;
    if (reported.has(once)) continue;
    reported.add(once);
    problems.push(problemAbout(winner.ingress, result.reason,
      `TLS Secret ${winner.key} ${result.why}: its hosts are served over HTTPS with the default certificate`));
  }
  return { table: withTls(table, hostKeys, secrets), problems };
}

function withTls(table: RouteTable, hostKeys: ReadonlyMap<string, string>, secrets: ReadonlyMap<string, TlsSecretResult>): RouteTable {
  if (hostKeys.size === 0) return table;
  const used = [...new Set(hostKeys.values())].sort();
  const certificates: Record<string, Certificate> = {};
  for (const key of used) {
    const result = secrets.get(key)!;
    if (result.ok) certificates[key] = result.certificate;
  }
  return {
    ...table,
    virtualHosts: table.virtualHosts.map((v) => {
      const tls = hostKeys.get(v.host);
      return tls === undefined ? v : { ...v, tls };
    }),
    certificates,
  };
}

/** The (host, Secret) pairs of one Ingress's `spec.tls`; malformed entries are reported. */
function claimsOf(ingress: Ingress, problems: Problem[]): TlsClaim[] {
  const tls: unknown = ingress.spec?.tls;
  if (tls === undefined || tls === null) return [];
  if (!Array.isArray(tls)) {
    problems.push(problemAbout(ingress, 'InvalidTLS', 'spec.tls ignored: must be a list'));
    return [];
  }
  const namespace = ingress.metadata.namespace ?? '';
  const claims: TlsClaim[] = [];
  tls.forEach((entry: unknown, i) => {
    const field = `spec.tls[${i}]`;
    const { hosts, secretName } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof secretName !== 'string' || secretName === '') {
      problems.push(problemAbout(ingress, 'InvalidTLS', `${field} ignored: secretName is required`));
      return;
    }
    if (hosts !== undefined && hosts !== null && !Array.isArray(hosts)) {
      problems.push(problemAbout(ingress, 'InvalidTLS', `${field} ignored: hosts must be a list`));
      return;
    }
    if (!hosts || hosts.length === 0) {
      problems.push(problemAbout(ingress, 'TLSWithoutHosts',
        `${field} ignored: it lists no hosts, and Pier chooses certificates by host name`));
      return;
    }
    for (const raw of hosts as unknown[]) {
      const host = typeof raw === 'string' ? raw.toLowerCase() : '';
      const error = host === '' ? 'must be a non-empty string' : ingressHostError(host);
      if (error) {
        problems.push(problemAbout(ingress, 'InvalidTLS', `${field}.hosts: ${JSON.stringify(raw)} ${error}; host ignored`));
        continue;
      }
      claims.push({ host, key: `${namespace}/${secretName}`, secretName, ingress });
    }
  });
  return claims;
}

function conflict(loser: TlsClaim, winner: TlsClaim): Problem {
  return problemAbout(loser.ingress, 'TLSConflict',
    `TLS for host ${loser.host} ignored: Ingress ${displayName(winner.ingress.metadata)} names Secret ${winner.key} for it and takes precedence (older, or first by namespace/name)`);
}
