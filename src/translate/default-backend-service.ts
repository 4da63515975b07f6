import type { ServiceBackendPort } from '../source/objects.ts';
import { backendIdOf } from './backend-ref.ts';
import type { BackendPolicy, RouteTable } from '../routing/route-table.ts';
import type { Problem } from './problem.ts';
import { resolveServiceBackend } from './service-backend.ts';
import type { SnapshotIndex, TranslateOptions } from './snapshot.ts';

/**
 * `--default-backend-service NS/NAME` (ingress-nginx's flag): the Service that answers requests
 * no rule matches. It is the fallback: an Ingress `spec.defaultBackend` of Pier's class wins
 * over it, as in ingress-nginx. The Service's first port is used (a default backend serves one
 * port). A missing Service, or one without ports or ready endpoints, makes unmatched requests
 * get 503 instead of 404, and is reported as a problem about the Service. Its backend gets
 * `policy`, the translation's Service backend policy (as ingress-nginx's default server gets the
 * ConfigMap's timeouts).
 */
export function applyDefaultBackendService(index: SnapshotIndex, table: RouteTable, options: TranslateOptions, policy: BackendPolicy): { table: RouteTable; problems: Problem[] } {
  const ref = options.defaultBackendService;
  if (ref === undefined || table.defaultBackend !== undefined) return { table, problems: [] };
  const referrer = { kind: 'Service', namespace: ref.namespace, name: ref.name };
  const service = index.service(ref.namespace, ref.name);
  const port = firstPortOf(index, ref);
  if (service !== undefined && service.spec?.ports?.[0] === undefined) {
    const id = backendIdOf({ kind: 'Service', namespace: ref.namespace, name: ref.name, port });
    return {
      table: { ...table, defaultBackend: id, backends: [...table.backends.filter((b) => b.id !== id), { id, servers: [], policy, unavailable: 'ServiceHasNoPorts' }] },
      problems: [{ ...referrer, reason: 'ServiceHasNoPorts', message: `--default-backend-service ${ref.namespace}/${ref.name} has no ports: requests no rule matches get 503`, severity: 'Warning' }],
    };
  }
  const resolved = resolveServiceBackend(index, ref.namespace, { name: ref.name, port }, referrer, policy);
  const id = resolved.backend.id;
  const backends = table.backends.some((b) => b.id === id) ? table.backends : [...table.backends, resolved.backend];
  const problems = resolved.problems.map((p) => ({ ...p, message: `--default-backend-service: ${p.message.replace(/: its requests get 503$/, '')}: requests no rule matches get 503` }));
  return { table: { ...table, defaultBackend: id, backends }, problems };
}

/**
 * The backend id applyDefaultBackendService gives `--default-backend-service` (undefined without
 * the flag): custom-http-errors without a `default-backend` annotation name it where no Ingress
 * sets a spec.defaultBackend (build-table.ts), before the fallback step adds its backend.
 */
export function defaultBackendServiceId(index: SnapshotIndex, options: Pick<TranslateOptions, 'defaultBackendService'>): string | undefined {
  const ref = options.defaultBackendService;
  return ref === undefined ? undefined : backendIdOf({ kind: 'Service', namespace: ref.namespace, name: ref.name, port: firstPortOf(index, ref) });
}

/** A default backend serves one port: the Service's first (port 0 when it has none or is missing). */
function firstPortOf(index: SnapshotIndex, ref: { readonly namespace: string; readonly name: string }): ServiceBackendPort {
  const first = index.service(ref.namespace, ref.name)?.spec?.ports?.[0];
  return first === undefined ? { number: 0 } : first.name ? { name: first.name } : { number: first.port };
}
