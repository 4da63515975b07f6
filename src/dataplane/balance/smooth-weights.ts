import type { UpstreamServer } from '../../routing/route-table.ts';

/**
 * nginx's smooth weighted round robin state (`ngx_http_upstream_get_peer` in
 * ngx_http_upstream_round_robin.c): each pick adds every candidate's effective weight to its
 * current weight, chooses the largest current weight, and subtracts the candidates' total from
 * it. Weights 5,1,1 give a a b a c a a rather than a a a a a b c. A failure lowers a server's
 * effective weight by weight/maxFails; it climbs back by 1 per pick, so a flapping server
 * regains traffic gradually.
 */
export class SmoothWeights {
  // Plain arrays, not typed ones: a backend has a few servers, and each typed array (with its
  // ArrayBuffer) costs ~200 bytes before its data; 20,000 backends held ~35 MiB of them.
  readonly #weights: number[];
  readonly #maxFails: number[];
  readonly #current: number[];
  readonly #effective: number[];
  #best = -1;
  #total = 0;

  constructor(servers: readonly UpstreamServer[]) {
    const n = servers.length;
    this.#weights = servers.map((s) => s.weight);
    this.#maxFails = servers.map((s) => s.maxFails);
    this.#current = new Array<number>(n).fill(0);
    this.#effective = servers.map((s) => s.weight);
  }

  /** Starts a pick. */
  begin(): void {
    this.#best = -1;
    this.#total = 0;
  }

  /** Offers candidate `i` to the current pick. */
  offer(i: number): void {
    const effective = this.#effective[i]!;
    this.#current[i]! += effective;
    this.#total += effective;
    if (effective < this.#weights[i]!) this.#effective[i] = effective + 1;
    if (this.#best < 0 || this.#current[i]! > this.#current[this.#best]!) this.#best = i;
  }

  /** Ends the pick: the chosen index, or -1 when nothing was offered. */
  end(): number {
    const best = this.#best;
    if (best >= 0) this.#current[best]! -= this.#total;
    return best;
  }

  /** A failed try lowers the server's effective weight (nginx: weight / max_fails). */
  penalize(i: number): void {
    const maxFails = this.#maxFails[i];
    if (maxFails === undefined || maxFails === 0) return;
    this.#effective[i] = Math.max(0, this.#effective[i]! - this.#weights[i]! / maxFails);
  }
}
