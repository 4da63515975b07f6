import type { AnnotationReader } from './annotation-reader.ts';
import { parseAffinity } from './affinity.ts';
import { parseBackend } from './backend.ts';
import { parseBandwidth } from './bandwidth.ts';
import { parseBasicAuth } from './basic-auth.ts';
import { parseCache } from './cache.ts';
import { parseClientCert } from './client-cert.ts';
import { parseExternalAuth } from './external-auth.ts';
import { parseIpAccess } from './ip-access.ts';
import { parseCanary } from './canary.ts';
import { parseCompression } from './compression.ts';
import { parseCors } from './cors.ts';
import { parseDefaultBackend } from './default-backend.ts';
import { parseAccessLog, parseExpires } from './expires.ts';
import { parseFastcgi } from './fastcgi.ts';
import { parseCustomHeaders, parseHeaders } from './headers.ts';
import type { IngressSettings } from './ingress-settings.ts';
import { parsePaths } from './paths.ts';
import { parseConnectionProxyHeader, parseProxy } from './proxy.ts';
import { parseProxySsl } from './proxy-ssl.ts';
import { parseRateLimits } from './rate-limits.ts';
import { parseRedirects } from './redirects.ts';
import { parseResponseRewrite } from './response-rewrite.ts';
import { parseSatisfy } from './satisfy.ts';
import { parseMirror } from './mirror.ts';
import { parseServerAlias } from './server-alias.ts';
import { parseSslCiphers } from './ssl-ciphers.ts';
import { parseSslPassthrough } from './ssl-passthrough.ts';

/**
 * What Pier does with an annotation name (under `nginx.ingress.kubernetes.io/` or `pier.dev/`):
 * - supported: parsed, validated and applied with ingress-nginx's meaning;
 * - no-op: validated and accepted, with no effect (documented why: Pier always streams, ...);
 * - refused: never applied, by design (configuration snippets: Pier evaluates no configuration
 *   text, CVE-2025-1974); the Ingress is not served, as ingress-nginx does with snippets off;
 * - guarded: a security control Pier does not enforce yet; the Ingress is not served rather than
 *   served without it;
 * - unsupported: not applied; the Ingress is served and a Normal problem says so.
 */
export type AnnotationStatus = 'supported' | 'no-op' | 'refused' | 'guarded' | 'unsupported';

export interface AnnotationFamily {
  /** What a user reads in the README and in `pier migrate-check`. */
  readonly title: string;
  readonly names: readonly string[];
  readonly status: AnnotationStatus;
  /** Why (for no-op, refused, guarded, unsupported) or how (supported), one sentence. */
  readonly note: string;
  /** The parser (supported and no-op families). */
  readonly parse?: (r: AnnotationReader, s: IngressSettings) => void;
  /** Pier's own names: only under `pier.dev/`. */
  readonly pierOnly?: boolean;
}

const SNIPPET_NOTE = 'Pier never evaluates configuration text (CVE-2025-1974); express the intent with a typed annotation';

/**
 * Every annotation ingress-nginx documents, by family: the one table that says what Pier does
 * with each name. Parsers run in this order; the README's annotation table and
 * `pier migrate-check` are generated from it.
 */
export const ANNOTATION_FAMILIES: readonly AnnotationFamily[] = [
  { title: 'Paths and rewrites', names: ['use-regex', 'rewrite-target', 'app-root', 'x-forwarded-prefix'], status: 'supported', parse: parsePaths,
    note: 'regex paths (case-insensitive, RE2: linear time, no lookarounds), longest first; rewrite with $1..$9' },
  { title: 'Redirects', names: ['ssl-redirect', 'force-ssl-redirect', 'preserve-trailing-slash', 'permanent-redirect', 'permanent-redirect-code', 'temporal-redirect', 'temporal-redirect-code', 'from-to-www-redirect', 'use-port-in-redirects'], status: 'supported', parse: parseRedirects,
    note: 'ssl-redirect on by default for hosts with a certificate (308); use-port-in-redirects names --public-https-port (else --https-port) in its Location' },
  { title: 'Backend', names: ['backend-protocol', 'upstream-vhost', 'load-balance', 'upstream-hash-by', 'upstream-hash-by-subset', 'upstream-hash-by-subset-size', 'service-upstream'], status: 'supported', parse: parseBackend,
    note: 'backend-protocol HTTP, HTTPS, AUTO_HTTP, GRPC, GRPCS, H2C, FCGI; upstream-hash-by takes one variable' },
  { title: 'Connection header', names: ['connection-proxy-header'], status: 'supported', parse: parseConnectionProxyHeader,
    note: 'close: each request tells the backend Connection: close and gets a connection of its own; keep-alive: what Pier sends anyway' },
  { title: 'HTTP/2 opt-out', names: ['http2'], status: 'supported', pierOnly: true,
    note: 'pier.dev/http2: "false": the Ingress\'s hosts are offered HTTP/1.1 only (read with the backend family)' },
  { title: 'Body size, timeouts, retries', names: ['proxy-body-size', 'proxy-connect-timeout', 'proxy-send-timeout', 'proxy-read-timeout', 'proxy-next-upstream', 'proxy-next-upstream-tries', 'proxy-next-upstream-timeout'], status: 'supported', parse: parseProxy,
    note: 'timeouts in seconds; proxy-body-size 0 = unlimited' },
  { title: 'Buffering', names: ['proxy-buffering', 'proxy-request-buffering', 'client-body-buffer-size', 'proxy-buffer-size', 'proxy-buffers-number', 'proxy-busy-buffers-size', 'proxy-max-temp-file-size', 'proxy-http-version'], status: 'no-op',
    note: 'validated; Pier always streams bodies both ways with bounded memory and speaks HTTP/1.1 upstream' },
  { title: 'Headers', names: ['request-headers-set', 'request-headers-add', 'request-headers-remove', 'response-headers-set', 'response-headers-add', 'response-headers-remove'], status: 'supported', parse: parseHeaders, pierOnly: true,
    note: 'Pier\'s own, under pier.dev/ only: one "Name: value" per line' },
  { title: 'Expires', names: ['expires', 'cache-control-extra'], status: 'supported', parse: parseExpires, pierOnly: true,
    note: 'Pier\'s own: nginx `expires` (30s, 10m, 12h, 7d, 1M, 1y, epoch, max, off) on 200, 201, 204, 206, 301, 302, 303, 304, 307, 308; cache-control-extra appends directives' },
  { title: 'Access log', names: ['enable-access-log'], status: 'supported', parse: parseAccessLog,
    note: '"false" turns the access log (--access-log) off for the Ingress' },
  { title: 'Cache', names: ['cache', 'cache-key', 'cache-valid', 'cache-bypass-header', 'cache-status-header', 'cache-use-stale', 'cache-targeted-fields'], status: 'supported', parse: parseCache, pierOnly: true,
    note: 'Pier\'s own: the pod\'s shared HTTP cache (RFC 9111), cache-valid as nginx proxy_cache_valid, cache-use-stale as proxy_cache_use_stale, cache-targeted-fields obeys RFC 9213 fields such as CDN-Cache-Control' },
  { title: 'Canary', names: ['canary', 'canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie', 'canary-weight', 'canary-weight-total'], status: 'supported', parse: parseCanary,
    note: 'precedence header, cookie, weight; one canary per host and path' },
  { title: 'Default backend and error pages', names: ['default-backend', 'custom-http-errors', 'disable-proxy-intercept-errors'], status: 'supported', parse: parseDefaultBackend,
    note: 'default-backend answers when the route\'s Service has no endpoint; custom-http-errors sends those answers to it (or to the table\'s default backend) with X-Code, X-Format, X-Original-URI, ...' },
  { title: 'Custom headers (ConfigMap)', names: ['custom-headers'], status: 'supported', parse: parseCustomHeaders,
    note: 'the ConfigMap\'s keys set response headers; the ConfigMap must be in the Ingress\'s namespace' },
  { title: 'Session affinity', names: ['affinity', 'affinity-mode', 'affinity-canary-behavior', 'session-cookie-name', 'session-cookie-path', 'session-cookie-domain', 'session-cookie-max-age', 'session-cookie-expires', 'session-cookie-samesite', 'session-cookie-secure', 'session-cookie-conditional-samesite-none', 'session-cookie-change-on-failure'], status: 'supported', parse: parseAffinity,
    note: 'cookie affinity (default cookie INGRESSCOOKIE); a session stays on its server while that server exists, in both affinity modes' },
  { title: 'Snippets', names: ['configuration-snippet', 'server-snippet', 'auth-snippet', 'stream-snippet', 'modsecurity-snippet'], status: 'refused', note: SNIPPET_NOTE },
  { title: 'IP access', names: ['whitelist-source-range', 'allowlist-source-range', 'denylist-source-range'], status: 'supported', parse: parseIpAccess,
    note: 'CIDR lists (IPv4 and IPv6) → 403; the client address is the socket\'s, or from --trusted-proxies / --proxy-protocol' },
  { title: 'Basic auth', names: ['auth-type', 'auth-secret', 'auth-secret-type', 'auth-realm'], status: 'supported', parse: parseBasicAuth,
    note: 'auth-type basic (digest is refused); htpasswd bcrypt, apr1, SHA1 hashes from an Opaque Secret in the Ingress\'s namespace → 401' },
  { title: 'External auth', names: ['auth-url', 'auth-method', 'auth-signin', 'auth-signin-redirect-param', 'auth-response-headers', 'auth-request-redirect', 'auth-cache-key', 'auth-cache-duration', 'auth-always-set-cookie', 'auth-keepalive', 'auth-keepalive-requests', 'auth-keepalive-share-vars', 'auth-keepalive-timeout', 'auth-proxy-set-headers', 'enable-global-auth'], status: 'supported', parse: parseExternalAuth,
    note: 'a subrequest per request (nginx auth_request): 2xx passes, 401/403 answer, anything else 500; auth-proxy-set-headers is refused (no ConfigMaps yet)' },
  { title: 'Client certificates', names: ['auth-tls-secret', 'auth-tls-verify-client', 'auth-tls-verify-depth', 'auth-tls-error-page', 'auth-tls-pass-certificate-to-upstream', 'auth-tls-match-cn'], status: 'supported', parse: parseClientCert,
    note: 'CA bundle from the Secret\'s ca.crt, checked in the TLS handshake of the host, enforced per route (400 or auth-tls-error-page); auth-tls-match-cn matches the subject DN (403)' },
  { title: 'Satisfy', names: ['satisfy'], status: 'supported', parse: parseSatisfy,
    note: '`all` (default) or `any`: with `any`, an address the allow/deny lists let in needs no authentication, and valid credentials (basic or external auth) need no listed address' },
  { title: 'Rate limits', names: ['limit-rps', 'limit-rpm', 'limit-connections', 'limit-burst-multiplier', 'limit-allowlist', 'limit-whitelist'], status: 'supported', parse: parseRateLimits,
    note: 'per client address per Ingress, held pod-wide across workers (budgets leased from the primary); 503 by default (--limit-req-status-code, --limit-conn-status-code)' },
  { title: 'Rate limit answers', names: ['limit-req-status-code', 'limit-conn-status-code'], status: 'supported', pierOnly: true,
    note: 'Pier\'s own, under pier.dev/ only (ingress-nginx: ConfigMap-wide): the status of refused requests, 400-599 (read with the rate limits)' },
  { title: 'Bandwidth limits', names: ['limit-rate', 'limit-rate-after'], status: 'supported', parse: parseBandwidth,
    note: 'kilobytes per second per response (nginx limit_rate), after limit-rate-after kilobytes at full speed; applied whatever proxy-buffering says, holding the backend back while the client waits' },
  { title: 'CORS', names: ['enable-cors', 'cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-expose-headers', 'cors-allow-credentials', 'cors-max-age'], status: 'supported', parse: parseCors,
    note: 'preflights (OPTIONS from an allowed origin) answered 204 by Pier; Vary: Origin with an origin list' },
  { title: 'Compression', names: ['compression', 'compression-min-length', 'compression-types'], status: 'supported', parse: parseCompression, pierOnly: true,
    note: 'Pier\'s own, under pier.dev/ only: gzip, br, zstd by Accept-Encoding, streamed; over the controller\'s --compression (ingress-nginx\'s use-gzip)' },
  { title: 'FastCGI', names: ['fastcgi-index', 'fastcgi-params-configmap'], status: 'supported', parse: parseFastcgi,
    note: 'with backend-protocol FCGI; the params ConfigMap must be in the Ingress\'s namespace and its values are sent as written ($variables are refused)' },
  { title: 'Backend TLS', names: ['proxy-ssl-secret', 'proxy-ssl-verify', 'proxy-ssl-verify-depth', 'proxy-ssl-ciphers', 'proxy-ssl-name', 'proxy-ssl-protocols', 'proxy-ssl-server-name'], status: 'supported', parse: parseProxySsl,
    note: 'HTTPS/GRPCS backends are not verified by default; the Secret (Ingress\'s namespace) gives the client certificate (tls.crt, tls.key) and the CAs (ca.crt) for proxy-ssl-verify on; without it the others have no effect; a missing Secret makes the paths answer 503' },
  { title: 'TLS passthrough', names: ['ssl-passthrough'], status: 'supported', parse: parseSslPassthrough,
    note: 'with --enable-ssl-passthrough, TLS connections naming the host (SNI) are relayed undeciphered to the backend of its / path; plain HTTP is routed as usual, to the backend over HTTPS' },
  { title: 'TLS ciphers', names: ['ssl-ciphers', 'ssl-prefer-server-ciphers'], status: 'supported', parse: parseSslCiphers,
    note: 'per host, from its first Ingress by precedence that sets each: the OpenSSL cipher list, and whose order wins, for TLS 1.2 handshakes naming the host, instead of --ssl-ciphers and the server\'s order; TLS 1.3 suites stay unless TLS_ names are listed; a bad value is reported and the host keeps the controller\'s' },
  { title: 'Response rewriting', names: ['proxy-redirect-from', 'proxy-redirect-to', 'proxy-cookie-domain', 'proxy-cookie-path'], status: 'supported', parse: parseResponseRewrite,
    note: 'nginx\'s proxy_redirect (Location, Refresh) and proxy_cookie_domain / proxy_cookie_path (Set-Cookie) on upstream and cached responses; text forms (regular expressions and nginx variables are refused)' },
  { title: 'Relative redirects', names: ['relative-redirects'], status: 'no-op',
    note: 'accepted, no effect, as in ingress-nginx: nginx\'s absolute_redirect only changes redirects nginx completes from a relative URI, and every redirect an Ingress asks for is already absolute (ssl-redirect, app-root, from-to-www-redirect build it from the request; permanent-redirect and temporal-redirect must be http(s) URLs); upstream Location headers pass through' },
  { title: 'Server alias', names: ['server-alias'], status: 'supported', parse: parseServerAlias,
    note: 'more names for the Ingress\'s hosts, served with the host\'s routes (from every Ingress of the host) and its certificate when that covers the alias; exact names and single-label *.domain (regex aliases are left out); a name some Ingress rule or from-to-www redirect serves wins over an alias' },
  { title: 'Mirror', names: ['mirror-target', 'mirror-host', 'mirror-request-body'], status: 'supported', parse: parseMirror,
    note: 'each request is also sent to mirror-target (variables such as $request_uri), Host from mirror-host or the target; the body is copied as it streams (mirror-request-body, on by default); the mirror\'s answer is ignored and never delays the client (a slow mirror is dropped)' },
  { title: 'Other', names: ['enable-rewrite-log', 'enable-opentelemetry', 'opentelemetry-trust-incoming-span', 'opentelemetry-operation-name', 'enable-modsecurity', 'enable-owasp-core-rules', 'modsecurity-transaction-id'], status: 'unsupported',
    note: 'not applied' },
  { title: 'HTTP/2 push', names: ['http2-push-preload'], status: 'no-op',
    note: 'accepted, no effect: nginx 1.25.1 removed HTTP/2 server push (ingress-nginx\'s own nginx ignores it too) and browsers no longer accept pushes; Link preload headers reach the client as sent' },
];

const BY_NAME = new Map<string, AnnotationFamily>();
for (const family of ANNOTATION_FAMILIES) for (const name of family.names) BY_NAME.set(name, family);

/** The family of an annotation name (without prefix), or undefined for a name nobody defines. */
export function familyOf(name: string): AnnotationFamily | undefined {
  return BY_NAME.get(name);
}
