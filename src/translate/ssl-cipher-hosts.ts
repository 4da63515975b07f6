import { displayName, type Ingress } from '../source/objects.ts';
import type { RouteTable, VirtualHost } from '../routing/route-table.ts';
import type { ProcessedIngress } from './ingress-processor.ts';
import { compareIngressPrecedence } from './merge-routes.ts';
import { problemAbout, type Problem } from './problem.ts';

/** One Ingress's ssl-ciphers settings for one host its rules name. */
interface CipherClaim {
  readonly ingress: Ingress;
  readonly ciphers?: string;
  readonly prefer?: boolean;
}

/**
 * `ssl-ciphers` and `ssl-prefer-server-ciphers`, resolved per host as ingress-nginx's
 * createServers does for its server blocks (translate()'s step after the routes are built;
 * `VirtualHost.sslCiphers`, `.sslPreferServerCiphers`):
 *
 * - A host takes each of the two from the first Ingress, by precedence
 *   (compareIngressPrecedence: oldest, then namespace/name), whose rules name the host and that
 *   sets it, each one on its own (ingress-nginx: "only add SSL ciphers if the server does not
 *   have them previously configured"); an Ingress whose routes all lost a conflict still counts.
 *   A later Ingress with another value gets `SSLCiphersConflict` (Normal; ingress-nginx keeps
 *   the first silently). Canary Ingresses set none, as ingress-nginx takes no server settings
 *   from them; an Ingress skipped as invalid sets none either.
 * - The rules without host are the `''` host, nginx's default server: its settings apply to
 *   handshakes naming no host Pier serves, and to clients without SNI (dataplane host-ciphers.ts).
 * - `server-alias` names serve the host's virtual host, so they get its settings (server-aliases.ts
 *   copies them); a from-to-www redirect is a server block of its own in nginx and gets none.
 */
export function applySslCiphers(table: RouteTable, processed: readonly ProcessedIngress[]): { table: RouteTable; problems: Problem[] } {
  const claims = new Map<string, CipherClaim[]>();
  for (const p of processed) {
    const settings = p.routes[0]?.settings;
    if (p.rejected || settings === undefined || settings.canary !== undefined) continue;
    if (settings.sslCiphers === undefined && settings.sslPreferServerCiphers === undefined) continue;
    const claim: CipherClaim = { ingress: p.ingress, ciphers: settings.sslCiphers, prefer: settings.sslPreferServerCiphers };
    for (const host of new Set(p.routes.map((r) => r.host))) {
      const list = claims.get(host);
      if (list) list.push(claim);
      else claims.set(host, [claim]);
    }
  }
  if (claims.size === 0) return { table, problems: [] };
  const problems: Problem[] = [];
  const chosen = new Map<string, Pick<VirtualHost, 'sslCiphers' | 'sslPreferServerCiphers'>>();
  for (const [host, list] of claims) {
    list.sort((a, b) => compareIngressPrecedence(a.ingress, b.ingress));
    const ciphers = firstSet(list, (c) => c.ciphers, host, 'ssl-ciphers', problems);
    const prefer = firstSet(list, (c) => c.prefer, host, 'ssl-prefer-server-ciphers', problems);
    chosen.set(host, { ...(ciphers === undefined ? {} : { sslCiphers: ciphers }), ...(prefer === undefined ? {} : { sslPreferServerCiphers: prefer }) });
  }
  const virtualHosts = table.virtualHosts.map((v) => {
    const settings = chosen.get(v.host);
    return settings === undefined ? v : { ...v, ...settings };
  });
  return { table: { ...table, virtualHosts }, problems };
}

/** The value of the first claim (in precedence order) that sets it; later different ones are reported. */
function firstSet<T>(claims: readonly CipherClaim[], valueOf: (c: CipherClaim) => T | undefined, host: string, annotation: string, problems: Problem[]): T | undefined {
  let winner: CipherClaim | undefined;
  for (const claim of claims) {
    const value = valueOf(claim);
    if (value === undefined) continue;
    if (winner === undefined) winner = claim;
    else if (value !== valueOf(winner) && claim.ingress !== winner.ingress) {
      problems.push(problemAbout(claim.ingress, 'SSLCiphersConflict',
        `${annotation} for ${host === '' ? 'the rules without host' : `host ${host}`} ignored: Ingress ${displayName(winner.ingress.metadata)} sets it for this host and takes precedence (older, or first by namespace/name)`, 'Normal'));
    }
  }
  return winner === undefined ? undefined : valueOf(winner);
}
