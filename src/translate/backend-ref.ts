import type { IngressBackend, ServiceBackendPort } from '../source/objects.ts';
import { flat } from '../routing/flat-string.ts';

/** The API group and kind of the Upstream resource an Ingress backend may name. */
export const UPSTREAM_GROUP = 'pier.dev';
export const UPSTREAM_KIND = 'Upstream';

/** A validated Ingress backend, not yet resolved to servers. */
export type BackendRef =
  | { readonly kind: 'Service'; readonly namespace: string; readonly name: string; readonly port: ServiceBackendPort }
  | { readonly kind: 'Upstream'; readonly namespace: string; readonly name: string };

/** `service:<ns>/<name>:<port>` (port as written: number or name) or `upstream:<ns>/<name>`. */
export function backendIdOf(ref: BackendRef): string {
  if (ref.kind === 'Upstream') return flat(`upstream:${ref.namespace}/${ref.name}`);
  return flat(`service:${ref.namespace}/${ref.name}:${ref.port.name || String(ref.port.number)}`);
}

/**
 * Turns a backend that passed validateIngress into a reference, or into an error text when it
 * names a resource kind Pier does not serve (anything but pier.dev Upstream).
 */
export function backendRefOf(backend: IngressBackend, namespace: string): BackendRef | string {
  const resource = backend.resource;
  if (resource) {
    if (resource.apiGroup === UPSTREAM_GROUP && resource.kind === UPSTREAM_KIND) {
      return { kind: 'Upstream', namespace, name: resource.name ?? '' };
    }
    return `resource ${resource.apiGroup ?? 'core'}/${resource.kind ?? ''} ${resource.name ?? ''} is not supported (only ${UPSTREAM_GROUP}/${UPSTREAM_KIND})`;
  }
  const port = backend.service?.port ?? {};
  return {
    kind: 'Service',
    namespace,
    name: backend.service?.name ?? '',
    port: port.name ? { name: port.name } : { number: port.number ?? 0 },
  };
}
