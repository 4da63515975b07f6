import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** RFC 6265 cookie-name (a token). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A cookie Path or Domain attribute value: no `;`, spaces or controls. */
const ATTRIBUTE = /^[\x21-\x3a\x3c-\x7e]+$/;

/**
 * Session affinity family (ingress-nginx's sessionaffinity parser): `affinity: cookie` with
 * `session-cookie-name` (default `INGRESSCOOKIE`), `-path` (default: the route's path; required
 * with regex paths, as ingress-nginx documents), `-domain`, `-max-age` and `-expires` (seconds),
 * `-samesite` (None, Lax, Strict), `-conditional-samesite-none`, `-secure`,
 * `-change-on-failure`; `affinity-mode` (balanced, persistent) and `affinity-canary-behavior`
 * (sticky, legacy) are validated. Pier keeps a session on its server while that server exists
 * in both modes (what `persistent` promises; `balanced`'s moving of some sessions when servers
 * are added is not done).
 */
export function parseAffinity(r: AnnotationReader, s: IngressSettings): void {
  const type = r.string('affinity');
  if (type === undefined || type === '') return;
  if (type !== 'cookie') {
    r.fail('affinity', 'is not "cookie" (the only affinity type)');
    return;
  }
  r.choice('affinity-mode', ['balanced', 'persistent']);
  r.choice('affinity-canary-behavior', ['sticky', 'legacy']);
  const name = r.string('session-cookie-name') || 'INGRESSCOOKIE';
  if (!COOKIE_NAME.test(name)) r.fail('session-cookie-name', 'is not a cookie name');
  const path = attribute(r, 'session-cookie-path');
  const domain = attribute(r, 'session-cookie-domain');
  const maxAge = r.int('session-cookie-max-age', 0, 2 ** 31);
  const expires = r.int('session-cookie-expires', 0, 2 ** 31);
  const sameSite = r.choice('session-cookie-samesite', ['None', 'Lax', 'Strict'], true);
  const secure = r.bool('session-cookie-secure');
  s.affinity = {
    name,
    ...(path === undefined ? {} : { path }),
    ...(domain === undefined ? {} : { domain }),
    ...(maxAge === undefined ? {} : { maxAge }),
    ...(expires === undefined ? {} : { expires }),
    ...(sameSite === undefined ? {} : { sameSite: (sameSite[0]!.toUpperCase() + sameSite.slice(1).toLowerCase()) as 'None' | 'Lax' | 'Strict' }),
    conditionalSameSiteNone: r.bool('session-cookie-conditional-samesite-none') ?? false,
    ...(secure === undefined ? {} : { secure }),
    changeOnFailure: r.bool('session-cookie-change-on-failure') ?? false,
  };
}

function attribute(r: AnnotationReader, name: string): string | undefined {
  const v = r.string(name);
  if (v === undefined || v === '') return undefined;
  return ATTRIBUTE.test(v) ? v : r.fail(name, 'may not contain spaces, ";" or control characters');
}
