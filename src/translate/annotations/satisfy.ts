import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/**
 * `satisfy`, as nginx's directive in ingress-nginx's location: `all` (the default: every access
 * control must let a request in) or `any` (one is enough: an address on the allow list needs no
 * password, a request with valid credentials needs no listed address). `any` adds the
 * satisfy-any policy that makes the dataplane combine the route's access controls (pipeline/
 * filters/satisfy-any.ts). Another value makes the annotation invalid: ingress-nginx would
 * fall back to `all`, but a misspelt `any` must not be read as either silently.
 */
export function parseSatisfy(r: AnnotationReader, s: IngressSettings): void {
  if (r.choice('satisfy', ['all', 'any'] as const) === 'any') s.policies.push({ kind: 'satisfy-any' });
}
