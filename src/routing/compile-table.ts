import { attachIndex, CompileIndex, DEFAULT_ENTRY } from './compile-index.ts';
import { claim, CompiledRoutes, slotOf, type HostSlots } from './compiled-routes.ts';
import { HostBuilder } from './host-builder.ts';
import { LayeredMap } from './layered-map.ts';
import type { HostRules, RouteMatch } from './host-rules.ts';
import type { Backend, Route, RouteTable, VirtualHost } from './route-table.ts';

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

/**
 * Compiles what a match carries besides its backend (the dataplane: the route's filters), for
 * every route and for the table's default backend (`route` and `vhost` undefined); undefined:
 * nothing (a route without policies, when the table asks nothing of every route).
 */
export type RouteBinder<B, P> = (route: Route | undefined, vhost: VirtualHost | undefined, backend: B, resolve: (id: string) => B) => P | undefined;

/** The meter of a route (undefined: a match by the table's default backend), bound once per compile. */
export type RouteMeterBinder<B, M> = (route: Route | undefined, backend: B) => M;

/**
 * Compiles `table`. `bind` turns each backend into what matches should carry (the dataplane
 * attaches its balancer and pools there), so a match costs no second lookup and no allocation:
 * every possible result object is built here, once.
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
export function compileTable<B = Backend, P = unknown, M = undefined>(table: RouteTable, bind?: (backend: Backend) => B, bindRoute?: RouteBinder<B, P>, meterOf?: RouteMeterBinder<B, M>): CompiledTable<B, P, M> {
  const binder = bind ?? ((b: Backend) => b as unknown as B);
  const backends = new Map<string, B>();
  for (const backend of table.backends) if (!backends.has(backend.id)) backends.set(backend.id, binder(backend));
  const builder = new HostBuilder(backends, binder, bindRoute, meterOf);
  const slots: HostSlots<B, P, M, Map<string, HostRules<B, P, M>>> = { exact: new Map(), wildcard: new Map(), anyHost: undefined };
  // Only a table whose hosts each take their own slot can be patched later: where two take one,
  // which wins depends on their order, and compileDelta leaves that to a whole compile.
  let index: CompileIndex | undefined = new CompileIndex();
  for (const vhost of table.virtualHosts) {
    const { rules, ids } = builder.host(vhost);
    if (!claim(slots, slotOf(vhost.host), rules, false)) index = undefined;
    index?.set(vhost.host, vhost, ids);
  }
  const fallback = builder.fallback(table.defaultBackend);
  index?.set(DEFAULT_ENTRY, undefined, fallback.ids);
  const hostMaps = { exact: new LayeredMap(slots.exact), wildcard: new LayeredMap(slots.wildcard), anyHost: slots.anyHost };
  const compiled = new CompiledRoutes(table, new LayeredMap(backends), hostMaps, fallback.match);
  if (index !== undefined) {
    for (const id of builder.placeholders) index.placeholders.add(id);
    attachIndex(compiled, index);
  }
  return compiled;
}

