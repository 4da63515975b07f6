import type { RouteTable, VirtualHost } from '../routing/route-table.ts';
import type { TableDelta } from '../routing/table-delta.ts';
import { cipherPolicyKey, type CipherPolicy } from './tls-servers.ts';

/**
 * The cipher policy of each server name, from the table's `VirtualHost.sslCiphers` and
 * `sslPreferServerCiphers` (the `ssl-ciphers` / `ssl-prefer-server-ciphers` annotations, which
 * ingress-nginx writes into the host's server block), over the controller-wide `global` one.
 *
 * A name is looked up as nginx picks the server block for an SNI name: the host of exactly
 * that name, else the single-label wildcard `*.rest`, else the rules without host (`''`, the
 * default server, which also takes clients that send no SNI). The first host found decides,
 * with or without ciphers of its own: a host without them keeps the global policy even when a
 * wildcard or the default server has some.
 *
 * While no host has ciphers of its own (`size` 0) nothing is kept and every name gets the global
 * policy: tls-listener.ts then reads no ClientHello. Otherwise every host is kept, rebuilt once
 * per table swap and on a delta that changes hosts (the whole host list: O(hosts), only then).
 * Hosts asking for the same terms share one policy object, and one tls.Server.
 */
export class HostCiphers {
  readonly #global: CipherPolicy;
  /** Every host → its policy (undefined: the global one); empty while no host has its own. */
  #byHost = new Map<string, CipherPolicy | undefined>();
  #own = 0;
  #keys: ReadonlySet<string> = new Set();

  constructor(global: CipherPolicy) {
    this.#global = global;
  }

  /** Hosts with a policy of their own: 0 lets the listener skip reading ClientHellos. */
  get size(): number {
    return this.#own;
  }

  /** The keys of the policies in use besides the global one (TlsServers.retain). */
  get keys(): ReadonlySet<string> {
    return this.#keys;
  }

  update(table: RouteTable): void {
    const policies = new Map<string, CipherPolicy>();
    const byHost = new Map<string, CipherPolicy | undefined>();
    let own = 0;
    for (const vhost of table.virtualHosts) {
      if (byHost.has(vhost.host)) continue;
      const policy = this.#policyOf(vhost, policies);
      byHost.set(vhost.host, policy);
      if (policy !== undefined) own++;
    }
    this.#own = own;
    this.#byHost = own === 0 ? new Map() : byHost;
    this.#keys = new Set(policies.keys());
  }

  /** Follows `delta`, which led to `table`: nothing to do unless it changes hosts and some
   * host, before or after, has ciphers of its own. */
  change(table: RouteTable, delta: TableDelta): void {
    const hosts = delta.virtualHosts;
    if (hosts.upsert.length === 0 && hosts.remove.length === 0) return;
    if (this.#own === 0 && !hosts.upsert.some(hasOwnCiphers)) return;
    this.update(table);
  }

  /** The policy for a handshake naming `serverName` (null: no SNI); undefined: the global one. */
  policyFor(serverName: string | null): CipherPolicy | undefined {
    if (this.#own === 0) return undefined;
    const byHost = this.#byHost;
    let name = serverName?.toLowerCase() ?? '';
    if (name.endsWith('.')) name = name.slice(0, -1);
    if (name !== '') {
      if (byHost.has(name)) return byHost.get(name);
      const dot = name.indexOf('.');
      const wildcard = dot > 0 ? `*${name.slice(dot)}` : undefined;
      if (wildcard !== undefined && byHost.has(wildcard)) return byHost.get(wildcard);
    }
    return byHost.get('');
  }

  /** The host's own policy, or undefined when its terms are the global ones. */
  #policyOf(vhost: VirtualHost, policies: Map<string, CipherPolicy>): CipherPolicy | undefined {
    if (!hasOwnCiphers(vhost)) return undefined;
    const ciphers = vhost.sslCiphers ?? this.#global.ciphers;
    const honorCipherOrder = vhost.sslPreferServerCiphers ?? this.#global.honorCipherOrder;
    const key = cipherPolicyKey(ciphers, honorCipherOrder);
    if (key === this.#global.key) return undefined;
    let policy = policies.get(key);
    if (policy === undefined) policies.set(key, (policy = { key, ciphers, honorCipherOrder }));
    return policy;
  }
}

function hasOwnCiphers(vhost: VirtualHost): boolean {
  return vhost.sslCiphers !== undefined || vhost.sslPreferServerCiphers !== undefined;
}
