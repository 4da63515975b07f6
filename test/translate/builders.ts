import { expect } from 'vitest';
import { DEFAULT_POLICY, DEFAULT_SERVER_LIMITS } from '../../src/routing/route-table.ts';
import type { Backend, Route, RouteTable, UpstreamServer, VirtualHost } from '../../src/routing/route-table.ts';
import type { Policy } from '../../src/routing/policies.ts';
import type { Problem } from '../../src/translate/problem.ts';
import type { Snapshot, TranslateOptions } from '../../src/translate/snapshot.ts';

/*
 * Tiny constructors for expected translate() output, so a test case reads like the table it
 * expects: table([vhost('foo.com', prefix('/', A))], [backend(A, server('10.0.0.1', 8080))]).
 * Routes default to the origin `default/web`, the Ingress most fixtures use.
 */

/** The backend most fixtures route to (Service default/a, port 80), and its one server. */
export const A = 'service:default/a:80';
export const A_SERVER: UpstreamServer = { host: '10.0.0.1', port: 8080, ...DEFAULT_SERVER_LIMITS };

/** `snapshot` with more annotations on its Ingress named `ingress`. */
export function annotated(snapshot: Snapshot, ingress: string, annotations: Record<string, string>): Snapshot {
  return { ...snapshot, ingresses: snapshot.ingresses.map((i) => (i.metadata.name === ingress ? { ...i, metadata: { ...i.metadata, annotations: { ...i.metadata.annotations, ...annotations } } } : i)) };
}

/** `snapshot` (of the tls-valid fixture: Ingress `web` serves foo.test, which has a
 * certificate) with cert-manager's HTTP-01 solver beside it: its own Ingress for the challenge
 * path `/.well-known/acme-challenge/Tok3n` on foo.test. */
export function withAcmeSolver(snapshot: Snapshot): Snapshot {
  const web = snapshot.ingresses.find((i) => i.metadata.name === 'web')!;
  const solver = {
    ...web,
    metadata: { name: 'cm-acme-http-solver', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { ingressClassName: 'pier', rules: [{ host: 'foo.test', http: { paths: [{ path: '/.well-known/acme-challenge/Tok3n', pathType: 'ImplementationSpecific', backend: { service: { name: 'a', port: { number: 80 } } } }] } }] },
  };
  return { ...snapshot, ingresses: [...snapshot.ingresses, solver] };
}

/** The options every case uses unless it says otherwise. */
export const OPTIONS: TranslateOptions = {
  ingressClass: 'pier',
  controllerName: 'pier.dev/ingress-controller',
  watchIngressWithoutClass: false,
};

export function table(virtualHosts: VirtualHost[], backends: Backend[], defaultBackend?: string): RouteTable {
  return defaultBackend === undefined ? { virtualHosts, backends } : { virtualHosts, defaultBackend, backends };
}

export function vhost(host: string, ...routes: Route[]): VirtualHost {
  return { host, routes };
}

export function exact(path: string, backend: string, origin = 'default/web'): Route {
  return { path, pathType: 'Exact', backend, origin };
}

export function prefix(path: string, backend: string, origin = 'default/web'): Route {
  return { path, pathType: 'Prefix', backend, origin };
}

/** A route with `policies` (in filter order, as translate writes them). */
export function withPolicies(route: Route, ...policies: Policy[]): Route {
  return { ...route, policies };
}

/** What every route of a host with a certificate gets by default (ingress-nginx ssl-redirect). */
export const HTTPS_REDIRECT: Policy = { kind: 'https-redirect', code: 308, preserveTrailingSlash: false };

export function server(host: string, port: number): UpstreamServer {
  return { host, port, ...DEFAULT_SERVER_LIMITS };
}

export function backend(id: string, ...servers: UpstreamServer[]): Backend {
  return { id, servers, policy: DEFAULT_POLICY };
}

/** A backend that answers 503 for `reason`. */
export function unavailable(id: string, reason: string): Backend {
  return { id, servers: [], policy: DEFAULT_POLICY, unavailable: reason };
}

/**
 * An expected problem about `ref` (`ns/name`, or `name` for cluster-scoped kinds) whose message
 * contains `fragment`.
 */
export function problem(ref: string, reason: string, fragment = '', severity: Problem['severity'] = 'Warning', kind = 'Ingress'): Problem {
  const [namespace, name] = ref.includes('/') ? ref.split('/') : ['', ref];
  return { kind, namespace: namespace!, name: name!, reason, message: expect.stringContaining(fragment) as string, severity };
}
