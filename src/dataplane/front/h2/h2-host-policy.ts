import type { RouteTable } from '../../../routing/route-table.ts';
import type { TableDelta } from '../../../routing/table-delta.ts';

/**
 * The hosts that opted out of HTTP/2 (`VirtualHost.http2: false`, the `pier.dev/http2: "false"`
 * annotation), looked up as the router matches hosts: the exact name, then the single-label
 * wildcard `*.rest`, then the any-host entry. Rebuilt once per table swap (or changed by a
 * table delta), never changed in place: a new set replaces the old.
 */
export class H2HostPolicy {
  #off = new Set<string>();

  update(table: RouteTable): void {
    const off = new Set<string>();
    for (const vhost of table.virtualHosts) if (vhost.http2 === false) off.add(vhost.host);
    this.#off = off;
  }

  /** Follows a table delta: the hosts it names are looked at again. */
  change(delta: TableDelta): void {
    const hosts = delta.virtualHosts;
    if (hosts.whole === true) {
      this.update({ virtualHosts: hosts.upsert, backends: [] });
      return;
    }
    const verdicts = new Map<string, boolean>();
    for (const host of hosts.remove) verdicts.set(host, false);
    // A host listed more than once is off when any of its entries is.
    for (const vhost of hosts.upsert) verdicts.set(vhost.host, verdicts.get(vhost.host) === true || vhost.http2 === false);
    let off: Set<string> | undefined;
    for (const [host, isOff] of verdicts) {
      if (isOff === this.#off.has(host)) continue;
      off ??= new Set(this.#off);
      if (isOff) off.add(host);
      else off.delete(host);
    }
    if (off !== undefined) this.#off = off;
  }

  /** Whether `host` (any case, no port) may be served over HTTP/2. */
  allowed(host: string): boolean {
    const off = this.#off;
    if (off.size === 0) return true;
    let name = host.toLowerCase();
    if (name.endsWith('.')) name = name.slice(0, -1);
    if (off.has(name)) return false;
    const dot = name.indexOf('.');
    if (dot > 0 && off.has(`*${name.slice(dot)}`)) return false;
    return !off.has('');
  }
}
