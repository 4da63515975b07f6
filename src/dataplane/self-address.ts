import type { RouteTable } from '../routing/route-table.ts';
import type { TableDelta } from '../routing/table-delta.ts';

/**
 * Where this Pier listens, and which hosts its table serves: an auth subrequest to a host Pier
 * serves itself (the oauth2-proxy set-up, `auth-url: https://$host/oauth2/auth`) connects to
 * Pier's own listener instead of looking the name up. It is the same trip the request would
 * make through DNS and the load balancer in front of Pier (that name leads to Pier: the
 * client's request for it just arrived here), without leaving the pod, and it works where the
 * name does not resolve from inside the cluster. Hosts are those of the table in force.
 */
export class SelfAddress {
  readonly address: string;
  readonly httpPort: number;
  readonly httpsPort: number | undefined;
  #hosts = new Set<string>();

  constructor(bindAddress: string, httpPort: number, httpsPort: number | undefined) {
    this.address = bindAddress === '0.0.0.0' || bindAddress === '' ? '127.0.0.1' : bindAddress === '::' ? '::1' : bindAddress;
    this.httpPort = httpPort;
    this.httpsPort = httpsPort;
  }

  /** Takes the hosts of the table about to be served. */
  serve(table: RouteTable): void {
    this.#hosts = new Set(table.virtualHosts.map((v) => v.host).filter((h) => h !== ''));
  }

  /** Follows a table delta. In place (a copy of tens of thousands of names per swap would cost
   * more than the swap): swaps run within one turn of the event loop, so no lookup sees half. */
  change(delta: TableDelta): void {
    const hosts = delta.virtualHosts;
    if (hosts.whole === true) this.#hosts.clear();
    for (const host of hosts.remove) this.#hosts.delete(host);
    for (const vhost of hosts.upsert) if (vhost.host !== '') this.#hosts.add(vhost.host);
  }

  /** Whether `host` (lower-case, no port) is one of the table's hosts, by name or wildcard. */
  serves(host: string): boolean {
    if (this.#hosts.has(host)) return true;
    const dot = host.indexOf('.');
    return dot > 0 && this.#hosts.has(`*${host.slice(dot)}`);
  }

  /** The listener for `protocol` (`http:`, `https:`), if Pier has one. */
  portFor(protocol: string): number | undefined {
    return protocol === 'https:' ? this.httpsPort : this.httpPort;
  }
}
