import type { Backend } from '../../routing/route-table.ts';
import type { BalancerOptions } from './base-balancer.ts';
import { BaseBalancer } from './base-balancer.ts';

/**
 * Power of two choices, as nginx's `random two least_conn`
 * (src/http/modules/ngx_http_upstream_random_module.c, `ngx_http_upstream_get_random2_peer`):
 * draw two different servers at random, in proportion to weight, and take the one with fewer
 * in-flight requests relative to its weight (the first on a tie). Mitzenmacher showed two
 * choices cut the maximum load exponentially compared with one, without the herd effect of
 * every worker chasing the same least-loaded server.
 */
export class RandomTwoChoicesBalancer extends BaseBalancer {
  constructor(backend: Backend, options?: BalancerOptions) {
    super(backend, options);
  }

  protected select(): number {
    let total = 0;
    let count = 0;
    for (let i = 0; i < this.servers.length; i++) {
      if (this.eligible(i)) {
        total += this.servers[i]!.weight;
        count += 1;
      }
    }
    if (count === 0) return -1;
    const first = this.#draw(total, -1);
    if (count === 1) return first;
    const second = this.#draw(total - this.servers[first]!.weight, first);
    const a = this.servers[first]!;
    const b = this.servers[second]!;
    return this.active[second]! * a.weight < this.active[first]! * b.weight ? second : first;
  }

  /** A weighted random eligible server other than `skip`; `total` is their weight sum. */
  #draw(total: number, skip: number): number {
    let w = this.random() * total;
    let last = -1;
    for (let i = 0; i < this.servers.length; i++) {
      if (i === skip || !this.eligible(i)) continue;
      last = i;
      w -= this.servers[i]!.weight;
      if (w < 0) return i;
    }
    return last;
  }
}
