import { displayName, refOf } from '../source/objects.ts';
import type { Ingress } from '../source/objects.ts';
import type { Backend, BackendPolicy, Route, RouteTable, VirtualHost } from '../routing/route-table.ts';
import { backendIdOf } from './backend-ref.ts';
import type { BackendRef } from './backend-ref.ts';
import type { IngressSettings, BackendOverrides } from './annotations/ingress-settings.ts';
import { overriddenBackend, overridesKey } from './backend-overrides.ts';
import type { MergedRoute, MergedRoutes } from './merge-routes.ts';
import type { Policy } from '../routing/policies.ts';
import { problemAbout, type Problem } from './problem.ts';
import { inFilterOrder, ownPolicies } from './route-policies.ts';
import { secretPolicies } from './auth-secrets.ts';
import { resolveProxySsl } from './proxy-ssl-secret.ts';
import { resolveServiceBackend } from './service-backend.ts';
import { findPort } from './service-endpoints.ts';
import type { SnapshotIndex } from './snapshot.ts';
import { resolveUpstreamBackend, type ResolvedBackend } from './upstream-backend.ts';
import { flat } from '../routing/flat-string.ts';
import { passthroughTargets } from './ssl-passthrough-hosts.ts';

/**
 * Builds the (unsorted) table from the merged routes: groups routes into one VirtualHost per
 * host and resolves each referenced backend once per referring Ingress, so problems name every
 * Ingress that uses a broken backend while the table holds each backend once. Only backends
 * that a route or the default backend uses appear. `hooks.resolveBackend` resolves each one
 * (translate(): backendResolver; the incremental translator: its memo).
 */
export function buildTable(index: SnapshotIndex, merged: MergedRoutes, tlsHosts: ReadonlySet<string>, hooks: BuildHooks): { table: RouteTable; problems: Problem[]; settings: Map<Route, IngressSettings> } {
  const resolveBackend = hooks.resolveBackend;
  const backends = new Map<string, Backend>();
  const resolved = new Set<string>();
  const problems: Problem[] = [];
  const use = (ref: BackendRef, ingress: Ingress, overrides: BackendOverrides = NO_OVERRIDES): string => {
    const key = overrides === NO_OVERRIDES ? '' : overridesKey(overrides);
    const upstream = ref.kind === 'Upstream';
    const id = upstream || key === '' ? backendIdOf(ref) : `${backendIdOf(ref)}#${key}`;
    const referrer = refOf(ingress);
    const seen = `${id}\n${referrer.namespace}/${referrer.name}`;
    if (resolved.has(seen)) return id;
    resolved.add(seen);
    if (upstream && key !== '') {
      problems.push(problemAbout(ingress, 'AnnotationIgnoredForUpstream', `backend annotations (${key}) do not apply to Upstream ${ref.namespace}/${ref.name}: its spec decides`, 'Normal'));
    }
    const result = resolveBackend(index, id, ref, ingress, overrides);
    if (!backends.has(id)) backends.set(id, result.backend);
    problems.push(...result.problems);
    return id;
  };

  const hosts = new Map<string, Route[]>();
  const settings = new Map<Route, IngressSettings>();
  const built = new Map<MergedRoute, Route>();
  const add = (host: string, route: Route, s: IngressSettings) => {
    const routes = hosts.get(host);
    if (routes) routes.push(route);
    else hosts.set(host, [route]);
    // Only routes an https redirect may apply to are remembered (addHttpsRedirects).
    if (s.forceSslRedirect || (s.sslRedirect && tlsHosts.has(host))) settings.set(route, s);
  };
  const tableDefault = hooks.tableDefault ?? (() => (merged.defaultBackend && use(merged.defaultBackend.ref, merged.defaultBackend.ingress)) ?? hooks.serviceDefault);
  const reportedSecrets = new Set<string>();
  for (const r of merged.routes) {
    const s = r.settings;
    const plain = r.canary === undefined && s.policies.length === 0 && s.rewriteTarget === undefined && s.affinity === undefined
      && s.defaultBackendService === undefined && s.customHttpErrors === undefined && s.basicAuth === undefined && s.clientCert === undefined && s.rateLimit === undefined;
    const backend = use(r.backend, r.ingress, hasOverrides(s.backend) ? s.backend : NO_OVERRIDES);
    const route: Route = plain
      ? { path: r.path, pathType: r.pathType, backend, origin: originOf(r.ingress) }
      : withPolicies({ path: r.path, pathType: r.pathType, backend, origin: originOf(r.ingress) }, withoutAuthWhereExempt(r, [
        ...ownPolicies(r), ...secretPolicies(r.ingress, s, index, problems, reportedSecrets), ...backendPolicies(r, index, use, tableDefault, problems),
      ]));
    add(r.host, route, s);
    built.set(r, route);
  }
  addWwwRedirects(merged.routes, built, hosts, add);
  const defaultBackend = merged.defaultBackend && use(merged.defaultBackend.ref, merged.defaultBackend.ingress);
  // pier.dev/http2: "false" on any Ingress of a host opts the whole host out (TLS picks the
  // protocol before any route is known).
  const noHttp2 = new Set(merged.routes.filter((r) => r.settings.http2 === false).map((r) => r.host));
  const passthrough = passthroughTargets(merged.routes, hosts);
  problems.push(...passthrough.problems);
  const table: RouteTable = {
    virtualHosts: [...hosts].map(([host, routes]) => virtualHost(host, routes, noHttp2.has(host), passthrough.targets.get(host))),
    ...(defaultBackend === undefined ? {} : { defaultBackend }),
    backends: [...backends.values()],
  };
  return { table, problems, settings };
}

/** `policies` without external and basic auth when the route's path starts with one of
 * `--no-auth-locations` (ingress-nginx's template leaves both out of such a location). */
function withoutAuthWhereExempt(r: MergedRoute, policies: Policy[]): Policy[] {
  const exempt = r.settings.noAuthLocations;
  if (exempt.length === 0 || !exempt.some((prefix) => r.rawPath.startsWith(prefix))) return policies;
  return policies.filter((p) => p.kind !== 'external-auth' && p.kind !== 'basic-auth');
}

/** A host's entry: optional fields only when set (tables compare by content). */
function virtualHost(host: string, routes: Route[], noHttp2: boolean, passthrough: string | undefined): VirtualHost {
  return { host, routes, ...(noHttp2 ? { http2: false as const } : {}), ...(passthrough === undefined ? {} : { passthrough }) };
}

const NO_OVERRIDES: BackendOverrides = Object.freeze({});

/** Resolves one backend for one referring Ingress: the Backend (overrides applied) and its problems. */
export type BackendResolver = (index: SnapshotIndex, id: string, ref: BackendRef, ingress: Ingress, overrides: BackendOverrides) => ResolvedBackend;

/** How buildTable resolves backends, and what the incremental translator changes: memoized
 * resolution, and the table default backend id decided outside the hosts being built. */
export interface BuildHooks {
  readonly resolveBackend: BackendResolver;
  readonly tableDefault?: () => string | undefined;
  /** `--default-backend-service`'s backend id: the table's default where no Ingress sets one
   * (translate()'s; the incremental translator decides it in tableDefault). */
  readonly serviceDefault?: string;
}

/** translate()'s resolver: resolveBackendOf with the translation's Service backend policy. */
export function backendResolver(servicePolicy: BackendPolicy): BackendResolver {
  return (index, id, ref, ingress, overrides) => resolveBackendOf(index, id, ref, ingress, overrides, servicePolicy);
}

/**
 * The backend `id` names, as `ingress` refers to it (problems name that Ingress). A Service
 * backend starts from `servicePolicy` (service-policy.ts), the Ingress's backend annotations
 * applied over it; an Upstream's spec decides its own.
 */
export function resolveBackendOf(index: SnapshotIndex, id: string, ref: BackendRef, ingress: Ingress, overrides: BackendOverrides, servicePolicy: BackendPolicy): ResolvedBackend {
  const referrer = refOf(ingress);
  if (ref.kind !== 'Service') return resolveUpstreamBackend(index, ref.namespace, ref.name, referrer);
  const result = resolveServiceBackend(index, ref.namespace, ref, referrer, servicePolicy, overrides.serviceUpstream === true);
  if (!hasOverrides(overrides)) return result;
  if (overrides.proxySsl === undefined) return { backend: overriddenBackend(result.backend, overrides), problems: result.problems };
  const ssl = resolveProxySsl(index, ingress, overrides.proxySsl);
  if ('unavailable' in ssl) {
    return { backend: { ...overriddenBackend(result.backend, overrides), servers: [], unavailable: ssl.unavailable }, problems: [...result.problems, ...ssl.problems] };
  }
  return { backend: overriddenBackend(result.backend, overrides, ssl.tls), problems: ssl.problems.length === 0 ? result.problems : [...result.problems, ...ssl.problems] };
}

function hasOverrides(o: BackendOverrides): boolean {
  for (const _ in o) return true;
  return false;
}

function withPolicies(route: Route, policies: Policy[]): Route {
  return policies.length === 0 ? route : { ...route, policies: inFilterOrder(policies) };
}

/**
 * Policies naming other backends: the canary's (with the canary Ingress's own load-balance and
 * upstream-hash-by, the only backend annotations ingress-nginx takes from a canary), and the
 * `default-backend` Service (its first port, as ingress-nginx).
 */
function backendPolicies(r: MergedRoute, index: SnapshotIndex, use: (ref: BackendRef, ingress: Ingress, o?: BackendOverrides) => string, tableDefault: (() => string | undefined), problems: Problem[]): Policy[] {
  const policies: Policy[] = [];
  const canary = r.canary;
  if (canary !== undefined) {
    const { algorithm, hashKey } = canary.settings.backend;
    const backend = use(canary.backend, canary.ingress, { ...(algorithm === undefined ? {} : { algorithm }), ...(hashKey === undefined ? {} : { hashKey }) });
    policies.push({ kind: 'canary', backend, ...canary.settings.canary! });
  }
  const name = r.settings.defaultBackendService;
  if (name !== undefined) {
    const namespace = r.ingress.metadata.namespace ?? '';
    const service = index.service(namespace, name);
    const first = service === undefined ? undefined : findPort(service, { number: service.spec?.ports?.[0]?.port });
    const backend = use({ kind: 'Service', namespace, name, port: { number: first?.port ?? 0 } }, r.ingress);
    policies.push({ kind: 'fallback-backend', backend });
  }
  const codes = r.settings.customHttpErrors;
  if (codes !== undefined) {
    const fallback = policies.find((p) => p.kind === 'fallback-backend');
    const backend = r.settings.controllerErrorPages === true ? tableDefault() : fallback?.backend ?? tableDefault();
    if (backend === undefined) {
      problems.push(problemAbout(r.ingress, 'CustomHTTPErrorsWithoutBackend', 'custom-http-errors ignored: there is no default-backend annotation and no default backend to send the errors to', 'Normal'));
    } else {
      const ref = r.backend;
      policies.push({
        kind: 'error-pages', codes, backend,
        namespace: r.ingress.metadata.namespace ?? '', ingress: r.ingress.metadata.name,
        service: ref.kind === 'Service' ? ref.name : '', servicePort: ref.kind === 'Service' ? String(ref.port.name || ref.port.number) : '',
      });
    }
  }
  return policies;
}

/**
 * `from-to-www-redirect`: for a route's host `foo.com` (or `www.foo.com`), the other name gets
 * a virtual host whose every request is redirected (`--http-redirect-code`, 308, as ingress-nginx's http-redirect-code) to
 * the same request URI on this host, scheme kept, without a trailing slash (ngx_srv_redirect.lua;
 * the listener's port is left out: Pier's ports sit behind a Service's 80/443). A name some
 * Ingress serves itself is left alone, as in ingress-nginx.
 */
function addWwwRedirects(routes: readonly MergedRoute[], built: ReadonlyMap<MergedRoute, Route>, hosts: Map<string, Route[]>, add: (host: string, route: Route, s: IngressSettings) => void): void {
  // One redirect per name; the route it copies is picked by path then origin, so input order
  // does not change the table (the backend it names is never used: every request redirects).
  const picked = new Map<string, MergedRoute>();
  for (const r of routes) {
    if (!r.settings.fromToWww || r.host === '' || r.host.startsWith('*.')) continue;
    const from = r.host.startsWith('www.') ? r.host.slice(4) : `www.${r.host}`;
    if (hosts.has(from)) continue;
    const seen = picked.get(from);
    if (seen === undefined || `${r.path}\n${originOf(r.ingress)}` < `${seen.path}\n${originOf(seen.ingress)}`) picked.set(from, r);
  }
  for (const [from, r] of picked) {
    const route: Route = { path: '/', pathType: 'Prefix', backend: built.get(r)!.backend, origin: originOf(r.ingress), policies: [{ kind: 'host-redirect', host: r.host, code: r.settings.redirectCode }] };
    add(from, route, { ...r.settings, policies: [], forceSslRedirect: false });
  }
}

function originOf(ingress: Ingress): string {
  return flat(displayName({ namespace: ingress.metadata.namespace, name: ingress.metadata.name }));
}
