import type { HTTPIngressPath, Ingress } from '../source/objects.ts';
import type { PathType } from '../routing/route-table.ts';
import type { IngressSettings } from './annotations/ingress-settings.ts';
import { parseAnnotations } from './annotations/parse-annotations.ts';
import { backendRefOf } from './backend-ref.ts';
import type { BackendRef } from './backend-ref.ts';
import { problemAbout } from './problem.ts';
import type { Problem } from './problem.ts';
import type { SnapshotIndex, TranslateOptions } from './snapshot.ts';
import { validateIngress } from './validate-ingress.ts';

/** One path of one Ingress, normalized, before conflicts between Ingresses are resolved. */
export interface CandidateRoute {
  /** Lower-case host, `*.` wildcard, or `''` for a rule without host. */
  readonly host: string;
  readonly path: string;
  readonly pathType: PathType;
  /** The path as written (empty ImplementationSpecific: `/`): what a Regex route matches. */
  readonly rawPath: string;
  readonly backend: BackendRef;
  readonly ingress: Ingress;
  /** The Ingress's annotations, parsed. */
  readonly settings: IngressSettings;
  /** Position among this Ingress's paths: breaks ties between duplicates inside one Ingress. */
  readonly seq: number;
}

/** What one Ingress contributes: its routes and default backend, and what was wrong with it. */
export interface ProcessedIngress {
  readonly ingress: Ingress;
  readonly routes: readonly CandidateRoute[];
  readonly defaultBackend?: BackendRef;
  readonly problems: readonly Problem[];
  /** Skipped whole (invalid spec, or an annotation that rejects it): claims no certificate. */
  readonly rejected: boolean;
  /** `server-alias` of a non-canary Ingress (server-aliases.ts resolves them over the table). */
  readonly serverAliases?: readonly string[];
}

/**
 * Validates one Ingress of ours and turns it into candidate routes.
 *
 * - Anything the API server would reject (see validate-ingress.ts) skips the whole Ingress with
 *   an `InvalidIngress` problem: no part of a malformed object is guessed at.
 * - A backend naming a resource other than a pier.dev Upstream skips that path (or the default
 *   backend) with `UnsupportedBackend`; the rest of the Ingress still serves.
 * - `ImplementationSpecific` means `Prefix` in Pier (element-wise prefix match), and an empty
 *   ImplementationSpecific path means `/`. Prefix paths lose their trailing slash (except `/`),
 *   which the Prefix semantics ignores anyway; Exact paths are kept verbatim.
 * - A rule without `http` contributes no route; a host left without routes gets no VirtualHost
 *   (so it takes no requests away from wildcard or any-host rules).
 * - Annotations are parsed first (annotations/parse-annotations.ts): an invalid, refused or
 *   unenforced one skips the whole Ingress with a problem naming it.
 * - `spec.tls` is read later, by the tls step (tls-hosts.ts).
 */
export function processIngress(ingress: Ingress, index?: SnapshotIndex, options?: Pick<TranslateOptions, 'enableSslPassthrough' | 'annotationDefaults'>): ProcessedIngress {
  const parsed = parseAnnotations(ingress, index === undefined ? undefined : (ns, name) => configMapData(index, ns, name), options?.annotationDefaults);
  const problems = parsed.problems;
  if (parsed.settings.sslPassthrough === true && options?.enableSslPassthrough !== true) {
    problems.push(problemAbout(ingress, 'SSLPassthroughDisabled', 'ssl-passthrough has no effect on TLS: the controller runs without --enable-ssl-passthrough, so Pier terminates TLS for these hosts (their backends are still reached over HTTPS)', 'Normal'));
  }
  const errors = validateIngress(ingress);
  if (errors.length > 0) {
    problems.push(problemAbout(ingress, 'InvalidIngress', `Ingress skipped: ${errors.join('; ')}`));
    return { ingress, routes: [], problems, rejected: true };
  }
  if (parsed.rejected) return { ingress, routes: [], problems, rejected: true };
  const settings = parsed.settings;
  // ingress-nginx takes no server settings from a canary Ingress.
  const aliases = settings.serverAliases !== undefined && settings.canary === undefined ? { serverAliases: settings.serverAliases } : {};
  const namespace = ingress.metadata.namespace ?? '';
  const routes: CandidateRoute[] = [];
  for (const rule of ingress.spec?.rules ?? []) {
    const host = (rule.host ?? '').toLowerCase();
    for (const p of rule.http?.paths ?? []) {
      const ref = backendRefOf(p.backend!, namespace);
      if (typeof ref === 'string') {
        problems.push(unsupported(ingress, `path ${p.path ?? ''} on ${host ? `host ${host}` : 'any host'}`, ref));
        continue;
      }
      routes.push({ host, ...normalizePath(p), rawPath: p.path || '/', backend: ref, ingress, settings, seq: routes.length });
    }
  }
  const spec = ingress.spec?.defaultBackend;
  if (!spec) return { ingress, routes, problems, rejected: false, ...aliases };
  const defaultBackend = backendRefOf(spec, namespace);
  if (typeof defaultBackend !== 'string') return { ingress, routes, defaultBackend, problems, rejected: false, ...aliases };
  problems.push(unsupported(ingress, 'defaultBackend', defaultBackend));
  return { ingress, routes, problems, rejected: false, ...aliases };
}

/** A ConfigMap's data as strings (a manifest may hold other YAML scalars), or undefined. */
export function configMapData(index: SnapshotIndex, namespace: string, name: string): Readonly<Record<string, string>> | undefined {
  const data = index.configMap(namespace, name)?.data;
  if (data === undefined) return index.configMap(namespace, name) === undefined ? undefined : {};
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v)]));
}

/** The path and path type a route gets (see processIngress for the rules). */
export function normalizePath(p: HTTPIngressPath): { path: string; pathType: PathType } {
  const path = p.path ?? '';
  if (p.pathType === 'Exact') return { path, pathType: 'Exact' };
  return { path: path.replace(/\/+$/, '') || '/', pathType: 'Prefix' };
}

function unsupported(ingress: Ingress, what: string, why: string): Problem {
  return problemAbout(ingress, 'UnsupportedBackend', `${what} skipped: backend ${why}`);
}
