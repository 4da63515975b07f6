import type { Backend } from '../../routing/route-table.ts';
import type { BalancerOptions } from './base-balancer.ts';
import { BaseBalancer } from './base-balancer.ts';
import { SmoothWeights } from './smooth-weights.ts';

/**
 * A balancer that chooses by smooth weighted round robin (all of it, or among ties) and, as
 * nginx, lowers a server's effective weight on each failed try (weight / max_fails).
 */
export abstract class WeightedBalancer extends BaseBalancer {
  protected readonly weights: SmoothWeights;

  constructor(backend: Backend, options?: BalancerOptions) {
    super(backend, options);
    this.weights = new SmoothWeights(backend.servers);
  }

  override failed(index: number, now: number): void {
    super.failed(index, now);
    this.weights.penalize(index);
  }
}
