import type { Backend, HashKey } from '../../routing/route-table.ts';
import type { PickContext } from './balancer.ts';
import type { BalancerOptions } from './base-balancer.ts';
import { BaseBalancer } from './base-balancer.ts';
import { HashRing, hash32 } from './hash-ring.ts';
import { hashKeyOf } from './hash-key.ts';
import { SmoothWeights } from './smooth-weights.ts';

/**
 * Consistent hash over a ketama ring (see HashRing), as nginx's `hash $key consistent`. The
 * key comes from a header, a cookie or the client address (`policy.hashKey`). A key whose
 * server is down or already tried walks on along the ring, so it lands on the same next server
 * every time and returns when its server does. Requests without the key are spread by round
 * robin rather than all sent to the server owning the empty string.
 */
export class ConsistentHashBalancer extends BaseBalancer {
  readonly #ring: HashRing;
  readonly #key: HashKey;
  readonly #fallback: SmoothWeights;

  constructor(backend: Backend, options?: BalancerOptions) {
    super(backend, options);
    this.#ring = new HashRing(backend.servers);
    this.#key = backend.policy.hashKey ?? { source: 'ClientAddress' };
    this.#fallback = new SmoothWeights(backend.servers);
  }

  protected select(ctx: PickContext): number {
    const key = hashKeyOf(this.#key, ctx);
    const ring = this.#ring;
    if (key !== '' && ring.size > 0) {
      const start = ring.find(hash32(key));
      for (let n = 0, at = start; n < ring.size; n++, at = at + 1 === ring.size ? 0 : at + 1) {
        const owner = ring.owners[at]!;
        if (this.eligible(owner)) return owner;
      }
      return -1;
    }
    const w = this.#fallback;
    w.begin();
    for (let i = 0; i < this.servers.length; i++) if (this.eligible(i)) w.offer(i);
    return w.end();
  }
}
