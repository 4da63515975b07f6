import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** ingress-nginx's URLIsValidRegex: letters, digits and `- . _ ~ / : , ? & =`. */
const URL = /^[-._~a-zA-Z0-9/:,?&=%#@!$'()*+;]*$/;

/**
 * Redirects family, as ingress-nginx's redirect and rewrite parsers:
 * - `temporal-redirect` (code `temporal-redirect-code`, 300..307, else 302) wins over
 *   `permanent-redirect` (code `permanent-redirect-code`, 300..308, else 301). An out-of-range
 *   code falls back to the default, as ingress-nginx does; a non-number is an error.
 * - `ssl-redirect` (default `--ssl-redirect`, true: hosts with a certificate redirect plain HTTP
 *   with 308), `force-ssl-redirect` (default `--force-ssl-redirect`, false: redirect even without
 *   a certificate), `preserve-trailing-slash`, `use-port-in-redirects` (the https redirect names
 *   the port clients reach HTTPS on, as ingress-nginx names its HTTPS listen port).
 * - `from-to-www-redirect`: the other name of each host (with or without `www.`) redirects here.
 */
export function parseRedirects(r: AnnotationReader, s: IngressSettings): void {
  // Unset: the controller's --ssl-redirect / --force-ssl-redirect (parse-annotations.ts seeds them).
  s.sslRedirect = r.bool('ssl-redirect') ?? s.sslRedirect;
  s.forceSslRedirect = r.bool('force-ssl-redirect') ?? s.forceSslRedirect;
  s.preserveTrailingSlash = r.bool('preserve-trailing-slash') ?? false;
  s.usePortInRedirects = r.bool('use-port-in-redirects') ?? false;
  s.fromToWww = r.bool('from-to-www-redirect') ?? false;
  const temporal = url(r, 'temporal-redirect');
  const temporalCode = r.int('temporal-redirect-code', -Infinity, Infinity);
  const permanent = url(r, 'permanent-redirect');
  const permanentCode = r.int('permanent-redirect-code', -Infinity, Infinity);
  if (temporal) {
    const code = temporalCode !== undefined && temporalCode >= 300 && temporalCode <= 307 ? temporalCode : 302;
    s.policies.push({ kind: 'redirect', url: temporal, code });
  } else if (permanent) {
    const code = permanentCode !== undefined && permanentCode >= 300 && permanentCode <= 308 ? permanentCode : 301;
    s.policies.push({ kind: 'redirect', url: permanent, code });
  }
}

function url(r: AnnotationReader, name: string): string | undefined {
  const v = r.string(name);
  if (v === undefined || v === '') return undefined;
  if (!URL.test(v)) return r.fail(name, 'is not a URL (letters, digits and - . _ ~ / : , ? & = only)');
  return v;
}
