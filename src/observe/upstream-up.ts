import { backendParts } from '../dataplane/metrics/route-meter.ts';
import { EMPTY_TABLE, type RouteTable } from '../routing/route-table.ts';

/**
 * `pier_upstream_up{namespace,upstream,server}`, rendered by the primary: 1 for every server
 * of every backend in the table in force, 0 where any worker's balancer holds it down (passive
 * or active health) or its backend is unavailable. Workers report only the servers they hold
 * down, with each scrape (metrics-report.ts); the primary already has every server in its
 * table. One series per endpoint is 60,000 at 10,000 Ingresses: through prom-client's cluster
 * aggregation (a label object and key per series in each worker, JSON over IPC, a merge in the
 * primary) a scrape took 1.4 s of the primary's event loop and ~100 MiB of garbage; rendered
 * from the table it is one pass over the servers.
 */
export class UpstreamUp {
  #table: RouteTable = EMPTY_TABLE;
  /** Per worker (pid), the keys (`serverKey`) of the servers it held down at its last report. */
  readonly #down = new Map<number, ReadonlySet<string>>();

  /** The table in force (published). */
  retain(table: RouteTable): void {
    this.#table = table;
  }

  /** Worker `pid` reported the servers it holds down now. */
  report(pid: number, down: readonly string[]): void {
    this.#down.set(pid, new Set(down));
  }

  /** Worker `pid` exited: its view no longer counts. */
  left(pid: number): void {
    this.#down.delete(pid);
  }

  /** The metric in Prometheus' text format. */
  text(): string {
    const down = [...this.#down.values()].filter((set) => set.size > 0);
    const lines = ['# HELP pier_upstream_up 1 when an upstream server takes requests, 0 when passive or active health holds it down (in any worker).', '# TYPE pier_upstream_up gauge'];
    for (const backend of this.#table.backends) {
      if (backend.servers.length === 0) continue;
      const { namespace, upstream } = backendParts(backend.id);
      const prefix = `pier_upstream_up{namespace="${escape(namespace)}",upstream="${escape(upstream)}",server="`;
      for (const s of backend.servers) {
        const server = `${s.host}:${s.port}`;
        const key = serverKey(backend.id, server);
        const isDown = down.some((set) => set.has(key));
        lines.push(`${prefix}${escape(server)}"} ${isDown ? 0 : 1}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

/** How a worker names a server it holds down. */
export function serverKey(backendId: string, server: string): string {
  return `${backendId}\n${server}`;
}

/** A label value as the text format wants it. */
function escape(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}
