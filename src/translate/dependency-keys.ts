/**
 * Names of the inputs a part of the translation read, shared by the store (which reports the
 * keys of what changed) and the incremental translator (which re-translates what read them).
 * A key names one object, except `EndpointSlices:` (every slice of one Service) and
 * `IngressClass:` (any IngressClass: the default class changes which Ingresses are ours).
 */
import { flat } from '../routing/flat-string.ts';

export type DependencyKind = 'Ingress' | 'Service' | 'EndpointSlices' | 'Secret' | 'ConfigMap' | 'Upstream' | 'IngressClass';

export function dependencyKey(kind: DependencyKind, namespace = '', name = ''): string {
  return kind === 'IngressClass' ? 'IngressClass:' : flat(`${kind}:${namespace}/${name}`);
}

/** The Ingress a key names, as `namespace/name`, or undefined for other kinds. */
export function ingressOfKey(key: string): string | undefined {
  return key.startsWith('Ingress:') ? key.slice(8) : undefined;
}
