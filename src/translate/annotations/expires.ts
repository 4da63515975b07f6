import { PIER_PREFIX, type AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';
import { parseNginxTime } from './nginx-values.ts';

/** RFC 9111 cache-directive list: `token` or `token=value` (token or quoted), comma-separated. */
const DIRECTIVES = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(=([!#$%&'*+\-.^_`|~0-9A-Za-z]+|"[^"\\\r\n]*"))?(\s*,\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(=([!#$%&'*+\-.^_`|~0-9A-Za-z]+|"[^"\\\r\n]*"))?)*$/;

/**
 * Expires family (Pier's own, under `pier.dev/`):
 * - `pier.dev/expires`: nginx `expires`: a time in nginx units (`30s`, `10m`, `12h`, `7d`,
 *   `1M`, `1y`, a bare number of seconds, `-1` for no-cache), `epoch`, `max` or `off`.
 *   nginx's `modified` and `@time-of-day` forms are refused.
 * - `pier.dev/cache-control-extra`: directives appended to Cache-Control (`public`,
 *   `immutable`, `stale-while-revalidate=60`), on the same statuses.
 */
export function parseExpires(r: AnnotationReader, s: IngressSettings): void {
  const text = pierString(r, 'expires');
  const extra = pierString(r, 'cache-control-extra');
  if (text === undefined && extra === undefined) return;
  let mode: 'seconds' | 'epoch' | 'max' | 'off' = 'off';
  let seconds = 0;
  if (text === 'epoch' || text === 'max' || text === 'off') mode = text;
  else if (text !== undefined) {
    const negative = text.startsWith('-');
    const ms = parseNginxTime(negative ? text.slice(1) : text);
    if (ms === undefined || ms % 1000 !== 0) {
      r.fail('expires', 'is not an nginx time in seconds (like 30s, 10m, 12h, 7d, 1M, 1y), epoch, max or off');
      return;
    }
    mode = 'seconds';
    seconds = negative ? -ms / 1000 : ms / 1000;
  }
  if (extra !== undefined && !DIRECTIVES.test(extra)) {
    r.fail('cache-control-extra', 'is not a list of Cache-Control directives (like "public" or "public, immutable")');
    return;
  }
  s.policies.push({ kind: 'expires', mode, seconds, ...(extra === undefined || extra === '' ? {} : { extra }) });
}

/** `enable-access-log` (ingress-nginx's name): `"false"` turns the access log off for the Ingress. */
export function parseAccessLog(r: AnnotationReader, s: IngressSettings): void {
  if (r.bool('enable-access-log') === false) s.policies.push({ kind: 'access-log-off' });
}

/** A Pier-only annotation's text: the `pier.dev/` key only (the nginx one is unknown). */
export function pierString(r: AnnotationReader, name: string): string | undefined {
  return r.keyOf(name)?.startsWith(PIER_PREFIX) === true ? r.string(name) : undefined;
}
