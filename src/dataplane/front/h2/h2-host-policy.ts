import type { RouteTable } from '../../../routing/route-table.ts';

/**
 * The hosts that opted out of HTTP/2 (`VirtualHost.http2: false`, the `pier.dev/http2: "false"`
 * annotation), looked up as the router matches hosts: the exact name, then the single-label
 * wildcard `*.rest`, then the any-host entry. Rebuilt once per table swap.
 */
export class H2HostPolicy {
  #off = new Set<string>();

  update(table: RouteTable): void {
    const off = new Set<string>();
    for (const vhost of table.virtualHosts) if (vhost.http2 === false) off.add(vhost.host);
    this.#off = off;
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
