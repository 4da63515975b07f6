import { WeightedBalancer } from './weighted-balancer.ts';

/**
 * Smooth weighted round robin, nginx's default (`ngx_http_upstream_get_peer`,
 * src/http/ngx_http_upstream_round_robin.c). See SmoothWeights for the algorithm.
 */
export class RoundRobinBalancer extends WeightedBalancer {
  protected select(): number {
    const w = this.weights;
    w.begin();
    for (let i = 0; i < this.servers.length; i++) {
      if (this.eligible(i)) w.offer(i);
    }
    return w.end();
  }
}
