/**
 * The resource types the fake API server knows, and parsing of Kubernetes API paths into
 * (resource, namespace, name, subresource), as the real server routes them.
 */

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** The kinds Pier touches, keyed by plural. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', kind: 'Ingress', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', kind: 'IngressClass', namespaced: false },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  { group: 'pier.dev', version: 'v1alpha1', plural: 'upstreams', kind: 'Upstream', namespaced: true },
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
];

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export function typeOfKind(kind: string): ResourceType {
  const type = RESOURCE_TYPES.find((t) => t.kind === kind);
  if (!type) throw new Error(`fake API server: unknown kind ${kind}`);
  return type;
}

export interface ParsedPath {
  readonly type: ResourceType;
  /** undefined: all namespaces (or a cluster-scoped kind). */
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

/**
 * `/api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB]]` and
 * `/apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUB]]`; undefined when not a resource path.
 */
export function parseApiPath(pathname: string): ParsedPath | undefined {
  const parts = pathname.split('/').filter((p) => p !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource] = rest;
  const type = RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
  if (!type || rest.length > 3) return undefined;
  return { type, namespace, name, subresource };
}

/** `a.b=value,c!=x` field selectors over dotted paths, as the API server evaluates them. */
export function matchesFieldSelector(obj: unknown, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term.trim());
    if (!m) return false;
    const value = m[1]!.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
    const equal = String(value ?? '') === m[3];
    return m[2] === '!=' ? !equal : equal;
  });
}
