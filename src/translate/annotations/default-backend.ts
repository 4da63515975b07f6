import { isDns1035Label } from '../k8s-names.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/**
 * `default-backend`: a Service (name, in the Ingress's namespace; its first port) that answers
 * when a route's backend has no endpoint (instead of 503).
 */
export function parseDefaultBackend(r: AnnotationReader, s: IngressSettings): void {
  const name = r.string('default-backend');
  if (name !== undefined && name !== '') {
    if (!isDns1035Label(name)) r.fail('default-backend', 'must be the name of a Service in the Ingress\'s namespace');
    else s.defaultBackendService = name;
  }
}
