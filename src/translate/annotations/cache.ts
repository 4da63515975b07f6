import { DEFAULT_CACHE_KEY, type CacheUseStale, type CacheValidRule } from '../../routing/policies.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';
import { pierString } from './expires.ts';
import { parseNginxTime } from './nginx-values.ts';

/** Variables a cache key may use (dataplane/cache/cache-key.ts expands them). */
const KEY_VARIABLE = /\$(scheme|host|request_uri|uri|args|is_args|request_method|http_[a-z0-9_]+|cookie_[A-Za-z0-9_]+)/g;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Cache family (Pier's own, under `pier.dev/`; dataplane/cache/ does the caching):
 * - `pier.dev/cache: "on"` (or `"off"`, the default) stores the Ingress's responses in the
 *   pod's shared cache, by RFC 9111's rules for a shared cache.
 * - `pier.dev/cache-key`: a template of `$scheme $host $request_uri $uri $args $is_args
 *   $request_method $http_<name> $cookie_<name>` and literal text; default
 *   `$scheme://$host$request_uri` (a URL, so `pier cache purge URL` finds it).
 * - `pier.dev/cache-valid`: nginx `proxy_cache_valid` for responses without their own
 *   freshness: `"200 302 10m, 404 1m"`; a rule without codes means 200 301 302 (as nginx),
 *   `any` every status.
 * - `pier.dev/cache-bypass-header`: a request header; when present and neither empty nor "0",
 *   the request skips the lookup (nginx `proxy_cache_bypass`); its response may be stored.
 * - `pier.dev/cache-status-header: "false"` hides `X-Cache-Status`.
 * - `pier.dev/cache-use-stale`: nginx `proxy_cache_use_stale`, words among `error timeout
 *   invalid_header updating http_500 http_502 http_503 http_504 http_403 http_404 http_429`
 *   or `off` (the default): when a stale entry answers instead of the origin. Never for a
 *   response whose Cache-Control forbids it (must-revalidate, proxy-revalidate, s-maxage,
 *   no-cache).
 * - `pier.dev/cache-targeted-fields`: RFC 9213 targeted cache-control fields this cache obeys,
 *   first valid one wins over Cache-Control and Expires: `"CDN-Cache-Control"`, or
 *   `"Shop-Cache-Control, CDN-Cache-Control"`. Off by default: an origin's CDN-Cache-Control is
 *   meant for its CDN, which Pier is only if the operator says so.
 */
export function parseCache(r: AnnotationReader, s: IngressSettings): void {
  const switchText = pierString(r, 'cache');
  if (switchText === undefined || switchText === 'off') return;
  if (switchText !== 'on') return void r.fail('cache', 'is not one of on, off');
  const key = pierString(r, 'cache-key') ?? DEFAULT_CACHE_KEY;
  if (key === '' || /[\r\n]/.test(key) || /\$(?![a-z])/.test(key)) return void r.fail('cache-key', 'is not a key template (like "$scheme://$host$request_uri")');
  for (const m of key.matchAll(/\$[A-Za-z0-9_]+/g)) {
    KEY_VARIABLE.lastIndex = 0;
    const known = KEY_VARIABLE.exec(m[0]);
    if (known === null || known[0] !== m[0]) return void r.fail('cache-key', `uses ${m[0]}, which is not one of $scheme $host $request_uri $uri $args $is_args $request_method $http_<name> $cookie_<name>`);
  }
  const valid = parseValid(r);
  if (valid === undefined) return;
  const bypass = pierString(r, 'cache-bypass-header');
  if (bypass !== undefined && !TOKEN.test(bypass)) return void r.fail('cache-bypass-header', 'is not a header name');
  const statusHeader = pierString(r, 'cache-status-header') === undefined ? true : r.bool('cache-status-header') ?? true;
  const useStale = parseUseStale(r);
  if (useStale === null) return;
  const targeted = pierString(r, 'cache-targeted-fields');
  const targetedFields = targeted === undefined ? [] : targeted.split(',').map((f) => f.trim());
  const badField = targetedFields.find((f) => !TOKEN.test(f));
  if (badField !== undefined) return void r.fail('cache-targeted-fields', `has "${badField}", which is not a header name`);
  s.policies.push({
    kind: 'cache', key, valid, ...(bypass === undefined ? {} : { bypassHeader: bypass.toLowerCase() }), statusHeader,
    ...(useStale === undefined ? {} : { useStale }),
    ...(targetedFields.length === 0 ? {} : { targetedFields: targetedFields.map((f) => f.toLowerCase()) }),
  });
}

const STALE_STATUSES = new Set(['http_500', 'http_502', 'http_503', 'http_504', 'http_403', 'http_404', 'http_429']);

/** undefined: off (absent or "off"); null: invalid (reported). */
function parseUseStale(r: AnnotationReader): CacheUseStale | undefined | null {
  const text = pierString(r, 'cache-use-stale');
  if (text === undefined || text.trim() === 'off') return undefined;
  const words = text.trim().split(/\s+/);
  const bad = words.find((w) => w !== 'error' && w !== 'timeout' && w !== 'invalid_header' && w !== 'updating' && !STALE_STATUSES.has(w));
  if (bad !== undefined || words[0] === '') {
    r.fail('cache-use-stale', `has "${bad ?? ''}", which is not one of error, timeout, invalid_header, updating, http_500, http_502, http_503, http_504, http_403, http_404, http_429 (or off alone)`);
    return null;
  }
  return {
    error: words.includes('error') || words.includes('invalid_header'), timeout: words.includes('timeout'), updating: words.includes('updating'),
    statuses: words.filter((w) => STALE_STATUSES.has(w)).map((w) => Number(w.slice(5))).sort((a, b) => a - b),
  };
}

function parseValid(r: AnnotationReader): CacheValidRule[] | undefined {
  const text = pierString(r, 'cache-valid');
  if (text === undefined || text === '') return [];
  const rules: CacheValidRule[] = [];
  for (const part of text.split(',')) {
    const words = part.trim().split(/\s+/);
    const time = parseNginxTime(words.pop() ?? '');
    if (time === undefined || time % 1000 !== 0) return r.fail('cache-valid', `has "${part.trim()}", which does not end with an nginx time (like 10m)`);
    const statuses: number[] = [];
    for (const w of words) {
      if (w === 'any' && words.length === 1) continue;
      if (!/^[1-5][0-9][0-9]$/.test(w)) return r.fail('cache-valid', `has "${w}", which is not a status code or "any"`);
      statuses.push(Number(w));
    }
    rules.push({ statuses: words.length === 0 ? [200, 301, 302] : statuses, seconds: time / 1000 });
  }
  return rules;
}
