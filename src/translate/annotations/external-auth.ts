import type { ExternalAuthPolicy } from '../../routing/policies.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';
import { HEADER_VALUE, OWNED_HEADERS, referencedConfigMap } from './headers.ts';
import { parseNginxTime } from './nginx-values.ts';

/** ingress-nginx's URLWithNginxVariableRegex, URLIsValidRegex and NGINXVariable. */
const URL_WITH_VARIABLES = /^[-._~a-zA-Z0-9/:, ?&=$]*$/;
const URL_CHARS = /^[-._~a-zA-Z0-9/:,?&=]*$/;
const CACHE_KEY = /^[-A-Za-z0-9_${}]*$/;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE'];
const HEADER = /^[a-zA-Z\d\-_]+$/;

/**
 * The nginx variables Pier fills in `auth-url`, `auth-signin` and `auth-cache-key`
 * (dataplane/pipeline/filters/nginx-variables.ts), plus `$http_<name>`, `$cookie_<name>` and
 * `$arg_<name>`. Any other variable is refused: Pier never leaves one unexpanded.
 */
export const KNOWN_VARIABLES = new Set([
  'host', 'http_host', 'best_http_host', 'server_name', 'scheme', 'pass_access_scheme', 'request_uri', 'escaped_request_uri',
  'uri', 'args', 'query_string', 'is_args', 'request_method', 'remote_addr', 'remote_user', 'proxy_add_x_forwarded_for',
]);

/**
 * External auth family, as ingress-nginx's authreq parser (`auth_request` in its template):
 * - `auth-url` (required for the rest to matter): an http or https URL, which may use nginx
 *   variables (`https://$host/oauth2/auth`); `auth-method`: the subrequest's method (default the
 *   request's own); `auth-signin` (+ `auth-signin-redirect-param`, default `rd`): where a 401
 *   sends the client (302); `auth-response-headers`: comma-separated names copied from the auth
 *   answer to the upstream request; `auth-request-redirect`: X-Auth-Request-Redirect;
 *   `auth-cache-key` + `auth-cache-duration` (`200 202 401 5m`, comma-separated entries):
 *   answers cached per key; `auth-always-set-cookie`.
 * - `auth-keepalive*` are validated and have no effect (Pier always reuses connections to the
 *   auth service).
 * - `auth-proxy-set-headers`: a ConfigMap in the Ingress's namespace whose entries are headers
 *   set on the auth request (nginx proxy_set_header: replacing the client's, none when empty);
 *   values may use the nginx variables above. A missing ConfigMap or a bad entry rejects the
 *   Ingress (ingress-nginx denies the location) rather than authenticating without them.
 * - Timeouts: the Ingress's `proxy-connect-timeout` and `proxy-read-timeout`, else 5 s and 60 s.
 *   (ingress-nginx's auth location sets none, so nginx's own 60 s apply whatever the Ingress or
 *   the ConfigMap says; Pier lets an Ingress bound the auth call as it bounds its backend.)
 */
export function parseExternalAuth(r: AnnotationReader, s: IngressSettings): void {
  const errors = r.errors.length;
  const method = r.choice('auth-method', METHODS);
  const signin = url(r, 'auth-signin', true);
  const param = r.string('auth-signin-redirect-param');
  if (param !== undefined && (param === '' || !URL_CHARS.test(param))) r.fail('auth-signin-redirect-param', 'is not a query parameter name');
  const responseHeaders = headerList(r);
  const requestRedirect = r.string('auth-request-redirect');
  if (requestRedirect !== undefined && !URL_CHARS.test(requestRedirect)) r.fail('auth-request-redirect', 'is not a URL (letters, digits and - . _ ~ / : , ? & = only)');
  const cacheKey = r.string('auth-cache-key');
  if (cacheKey !== undefined) {
    if (!CACHE_KEY.test(cacheKey)) r.fail('auth-cache-key', 'may only hold letters, digits, - _ and nginx variables (like $remote_user$http_authorization)');
    else variablesKnown(r, 'auth-cache-key', cacheKey);
  }
  const cacheDurations = durations(r);
  const alwaysSetCookie = r.bool('auth-always-set-cookie') ?? false;
  r.int('auth-keepalive', -1_000_000, 1_000_000);
  r.int('auth-keepalive-requests', -1_000_000, 1_000_000);
  r.int('auth-keepalive-timeout', -1_000_000, 1_000_000);
  r.bool('auth-keepalive-share-vars');
  s.enableGlobalAuth = r.bool('enable-global-auth') ?? true;
  const proxySetHeaders = authProxySetHeaders(r);
  const target = url(r, 'auth-url', false);
  if (target === undefined || r.errors.length > errors) return;
  const policy: ExternalAuthPolicy = {
    kind: 'external-auth', url: target,
    ...(method === undefined ? {} : { method }),
    ...(signin === undefined ? {} : { signin }),
    signinRedirectParam: param ?? 'rd',
    responseHeaders,
    ...(requestRedirect === undefined || requestRedirect === '' ? {} : { requestRedirect }),
    ...(cacheKey === undefined || cacheKey === '' ? {} : { cacheKey }),
    cacheDurations,
    alwaysSetCookie,
    ...(proxySetHeaders.length === 0 ? {} : { proxySetHeaders }),
    connectTimeoutMs: s.backend.connectMs ?? 5_000,
    timeoutMs: s.backend.readMs ?? 60_000,
  };
  s.policies.push(policy);
}

function url(r: AnnotationReader, name: string, optional: boolean): string | undefined {
  const v = r.string(name);
  if (v === undefined || (optional && v === '')) return undefined;
  if (!URL_WITH_VARIABLES.test(v)) return r.fail(name, 'is not a URL (letters, digits, nginx variables and - . _ ~ / : , ? & = only)');
  if (!/^https?:\/\/[^/?]+/.test(v)) return r.fail(name, 'is not an http:// or https:// URL with a host');
  return variablesKnown(r, name, v) ? v : undefined;
}

/** Whether every nginx variable of `text` is one Pier fills in; else a problem naming `name`. */
export function variablesKnown(r: AnnotationReader, name: string, text: string): boolean {
  const unknown = unknownVariable(text);
  if (unknown === undefined) return true;
  r.fail(name, unknown);
  return false;
}

/**
 * `uses $x, which Pier does not know (...)` for the first variable of `text` not in `known`
 * (nor `$http_<name>`, `$cookie_<name>`, `$arg_<name>`); undefined when Pier fills in all of
 * them. For checks outside an annotation (the `--proxy-set-headers` ConfigMap's values).
 */
export function unknownVariable(text: string, known: ReadonlySet<string> = KNOWN_VARIABLES): string | undefined {
  for (const m of text.matchAll(/\$\{?([A-Za-z0-9_]*)\}?/g)) {
    const v = m[1]!;
    if (known.has(v) || /^(http|cookie|arg)_[A-Za-z0-9_]+$/.test(v)) continue;
    return `uses $${v}, which Pier does not know (it knows ${[...known].map((k) => `$${k}`).join(', ')}, $http_<name>, $cookie_<name>, $arg_<name>)`;
  }
  return undefined;
}

/** `auth-proxy-set-headers`: flat `[name, value, ...]`, names lower-cased, in name order. */
function authProxySetHeaders(r: AnnotationReader): string[] {
  const configMap = referencedConfigMap(r, 'auth-proxy-set-headers');
  if (configMap === undefined) return [];
  const { namespace, name, data } = configMap;
  const out: string[] = [];
  for (const key of Object.keys(data).sort()) {
    const header = key.toLowerCase();
    const value = data[key]!;
    const where = `ConfigMap ${namespace}/${name} key ${JSON.stringify(key)}`;
    if (!HEADER.test(key)) return r.fail('auth-proxy-set-headers', `${where} is not a header name (letters, digits, - and _)`) ?? [];
    if (!HEADER_VALUE.test(value)) return r.fail('auth-proxy-set-headers', `${where} has a control character in its value`) ?? [];
    if (OWNED_HEADERS.has(header) || header === 'host') return r.fail('auth-proxy-set-headers', `${where} may not set ${header} (Pier owns framing, hop-by-hop and Host headers)`) ?? [];
    if (!variablesKnown(r, 'auth-proxy-set-headers', value)) return [];
    out.push(header, value);
  }
  return out;
}

function headerList(r: AnnotationReader): string[] {
  const text = r.string('auth-response-headers');
  if (text === undefined) return [];
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const h = raw.trim();
    if (h === '') continue;
    if (!HEADER.test(h)) return r.fail('auth-response-headers', `has "${h}", which is not a header name`) ?? [];
    out.push(h.toLowerCase());
  }
  return out;
}

/** ingress-nginx's ValidCacheDuration per comma-separated entry: status codes, then one nginx time. */
function durations(r: AnnotationReader): ExternalAuthPolicy['cacheDurations'] {
  const text = r.string('auth-cache-duration');
  const entries = (text ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) entries.push('200 202 401 5m');
  const out: { codes: number[]; ms: number }[] = [];
  for (const entry of entries) {
    const parts = entry.split(' ').filter((p) => p !== '');
    const last = parts[parts.length - 1] ?? '';
    const time = /^[0-9]+(ms|s|m|h|d|w|M|y)$/.test(last) ? parseNginxTime(last) : undefined;
    const codes = parts.slice(0, -1);
    if (time === undefined || !codes.every((c) => /^[0-9]{3}$/.test(c))) {
      return r.fail('auth-cache-duration', `has "${entry}", which is not status codes and a time (like "200 202 401 5m")`) ?? [];
    }
    out.push({ codes: codes.length === 0 ? [200, 301, 302] : codes.map(Number), ms: time });
  }
  return out;
}
