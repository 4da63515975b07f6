import type { UpstreamServer } from '../../routing/route-table.ts';

/** `host:port`: how a server is recognised across table swaps. */
export function serverKey(server: { readonly host: string; readonly port: number }): string {
  return `${server.host}:${server.port}`;
}

/**
 * Per-server health shared by every balancer, after nginx's round-robin peer state
 * (`ngx_http_upstream_free_round_robin_peer`): a server failing `maxFails` times within
 * `failTimeoutMs` is down for `failTimeoutMs`; `maxFails: 0` never marks it down. A good
 * response clears the failure count (and the down mark: it proves the server is back).
 *
 * Active health checks (dataplane/health/) feed `setActiveDown`; a server is down when either
 * source says so.
 *
 * State lives in typed arrays indexed like `Backend.servers` so `isDown` costs no allocation.
 * `markedCount` lets `pick` skip the clock entirely while nothing is marked down (the normal case).
 */
export class PassiveHealth {
  readonly servers: readonly UpstreamServer[];
  /** Failures counted in the current window. */
  readonly fails: number[];
  /** When the current failure window started (ms). */
  readonly windowStart: number[];
  /** Down until this time (ms); 0 = not marked. */
  readonly downUntil: number[];
  /** Set by the active health checker. */
  readonly activeDown: number[];
  #marked = 0;

  constructor(servers: readonly UpstreamServer[]) {
    this.servers = servers;
    const n = servers.length;
    // Plain arrays (see smooth-weights.ts): a few servers each, many backends.
    this.fails = new Array<number>(n).fill(0);
    this.windowStart = new Array<number>(n).fill(0);
    this.downUntil = new Array<number>(n).fill(0);
    this.activeDown = new Array<number>(n).fill(0);
  }

  /** Number of servers carrying a down mark (possibly expired): 0 means all are up. */
  get markedCount(): number {
    return this.#marked;
  }

  isDown(index: number, now: number): boolean {
    return this.activeDown[index] === 1 || this.downUntil[index]! > now;
  }

  /** A failed try at `now` (ms). */
  failed(index: number, now: number): void {
    const server = this.servers[index];
    if (!server || server.maxFails === 0) return;
    if (now - this.windowStart[index]! >= server.failTimeoutMs || this.fails[index] === 0) {
      this.fails[index] = 0;
      this.windowStart[index] = now;
    }
    this.fails[index]! += 1;
    if (this.fails[index]! >= server.maxFails) {
      if (this.downUntil[index] === 0) this.#marked += 1;
      this.downUntil[index] = now + server.failTimeoutMs;
      // The next down period starts a fresh count, as nginx does once fail_timeout passed.
      this.fails[index] = 0;
    }
  }

  succeeded(index: number): void {
    if (index < 0 || index >= this.servers.length) return;
    this.fails[index] = 0;
    this.#unmark(index);
  }

  /** Active health checks' verdict for server `index`. */
  setActiveDown(index: number, down: boolean): void {
    if (index < 0 || index >= this.servers.length) return;
    const was = this.activeDown[index] === 1;
    if (was === down) return;
    this.activeDown[index] = down ? 1 : 0;
    this.#marked += down ? 1 : -1;
  }

  /** Drops expired passive marks so `markedCount` returns to 0 once every server is back. */
  expire(now: number): void {
    for (let i = 0; i < this.servers.length; i++) {
      if (this.downUntil[i] !== 0 && this.downUntil[i]! <= now) this.#unmark(i);
    }
  }

  /**
   * Copies the state of servers (same host:port) present in `previous` and in this table, so a
   * table swap neither forgets a dead server nor revives it early. Active-check marks are copied
   * only when `withActive` (the new backend still has health checks).
   */
  carryOver(previous: PassiveHealth, withActive: boolean): void {
    const byKey = new Map<string, number>();
    previous.servers.forEach((s, i) => byKey.set(serverKey(s), i));
    this.servers.forEach((s, i) => {
      const p = byKey.get(serverKey(s));
      if (p === undefined) return;
      this.fails[i] = previous.fails[p]!;
      this.windowStart[i] = previous.windowStart[p]!;
      if (previous.downUntil[p] !== 0) {
        this.downUntil[i] = previous.downUntil[p]!;
        this.#marked += 1;
      }
      if (withActive && previous.activeDown[p] === 1) this.setActiveDown(i, true);
    });
  }

  #unmark(index: number): void {
    if (this.downUntil[index] !== 0) {
      this.downUntil[index] = 0;
      this.#marked -= 1;
    }
  }
}
