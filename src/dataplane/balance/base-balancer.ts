import type { Backend, UpstreamServer } from '../../routing/route-table.ts';
import type { Balancer, PickContext } from './balancer.ts';
import { PassiveHealth } from './passive-health.ts';

/** Collaborators a balancer may be given; defaults are the real clock and Math.random. */
export interface BalancerOptions {
  readonly now?: () => number;
  readonly random?: () => number;
}

/**
 * What every algorithm shares: tiers (primaries, then backups), passive health, in-flight
 * counts, and the all-down decision. Subclasses only implement `select`: choose one server
 * among those `eligible` (right tier, not tried, not down unless `ignoreHealth`).
 *
 * Order of `pick` (nginx `ngx_http_upstream_get_round_robin_peer`):
 * 1. primaries that are up and not yet tried by this request;
 * 2. otherwise backups that are up and not tried (nginx moves to `backup` servers whenever the
 *    primary tier yields nothing, which is "every primary down" for a fresh request and also
 *    "every primary down or already tried" for a retry);
 * 3. otherwise, if every server is down, pick ignoring health ("fail open"). nginx answers
 *    502 "no live upstreams" here but historically reset all peers to live "for quick recovery",
 *    and Envoy's panic threshold does the same: a guess at a probably-dead server beats a
 *    certain error, and the first success brings that server back (`succeeded` clears its mark).
 */
export abstract class BaseBalancer implements Balancer {
  readonly servers: readonly UpstreamServer[];
  readonly health: PassiveHealth;
  /** In-flight requests per server (least-connections bookkeeping). */
  readonly active: number[];
  protected readonly now: () => number;
  protected readonly random: () => number;
  readonly #hasBackups: boolean;
  // Per-pick scratch, set by pick() so select() and eligible() take no extra arguments.
  #tried: ReadonlySet<number> | undefined;
  #backupTier = false;
  #ignoreHealth = false;
  #clock = 0;

  constructor(backend: Backend, options: BalancerOptions = {}) {
    this.servers = backend.servers;
    this.health = new PassiveHealth(backend.servers);
    this.active = new Array<number>(backend.servers.length).fill(0);
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.#hasBackups = backend.servers.some((s) => s.backup);
  }

  pick(ctx: PickContext, tried?: ReadonlySet<number>): number {
    if (this.servers.length === 0) return -1;
    this.#tried = tried !== undefined && tried.size > 0 ? tried : undefined;
    this.#ignoreHealth = false;
    if (this.health.markedCount > 0) {
      this.#clock = this.now();
      this.health.expire(this.#clock);
    }
    let index = this.#tiers(ctx);
    if (index < 0 && this.health.markedCount > 0 && this.#everyServerDown()) {
      this.#ignoreHealth = true;
      index = this.#tiers(ctx);
    }
    this.#tried = undefined;
    return index;
  }

  available(index: number): boolean {
    if (index < 0 || index >= this.servers.length) return false;
    return this.health.markedCount === 0 || !this.health.isDown(index, this.now());
  }

  started(index: number): void {
    if (index >= 0 && index < this.active.length) this.active[index]! += 1;
  }

  finished(index: number): void {
    if (index >= 0 && index < this.active.length && this.active[index]! > 0) this.active[index]! -= 1;
  }

  failed(index: number, now: number): void {
    this.health.failed(index, now);
  }

  succeeded(index: number): void {
    this.health.succeeded(index);
  }

  /** Whether server `index` may be chosen by the current pick. */
  protected eligible(index: number): boolean {
    const server = this.servers[index]!;
    if (server.backup !== this.#backupTier) return false;
    if (this.#tried?.has(index)) return false;
    if (this.#ignoreHealth || this.health.markedCount === 0) return true;
    return !this.health.isDown(index, this.#clock);
  }

  /** Chooses one eligible server, or -1. Called once per tier. */
  protected abstract select(ctx: PickContext): number;

  #tiers(ctx: PickContext): number {
    this.#backupTier = false;
    const index = this.select(ctx);
    if (index >= 0 || !this.#hasBackups) return index;
    this.#backupTier = true;
    return this.select(ctx);
  }

  #everyServerDown(): boolean {
    for (let i = 0; i < this.servers.length; i++) {
      if (!this.health.isDown(i, this.#clock)) return false;
    }
    return true;
  }
}
