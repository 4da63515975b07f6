import type { RouteTable } from '../../routing/route-table.ts';
import type { TableDelta } from '../../routing/table-delta.ts';

/**
 * The table's passthrough hosts (`VirtualHost.passthrough`): server name → backend id, matched
 * exactly as ingress-nginx's TLS proxy does (no wildcard, no any-host entry). Rebuilt once per
 * table swap (or changed by a table delta), never changed in place: a new map replaces the old.
 */
export class PassthroughHosts {
  #targets = new Map<string, string>();

  /** How many hosts are passed through: 0 lets the HTTPS listener skip reading ClientHellos. */
  get size(): number {
    return this.#targets.size;
  }

  update(table: RouteTable): void {
    const targets = new Map<string, string>();
    for (const vhost of table.virtualHosts) if (vhost.passthrough !== undefined && !targets.has(vhost.host)) targets.set(vhost.host, vhost.passthrough);
    this.#targets = targets;
  }

  /** Follows a table delta: the hosts it names are looked at again. */
  change(delta: TableDelta): void {
    const hosts = delta.virtualHosts;
    if (hosts.whole === true) {
      this.update({ virtualHosts: hosts.upsert, backends: [] });
      return;
    }
    if (hosts.upsert.length === 0 && hosts.remove.length === 0) return;
    const verdicts = new Map<string, string | undefined>();
    for (const host of hosts.remove) verdicts.set(host, undefined);
    // A host listed more than once: its first entry with a target counts (as update()).
    for (const vhost of hosts.upsert) if (!verdicts.has(vhost.host) || verdicts.get(vhost.host) === undefined) verdicts.set(vhost.host, vhost.passthrough);
    let targets: Map<string, string> | undefined;
    for (const [host, target] of verdicts) {
      if (target === this.#targets.get(host)) continue;
      targets ??= new Map(this.#targets);
      if (target === undefined) targets.delete(host);
      else targets.set(host, target);
    }
    if (targets !== undefined) this.#targets = targets;
  }

  /** The backend id TLS connections naming `serverName` (lower-case, no trailing dot) go to. */
  targetOf(serverName: string): string | undefined {
    return this.#targets.get(serverName);
  }
}
