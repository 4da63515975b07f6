import type { Backend } from '../../routing/route-table.ts';
import type { PickContext } from './balancer.ts';
import type { BalancerOptions } from './base-balancer.ts';
import { BaseBalancer } from './base-balancer.ts';
import { addressBytes } from './address-bytes.ts';
import { SmoothWeights } from './smooth-weights.ts';

/** nginx gives up rehashing after 20 tries and falls back to round robin. */
const MAX_TRIES = 20;

/**
 * IP hash, as nginx's `ip_hash` (src/http/modules/ngx_http_upstream_ip_hash_module.c): the
 * key is the first three octets of an IPv4 client (a /24 sticks together) or the whole IPv6
 * address; hash = (hash * 113 + byte) % 6271 from 89, then the weighted slot hash % total.
 * When that server is down or already tried the hash is stirred again over the same bytes, so
 * every client has a fixed sequence of servers: marking one server down moves only its
 * clients, and they come back when it does. After 20 misses, or for a non-IP client address,
 * round robin.
 */
export class IPHashBalancer extends BaseBalancer {
  readonly #fallback: SmoothWeights;
  readonly #bytes = new Uint8Array(16);
  readonly #totalWeight: number;

  constructor(backend: Backend, options?: BalancerOptions) {
    super(backend, options);
    this.#fallback = new SmoothWeights(backend.servers);
    this.#totalWeight = backend.servers.reduce((sum, s) => (s.backup ? sum : sum + s.weight), 0);
  }

  protected select(ctx: PickContext): number {
    const length = addressBytes(ctx.clientAddress, this.#bytes);
    if (length > 0 && this.#totalWeight > 0) {
      const keyLength = length === 4 ? 3 : 16;
      let hash = 89;
      for (let tries = 0; tries < MAX_TRIES; tries++) {
        for (let i = 0; i < keyLength; i++) hash = (hash * 113 + this.#bytes[i]!) % 6271;
        const index = this.#slot(hash % this.#totalWeight);
        if (this.eligible(index)) return index;
      }
    }
    return this.#roundRobin();
  }

  #slot(w: number): number {
    const servers = this.servers;
    for (let i = 0; i < servers.length; i++) {
      const s = servers[i]!;
      if (s.backup) continue;
      if (w < s.weight) return i;
      w -= s.weight;
    }
    return servers.length - 1;
  }

  #roundRobin(): number {
    const w = this.#fallback;
    w.begin();
    for (let i = 0; i < this.servers.length; i++) {
      if (this.eligible(i)) w.offer(i);
    }
    return w.end();
  }
}
