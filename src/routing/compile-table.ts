import { HostRules, type RouteMatch } from './host-rules.ts';
import { normalizeHost, wildcardSuffix } from './normalize-host.ts';
import { DEFAULT_POLICY, type Backend, type Route, type RouteTable, type VirtualHost } from './route-table.ts';

export type { RouteMatch } from './host-rules.ts';

/**
 * A RouteTable compiled for matching. Immutable: a swap compiles a new one and replaces the
 * reference, so a request keeps the CompiledTable it started with.
 */
export interface CompiledTable<B = Backend, P = unknown, M = undefined> {
  readonly table: RouteTable;
  /** Every backend of the table, bound, by id. */
  readonly backends: ReadonlyMap<string, B>;
  /**
   * The route for a request: `host` is the raw Host header value (or undefined), `target` the
   * request target as received (`/path?query`). Undefined means 404.
   */
  match(host: string | undefined, target: string): RouteMatch<B, P, M> | undefined;
}

/** Compiles a route's policies into what a match carries (undefined: no policies, no pipeline). */
export type RouteBinder<B, P> = (route: Route, vhost: VirtualHost, backend: B, resolve: (id: string) => B) => P | undefined;

/** The meter of a route (undefined: a match by the table's default backend), bound once per compile. */
export type RouteMeterBinder<B, M> = (route: Route | undefined, backend: B) => M;

/**
 * Compiles `table`. `bind` turns each backend into what matches should carry (the dataplane
 * attaches its balancer and pools there), so a match costs no second lookup and no allocation:
 * every possible result object is built here, once. `meterOf` gives each match its meter (the
 * dataplane's per-route request counters), so counting a request needs no lookup either.
 *
 * Matching order, as Ingress v1 defines it — a rule matches when its host AND one of its paths
 * match, so a host whose paths all miss falls through to the next less specific host:
 *   1. the exact host (case-insensitive, port and one trailing dot ignored),
 *   2. the single-label wildcard (`*.foo.com` matches `bar.foo.com`, not `a.bar.foo.com`
 *      nor `foo.com`),
 *   3. the rules without host (`''`),
 *   4. the table's default backend,
 * and otherwise nothing (404). Within a host: Exact (case-sensitive equality) beats Prefix;
 * among Prefixes the longest element-wise match wins. Paths are compared as received (no
 * percent-decoding, no `//` merging); the query string is not part of the path.
 */
export function compileTable<B = Backend, P = unknown, M = undefined>(
  table: RouteTable, bind?: (backend: Backend) => B, bindRoute?: RouteBinder<B, P>, meterOf?: RouteMeterBinder<B, M>,
): CompiledTable<B, P, M> {
  const meter = meterOf ?? (() => undefined as M);
  const binder = bind ?? ((b: Backend) => b as unknown as B);
  const backends = new Map<string, B>();
  for (const backend of table.backends) if (!backends.has(backend.id)) backends.set(backend.id, binder(backend));
  const resolve = (id: string): B => {
    let bound = backends.get(id);
    if (bound === undefined) {
      // translate/ never emits a dangling id; if one slips through it must answer 503, not
      // fall through to another rule.
      bound = binder({ id, servers: [], policy: DEFAULT_POLICY, unavailable: 'BackendMissing' });
      backends.set(id, bound);
    }
    return bound;
  };

  const exact = new Map<string, HostRules<B, P, M>>();
  const wildcard = new Map<string, HostRules<B, P, M>>();
  let anyHost: HostRules<B, P, M> | undefined;
  for (const vhost of table.virtualHosts) {
    const rules = new HostRules<B, P, M>(vhost.routes.map((route) => {
      const backend = resolve(route.backend);
      const pipeline = route.policies === undefined || bindRoute === undefined ? undefined : bindRoute(route, vhost, backend, resolve);
      return { route, backend, pipeline, meter: meter(route, backend) };
    }));
    const host = vhost.host.toLowerCase();
    if (host === '') anyHost ??= rules;
    else if (host.startsWith('*.')) setOnce(wildcard, host.slice(2), rules);
    else setOnce(exact, normalizeHost(host), rules);
  }
  let fallback: RouteMatch<B, P, M> | undefined;
  if (table.defaultBackend !== undefined) {
    const backend = resolve(table.defaultBackend);
    fallback = { route: undefined, backend, pipeline: undefined, meter: meter(undefined, backend) };
  }
  return new Compiled(table, backends, exact, wildcard, anyHost, fallback);
}

function setOnce<V>(map: Map<string, V>, key: string, value: V): void {
  if (!map.has(key)) map.set(key, value);
}

class Compiled<B, P, M> implements CompiledTable<B, P, M> {
  readonly table: RouteTable;
  readonly backends: ReadonlyMap<string, B>;
  readonly #exact: Map<string, HostRules<B, P, M>>;
  readonly #wildcard: Map<string, HostRules<B, P, M>>;
  readonly #anyHost: HostRules<B, P, M> | undefined;
  readonly #fallback: RouteMatch<B, P, M> | undefined;

  constructor(
    table: RouteTable,
    backends: ReadonlyMap<string, B>,
    exact: Map<string, HostRules<B, P, M>>,
    wildcard: Map<string, HostRules<B, P, M>>,
    anyHost: HostRules<B, P, M> | undefined,
    fallback: RouteMatch<B, P, M> | undefined,
  ) {
    this.table = table;
    this.backends = backends;
    this.#exact = exact;
    this.#wildcard = wildcard;
    this.#anyHost = anyHost;
    this.#fallback = fallback;
  }

  match(host: string | undefined, target: string): RouteMatch<B, P, M> | undefined {
    const q = target.indexOf('?');
    const pathEnd = q < 0 ? target.length : q;
    const name = normalizeHost(host);
    if (name !== '') {
      const rules = this.#exact.get(name);
      const m = rules?.match(target, pathEnd);
      if (m !== undefined) return m;
      if (this.#wildcard.size > 0) {
        const suffix = wildcardSuffix(name);
        const w = suffix === undefined ? undefined : this.#wildcard.get(suffix)?.match(target, pathEnd);
        if (w !== undefined) return w;
      }
    }
    return this.#anyHost?.match(target, pathEnd) ?? this.#fallback;
  }
}
