import { WeightedBalancer } from './weighted-balancer.ts';

/**
 * Weighted least connections, as nginx's `least_conn`
 * (src/http/modules/ngx_http_upstream_least_conn_module.c): the server with the fewest
 * in-flight requests relative to its weight (a.conns * b.weight < b.conns * a.weight, no
 * division); several equally good servers are chosen among by smooth weighted round robin.
 */
export class LeastConnectionsBalancer extends WeightedBalancer {
  protected select(): number {
    const servers = this.servers;
    const active = this.active;
    let best = -1;
    let ties = 0;
    for (let i = 0; i < servers.length; i++) {
      if (!this.eligible(i)) continue;
      if (best < 0 || active[i]! * servers[best]!.weight < active[best]! * servers[i]!.weight) {
        best = i;
        ties = 1;
      } else if (active[i]! * servers[best]!.weight === active[best]! * servers[i]!.weight) {
        ties += 1;
      }
    }
    if (ties <= 1) return best;
    const w = this.weights;
    w.begin();
    for (let i = best; i < servers.length; i++) {
      if (active[i]! * servers[best]!.weight === active[best]! * servers[i]!.weight && this.eligible(i)) w.offer(i);
    }
    return w.end();
  }
}
