import { isDns1035Label } from '../k8s-names.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/**
 * `default-backend`: a Service (name, in the Ingress's namespace; its first port) that answers
 * when a route's backend has no endpoint (instead of 503). `custom-http-errors` (`404,503`):
 * answers with those codes, the upstream's or Pier's own, are replaced by what the default
 * backend (this annotation's Service, else the table's default backend) answers; ingress-nginx's
 * `disable-proxy-intercept-errors: "true"` turns the interception off.
 * `--custom-http-errors` (ingress-nginx's ConfigMap key) gives the codes of an Ingress without
 * the annotation; those go to the table's default backend even when the Ingress names a
 * `default-backend` (ingress-nginx's http-level error_page names upstream-default-backend; only
 * a location's own custom-http-errors names its default-backend), and the annotation replaces
 * them (nginx inherits no error_page into a location that has its own).
 */
export function parseDefaultBackend(r: AnnotationReader, s: IngressSettings): void {
  const name = r.string('default-backend');
  if (name !== undefined && name !== '') {
    if (!isDns1035Label(name)) r.fail('default-backend', 'must be the name of a Service in the Ingress\'s namespace');
    else s.defaultBackendService = name;
  }
  const errors = r.string('custom-http-errors');
  if (errors !== undefined && errors !== '') {
    const codes = errors.split(',').map((c) => c.trim()).filter((c) => c !== '');
    if (!codes.every((c) => /^[45][0-9]{2}$/.test(c))) r.fail('custom-http-errors', 'must be a comma-separated list of 4xx and 5xx status codes');
    else if (r.bool('disable-proxy-intercept-errors') !== true) {
      s.customHttpErrors = [...new Set(codes.map(Number))];
      if (r.fromController('custom-http-errors')) s.controllerErrorPages = true;
    }
  }
}
