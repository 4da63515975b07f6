import type { Backend } from '../../routing/route-table.ts';
import type { BalancerOptions } from './base-balancer.ts';
import { BaseBalancer } from './base-balancer.ts';
import { SmoothWeights } from './smooth-weights.ts';

/**
 * Smooth weighted round robin, nginx's default (`ngx_http_upstream_get_peer`,
 * src/http/ngx_http_upstream_round_robin.c). See SmoothWeights for the algorithm.
 */
export class RoundRobinBalancer extends BaseBalancer {
  readonly #weights: SmoothWeights;

  constructor(backend: Backend, options?: BalancerOptions) {
    super(backend, options);
    this.#weights = new SmoothWeights(backend.servers);
  }

  override failed(index: number, now: number): void {
    super.failed(index, now);
    this.#weights.penalize(index);
  }

  protected select(): number {
    const w = this.#weights;
    w.begin();
    for (let i = 0; i < this.servers.length; i++) {
      if (this.eligible(i)) w.offer(i);
    }
    return w.end();
  }
}
