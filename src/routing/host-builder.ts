import type { RouteBinder, RouteMeterBinder } from './compile-table.ts';
import { HostRules, type RouteMatch } from './host-rules.ts';
import { DEFAULT_POLICY, type Backend, type VirtualHost } from './route-table.ts';

/**
 * Builds each host's HostRules for compile-table.ts, resolving backend ids through the bound
 * backends and recording which ids each host's rules hold (its routes', and those its policies
 * resolve: a canary, a fallback backend, error pages), so that a later change of a backend
 * rebuilds exactly the hosts holding it.
 */
/** Where HostBuilder finds bound backends by id, and adds the ones it binds as missing. */
export interface BoundBackends<B> {
  get(id: string): B | undefined;
  set(id: string, bound: B): void;
}

export class HostBuilder<B, P, M> {
  readonly #backends: BoundBackends<B>;
  readonly #bind: (backend: Backend) => B;
  readonly #bindRoute: RouteBinder<B, P> | undefined;
  readonly #meter: RouteMeterBinder<B, M>;
  /** Ids the host being built holds, each once (a handful: a list beats a set). */
  #ids: string[] = [];
  /** Ids bound as missing by this builder. */
  readonly placeholders: string[] = [];
  readonly #resolve = (id: string): B => {
    if (!this.#ids.includes(id)) this.#ids.push(id);
    let bound = this.#backends.get(id);
    if (bound === undefined) {
      // translate/ never emits a dangling id; if one slips through it must answer 503, not
      // fall through to another rule.
      bound = this.#bind({ id, servers: [], policy: DEFAULT_POLICY, unavailable: 'BackendMissing' });
      this.#backends.set(id, bound);
      this.placeholders.push(id);
    }
    return bound;
  };

  /** `backends`: the bound backends by id, to which missing ids are added as they are met. */
  constructor(backends: BoundBackends<B>, bind: (backend: Backend) => B, bindRoute: RouteBinder<B, P> | undefined, meterOf?: RouteMeterBinder<B, M>) {
    this.#backends = backends;
    this.#bind = bind;
    this.#bindRoute = bindRoute;
    this.#meter = meterOf ?? (() => undefined as M);
  }

  host(vhost: VirtualHost): { rules: HostRules<B, P, M>; ids: string[] } {
    this.#ids = [];
    const bindRoute = this.#bindRoute;
    const rules = new HostRules<B, P, M>(vhost.routes.map((route) => {
      const backend = this.#resolve(route.backend);
      const pipeline = bindRoute === undefined ? undefined : bindRoute(route, vhost, backend, this.#resolve);
      return { route, backend, pipeline, meter: this.#meter(route, backend) };
    }));
    return { rules, ids: this.#ids };
  }

  /** The match of the table's default backend. */
  fallback(id: string | undefined): { match: RouteMatch<B, P, M> | undefined; ids: string[] } {
    this.#ids = [];
    if (id === undefined) return { match: undefined, ids: [] };
    const backend = this.#resolve(id);
    const pipeline = this.#bindRoute === undefined ? undefined : this.#bindRoute(undefined, undefined, backend, this.#resolve);
    return { match: { route: undefined, backend, pipeline, meter: this.#meter(undefined, backend) }, ids: [id] };
  }
}
