import type { Backend, UpstreamServer } from '../../routing/route-table.ts';
import type { BaseBalancer } from '../balance/base-balancer.ts';
import { serverKey } from '../balance/passive-health.ts';
import { checksOverHttp2, createH2Probe } from './h2-probe.ts';
import type { Probe } from './http-probe.ts';
import { createHttpProbe } from './http-probe.ts';

/** Collaborators; the default probe is an HTTP GET through undici, over HTTP/2 (or the gRPC
 * health protocol) for a backend that speaks only HTTP/2. */
export interface ActiveHealthCheckerOptions {
  readonly probe?: Probe;
  /** Called when a server flips (for logs and metrics; never per check). */
  readonly onChange?: (server: UpstreamServer, healthy: boolean) => void;
}

interface ServerState {
  passes: number;
  fails: number;
  healthy: boolean;
  inFlight: boolean;
}

/**
 * Active health checks for one backend (nginx plus `health_check`): every `intervalMs` each
 * server gets a probe; `unhealthyThreshold` consecutive failures mark it down in the balancer
 * (the same down state passive health uses), `healthyThreshold` consecutive passes bring it
 * back. Servers start healthy, so a new backend takes traffic at once. A server whose previous
 * probe is still running is skipped, never probed twice at a time.
 *
 * One checker per backend per worker. The proxy calls `start()` when a backend with
 * `policy.healthCheck` appears, `update()` on each table swap (state is kept by host:port, and
 * re-applied to the new balancer) and `stop()` when the backend or its health check goes away.
 */
export class ActiveHealthChecker {
  #backend: Backend;
  #balancer: BaseBalancer;
  readonly #states = new Map<string, ServerState>();
  readonly #onChange: ActiveHealthCheckerOptions['onChange'];
  readonly #injected: Probe | undefined;
  #probe: Probe | undefined;
  #closeProbe: (() => Promise<void>) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running = new Set<Promise<void>>();
  /** Set by stop(): final, so a restart still awaiting its probes cannot revive the checker. */
  #stopped = false;

  constructor(backend: Backend, balancer: BaseBalancer, options: ActiveHealthCheckerOptions = {}) {
    this.#backend = backend;
    this.#balancer = balancer;
    this.#onChange = options.onChange;
    this.#injected = options.probe;
  }

  /** Starts checking (the first round runs immediately). No-op without `policy.healthCheck`,
   * and after stop(). */
  start(): void {
    const check = this.#backend.policy.healthCheck;
    if (!check || this.#timer || this.#stopped) return;
    if (this.#injected) this.#probe = this.#injected;
    else {
      const policy = this.#backend.policy;
      ({ probe: this.#probe, close: this.#closeProbe } = checksOverHttp2(policy) ? createH2Probe(policy) : createHttpProbe(policy));
    }
    this.#timer = setInterval(() => this.#round(), check.intervalMs);
    this.#timer.unref();
    this.#round();
  }

  /** A table swap: new server list and balancer; known servers keep their verdict. */
  update(backend: Backend, balancer: BaseBalancer): void {
    const policyChanged = JSON.stringify(backend.policy) !== JSON.stringify(this.#backend.policy);
    this.#backend = backend;
    this.#balancer = balancer;
    const keys = new Set(backend.servers.map(serverKey));
    for (const key of this.#states.keys()) if (!keys.has(key)) this.#states.delete(key);
    backend.servers.forEach((server, index) => {
      const state = this.#states.get(serverKey(server));
      if (state) balancer.health.setActiveDown(index, !state.healthy);
    });
    if (policyChanged && this.#timer) {
      void this.#restart();
    }
  }

  /** The checker's verdict for `host:port` (true when never checked). */
  healthy(server: { host: string; port: number }): boolean {
    return this.#states.get(serverKey(server))?.healthy ?? true;
  }

  /** Stops for good: the timer, then waits for running probes and closes their connections. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#halt();
  }

  async #halt(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled([...this.#running]);
    // Taken before awaiting, so a restart and a stop overlapping close it once.
    const close = this.#closeProbe;
    this.#closeProbe = undefined;
    await close?.();
  }

  async #restart(): Promise<void> {
    await this.#halt();
    this.start();
  }

  #round(): void {
    for (const server of this.#backend.servers) {
      const key = serverKey(server);
      let state = this.#states.get(key);
      if (!state) {
        state = { passes: 0, fails: 0, healthy: true, inFlight: false };
        this.#states.set(key, state);
      }
      if (state.inFlight || !this.#probe) continue;
      state.inFlight = true;
      const running = this.#probe(server).then(
        (ok) => this.#record(server, state, ok),
        () => this.#record(server, state, false),
      );
      this.#running.add(running);
      void running.finally(() => this.#running.delete(running));
    }
  }

  #record(server: UpstreamServer, state: ServerState, ok: boolean): void {
    state.inFlight = false;
    const check = this.#backend.policy.healthCheck;
    if (!check || !this.#timer) return;
    if (ok) {
      state.fails = 0;
      state.passes += 1;
      if (!state.healthy && state.passes >= check.healthyThreshold) this.#flip(server, state, true);
    } else {
      state.passes = 0;
      state.fails += 1;
      if (state.healthy && state.fails >= check.unhealthyThreshold) this.#flip(server, state, false);
    }
  }

  #flip(server: UpstreamServer, state: ServerState, healthy: boolean): void {
    state.healthy = healthy;
    const key = serverKey(server);
    this.#backend.servers.forEach((s, index) => {
      if (serverKey(s) === key) this.#balancer.health.setActiveDown(index, !healthy);
    });
    this.#onChange?.(server, healthy);
  }
}
