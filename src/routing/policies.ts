/**
 * Route policies: what an annotation family asks of the requests one route serves, as plain
 * serializable data (it crosses IPC inside the RouteTable). translate/annotations/ produces
 * them; the dataplane compiles each route's list into filters once per table swap
 * (dataplane/pipeline/). A route without policies has no `policies` field at all, and pays one
 * branch per request.
 *
 * The order of a route's list is the order its filters run (translate writes it in
 * POLICY_ORDER): answers that need nothing from the backend first (redirects), then limits,
 * then rewrites of the request, then the backend choice, then response edits.
 */

/** `rewrite-target`: nginx `rewrite "(?i)<pattern>" <target> break;` on the path. */
export interface RewritePolicy {
  readonly kind: 'rewrite';
  /** Case-insensitive, unanchored (as nginx's rewrite), matched against the path. */
  readonly pattern: string;
  /** Replacement with `$1`..`$9` captures; the whole path is replaced. */
  readonly target: string;
  /** `x-forwarded-prefix`: sent upstream as `X-Forwarded-Prefix` with the rewrite. */
  readonly forwardedPrefix?: string;
}

/** `permanent-redirect` / `temporal-redirect`: every request answered with `code` + `url`. */
export interface RedirectPolicy {
  readonly kind: 'redirect';
  readonly url: string;
  readonly code: number;
}

/** `ssl-redirect` (hosts with TLS) / `force-ssl-redirect`: plain-HTTP requests go to https. */
export interface HttpsRedirectPolicy {
  readonly kind: 'https-redirect';
  readonly code: number;
  /** `preserve-trailing-slash`: without it a trailing `/` of the target is dropped (as ingress-nginx). */
  readonly preserveTrailingSlash: boolean;
  /** `use-port-in-redirects`: the port the Location names (`https://host:443/...`). */
  readonly port?: number;
}

/** `from-to-www-redirect`: every request goes to the same URI on `host` (scheme kept, no
 * trailing slash). */
export interface HostRedirectPolicy {
  readonly kind: 'host-redirect';
  readonly host: string;
  readonly code: number;
}

/** `app-root`: a request for exactly `/` is redirected (302) to this path. */
export interface AppRootPolicy {
  readonly kind: 'app-root';
  readonly path: string;
}

/** `proxy-body-size`: a request body over `maxBytes` gets 413 (0 = unlimited); replaces
 * `--max-body-size` for the route. */
export interface BodySizePolicy {
  readonly kind: 'body-size';
  readonly maxBytes: number;
}

/** Header edits, flat `[name, value, ...]` lists; names lower-case. */
export interface HeaderEdits {
  readonly set: readonly string[];
  readonly add: readonly string[];
  readonly remove: readonly string[];
}

/** `pier.dev/request-headers-*` and `upstream-vhost`: edits of the request sent upstream. */
export interface RequestHeadersPolicy extends HeaderEdits {
  readonly kind: 'request-headers';
}

/** `custom-headers` and `pier.dev/response-headers-*`: edits of the response to the client. */
export interface ResponseHeadersPolicy extends HeaderEdits {
  readonly kind: 'response-headers';
}

/** One nginx `proxy_redirect` / `proxy_cookie_*` rule, text form: `from` is replaced by `to`. */
export interface RewriteRule {
  readonly from: string;
  readonly to: string;
}

/**
 * `proxy-redirect-from`/`-to`, `proxy-cookie-domain`, `proxy-cookie-path`: nginx's
 * proxy_redirect and proxy_cookie_domain / proxy_cookie_path (text forms) on the head the
 * upstream sent, fetched or served from the cache; never on Pier's own answers.
 */
export interface ResponseRewritePolicy {
  readonly kind: 'response-rewrite';
  /** Location, and Refresh after its `url=`: a value starting with `from` (case-sensitive) has
   * that prefix replaced by `to`. */
  readonly redirect?: RewriteRule;
  /** Set-Cookie `domain=`: a value equal to `from` (no case, a leading dot set aside on both
   * sides; the cookie's dot is kept) becomes `to`. */
  readonly cookieDomain?: RewriteRule;
  /** Set-Cookie `path=`: a value starting with `from` (case-sensitive) has that prefix
   * replaced by `to`. */
  readonly cookiePath?: RewriteRule;
}

/**
 * A canary Ingress for the same host and path (`canary: "true"`). Precedence as
 * ingress-nginx: header, then cookie, then weight.
 */
export interface CanaryPolicy {
  readonly kind: 'canary';
  /** The canary's backend id (RouteTable.backends). */
  readonly backend: string;
  readonly header?: string;
  /** With `header`: the value that routes to the canary (else `always`/`never`). */
  readonly headerValue?: string;
  /** With `header` and no `headerValue`: a regex the value must match (linear-time engine). */
  readonly headerPattern?: string;
  readonly cookie?: string;
  readonly weight: number;
  readonly weightTotal: number;
}

/**
 * `custom-http-errors` (+ `default-backend`): answers with one of `codes`, from the upstream
 * or from Pier, are replaced by what `backend` answers (its status included) to `GET /` (HEAD
 * for HEAD) with ingress-nginx's headers: X-Code, X-Format (the client's Accept),
 * X-Original-URI, X-Namespace, X-Ingress-Name, X-Service-Name, X-Service-Port, X-Request-ID (when
 * the request has one), X-Forwarded-For and the client's Host.
 */
export interface ErrorPagesPolicy {
  readonly kind: 'error-pages';
  readonly codes: readonly number[];
  readonly backend: string;
  /** Facts sent to the error backend. */
  readonly namespace: string;
  readonly ingress: string;
  readonly service: string;
  readonly servicePort: string;
}

/** `default-backend`: when the route's backend has no endpoint, this backend answers instead. */
export interface FallbackBackendPolicy {
  readonly kind: 'fallback-backend';
  readonly backend: string;
}

/**
 * `affinity: cookie`: a request carrying the session cookie goes to the server it names while
 * that server is in the backend and not held down; otherwise the balancer picks and the
 * response sets the cookie (ingress-nginx's sticky balancer).
 */
export interface CookieAffinityPolicy {
  readonly kind: 'cookie-affinity';
  readonly name: string;
  readonly path: string;
  readonly domain?: string;
  /** `session-cookie-max-age`, seconds. */
  readonly maxAge?: number;
  /** `session-cookie-expires`, seconds from now. */
  readonly expires?: number;
  readonly sameSite?: 'None' | 'Lax' | 'Strict';
  /** `session-cookie-conditional-samesite-none`: no `SameSite=None` for clients known to mishandle it. */
  readonly conditionalSameSiteNone: boolean;
  /** `session-cookie-secure`; absent = Secure on HTTPS requests. */
  readonly secure?: boolean;
  /** `session-cookie-change-on-failure`: a retry that moved the request to another server
   * re-points the cookie there (else the cookie keeps naming the failed server). */
  readonly changeOnFailure: boolean;
}

/**
 * `denylist-source-range` / `allowlist-source-range` (alias `whitelist-source-range`), as
 * ingress-nginx's `deny <cidr>; ... allow <cidr>; ... deny all;`: a client address in `deny`
 * gets 403; with a non-empty `allow`, so does any address outside it. CIDRs are normalized
 * (`10.0.0.0/8`, `2001:db8::/32`; a bare address is a /32 or /128). Which address counts:
 * dataplane/client-address.ts.
 */
export interface IpAccessPolicy {
  readonly kind: 'ip-access';
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/**
 * `satisfy: any` (nginx's satisfy directive): the route's access controls — `ip-access`,
 * `basic-auth`, `external-auth` — let a request in when ANY of them does, instead of all of them.
 * A marker: the dataplane combines those policies into one filter where it stands (just before
 * `ip-access` in filter order).
 */
export interface SatisfyAnyPolicy {
  readonly kind: 'satisfy-any';
}

/**
 * `auth-type: basic` + `auth-secret` (+ `auth-secret-type`, `auth-realm`): requests without a
 * matching user and password get 401 with `WWW-Authenticate: Basic realm="<realm>"`. `users`
 * is flat `[user, hash, ...]` as htpasswd writes them (bcrypt `$2y$`, apr1 `$apr1$`, MD5-crypt
 * `$1$`, `{SHA}`, `{SSHA}`, `{PLAIN}`); the Authorization header is not sent upstream
 * (ingress-nginx clears it).
 */
export interface BasicAuthPolicy {
  readonly kind: 'basic-auth';
  readonly realm: string;
  readonly users: readonly string[];
}

/**
 * `auth-url` and friends: ingress-nginx's external authentication (nginx `auth_request`). Each
 * request is first sent, without its body, to `url`: a 2xx lets it through (the listed
 * `responseHeaders` of the auth answer replace the request's), a 401 or 403 is the answer (a
 * 401 becomes a 302 to `signin` when set), anything else (or no answer in time) is a 500.
 */
export interface ExternalAuthPolicy {
  readonly kind: 'external-auth';
  /** May hold nginx variables (`$host`, `$escaped_request_uri`, ...): filled in per request. */
  readonly url: string;
  /** `auth-method`; absent: the request's own method. */
  readonly method?: string;
  readonly signin?: string;
  /** `auth-signin-redirect-param` (default `rd`). */
  readonly signinRedirectParam: string;
  /** Lower-case header names copied from the auth answer to the upstream request. */
  readonly responseHeaders: readonly string[];
  /** `auth-request-redirect`: the X-Auth-Request-Redirect sent (default: the request URI). */
  readonly requestRedirect?: string;
  /** `auth-cache-key` (nginx variables): answers are cached per key when set. */
  readonly cacheKey?: string;
  /** `auth-cache-duration`: how long answers with these statuses are cached. */
  readonly cacheDurations: readonly { readonly codes: readonly number[]; readonly ms: number }[];
  /** `auth-always-set-cookie`: the auth answer's Set-Cookie on every response, not only 2xx/3xx. */
  readonly alwaysSetCookie: boolean;
  /** Connecting to, and then hearing from, the auth service (the Ingress's proxy timeouts). */
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
}

/**
 * `auth-tls-secret` and friends: client certificates, checked against `caPem` during the TLS
 * handshake of the route's host (the dataplane requests a certificate for hosts whose routes
 * carry this policy) and enforced per request: `verify` as nginx's ssl_verify_client (`on`: a
 * valid certificate is required; `optional`: an invalid one is refused; `optional_no_ca`: any
 * is accepted; `off`: none is asked for), chains at most `depth` CAs deep. A refused request
 * gets 400 (nginx's 495/496), or a 302 to `errorPage`. The upstream request gets
 * ssl-client-verify, ssl-client-subject-dn, ssl-client-issuer-dn, and with `passCertificate`
 * ssl-client-cert (the URL-escaped PEM).
 */
export interface ClientCertPolicy {
  readonly kind: 'client-cert';
  readonly caPem: string;
  readonly verify: 'on' | 'off' | 'optional' | 'optional_no_ca';
  readonly depth: number;
  readonly passCertificate: boolean;
  readonly errorPage?: string;
  /** `auth-tls-match-cn`: a regex (RE2, unanchored, as nginx's `$ssl_client_s_dn !~`) the
   * subject DN must match, else 403. */
  readonly matchCn?: string;
}

/**
 * A route whose access control could not be built (its auth Secret is missing or unusable):
 * every request gets `status` (503, as ingress-nginx's denied location), never the backend.
 */
export interface DenyPolicy {
  readonly kind: 'deny';
  readonly status: number;
}

/**
 * `limit-rps`, `limit-rpm`, `limit-connections` (+ `limit-burst-multiplier`, `limit-allowlist`):
 * per client address, in one zone per Ingress (every route of the Ingress shares the client's
 * budgets, as ingress-nginx's zones named after the Ingress). Rates are nginx limit_req with
 * `burst = rate × multiplier nodelay`; connections are nginx limit_conn (requests in progress).
 */
export interface RateLimitPolicy {
  readonly kind: 'rate-limit';
  /** The zone: the Ingress's `namespace/name`. */
  readonly zone: string;
  /** Requests per second (0 = none). */
  readonly rps: number;
  /** Requests per minute (0 = none). */
  readonly rpm: number;
  /** Requests in progress per client (0 = none). */
  readonly connections: number;
  readonly burstMultiplier: number;
  /** Addresses and CIDRs never limited (`limit-allowlist`), as `a.b.c.d/n` or `x::y/n`. */
  readonly allow: readonly string[];
  /** `pier.dev/limit-req-status-code`; absent = the `--limit-req-status-code` flag (503). */
  readonly status?: number;
  /** `pier.dev/limit-conn-status-code`; absent = the `--limit-conn-status-code` flag (503). */
  readonly connStatus?: number;
}

/**
 * `enable-cors` and `cors-*`: ingress-nginx's CORS block. Origins: `*`, or a list of
 * `scheme://host[:port]` (host may start with `*.`, one label) and `null`.
 */
export interface CorsPolicy {
  readonly kind: 'cors';
  readonly origins: readonly string[];
  readonly methods: string;
  readonly headers: string;
  readonly exposeHeaders: string;
  readonly credentials: boolean;
  readonly maxAge: number;
}

/** `pier.dev/compression`: response compression with the codings listed, server preference in order. */
export interface CompressionPolicy {
  readonly kind: 'compression';
  readonly codings: readonly ('gzip' | 'br' | 'zstd')[];
  /** Responses with a known length below this are sent as they are. */
  readonly minLength: number;
  /** Media types (lower case, no parameters) that are compressed; `*` = any. */
  readonly types: readonly string[];
}

/**
 * `pier.dev/expires` (nginx `expires`) and `pier.dev/cache-control-extra`: on 200, 201, 204,
 * 206, 301, 302, 303, 304, 307 and 308 responses (nginx's list), `Expires` and a Cache-Control
 * that replaces the upstream's (as nginx, observed on 1.22), then `extra` appended to it.
 */
export interface ExpiresPolicy {
  readonly kind: 'expires';
  /** `seconds`: Expires = now + seconds, max-age (no-cache when negative); `epoch`, `max` as
   * nginx; `off`: Expires and Cache-Control left alone (only `extra` applies). */
  readonly mode: 'seconds' | 'epoch' | 'max' | 'off';
  readonly seconds: number;
  /** Directives appended to Cache-Control (`public`, `immutable`, ...). */
  readonly extra?: string;
}

/**
 * `limit-rate` (+ `limit-rate-after`): nginx `limit_rate` / `limit_rate_after`. Each response's
 * body goes to the client at most `bytesPerSecond`, counted from its head, once its first
 * `afterBytes` went out at full speed (dataplane/pacing/). Per request, as nginx ≥ 1.1.
 */
export interface LimitRatePolicy {
  readonly kind: 'limit-rate';
  readonly bytesPerSecond: number;
  readonly afterBytes: number;
}

/** `enable-access-log: "false"`: the route's requests write no access line. */
export interface AccessLogPolicy {
  readonly kind: 'access-log-off';
}

/** `pier.dev/cache-valid` entry (nginx proxy_cache_valid): statuses (empty = any) → seconds. */
export interface CacheValidRule {
  readonly statuses: readonly number[];
  readonly seconds: number;
}

/** The default cache key: nginx's `$scheme$proxy_host$request_uri` with the client's host,
 * written as a URL so `pier cache purge URL` finds it. */
export const DEFAULT_CACHE_KEY = '$scheme://$host$request_uri';

/**
 * `pier.dev/cache: "on"`: responses of the route are stored in the pod's shared HTTP cache
 * (RFC 9111, shared cache) and served from it (dataplane/cache/).
 */
export interface CachePolicy {
  readonly kind: 'cache';
  /** The key template (`$scheme://$host$request_uri` by default); variables as in cache-key.ts. */
  readonly key: string;
  /** Freshness for responses that carry none of their own. */
  readonly valid: readonly CacheValidRule[];
  /** A request header that, when present and not empty or "0", skips the cache lookup. */
  readonly bypassHeader?: string;
  /** Send `X-Cache-Status` (default true). */
  readonly statusHeader: boolean;
  /** When a stale entry may answer instead of the origin (nginx proxy_cache_use_stale). */
  readonly useStale?: CacheUseStale;
  /** RFC 9213 targeted fields (lower-case, in order) whose first valid one replaces the
   * response's Cache-Control and Expires for this cache (`CDN-Cache-Control`, …). */
  readonly targetedFields?: readonly string[];
}

/** `pier.dev/cache-use-stale`: nginx's proxy_cache_use_stale conditions. */
export interface CacheUseStale {
  /** The origin could not be reached or answered garbage (error, invalid_header). */
  readonly error: boolean;
  /** The origin did not answer in time. */
  readonly timeout: boolean;
  /** While one request revalidates an entry, the others get the stale one (no wait). */
  readonly updating: boolean;
  /** Origin statuses (http_500, http_502, …) replaced by the stale entry. */
  readonly statuses: readonly number[];
}

/**
 * `mirror-target` (+ `mirror-host`, `mirror-request-body`): ingress-nginx's request mirroring
 * (nginx's mirror module). Each request the route lets through is also sent to `target`: the
 * client's method and headers, `Host: <host>`, and with `requestBody` the body as it streams
 * to the real upstream. The mirror's answer is ignored and never delays the client's.
 */
export interface MirrorPolicy {
  readonly kind: 'mirror';
  /** `scheme://host[:port]`, fixed. */
  readonly origin: string;
  /** Path and query, may hold nginx variables (`$request_uri`); empty: the request's URI. */
  readonly path: string;
  /** The Host header sent (`mirror-host`, else the target's host name without port). */
  readonly host: string;
  readonly requestBody: boolean;
  /** Connecting to the mirror, and the whole mirror exchange (the Ingress's proxy timeouts). */
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
}

export type Policy =
  | DenyPolicy
  | ClientCertPolicy
  | SatisfyAnyPolicy
  | IpAccessPolicy
  | BasicAuthPolicy
  | ExternalAuthPolicy
  | RateLimitPolicy
  | CorsPolicy
  | CompressionPolicy
  | LimitRatePolicy
  | RewritePolicy
  | RedirectPolicy
  | HttpsRedirectPolicy
  | HostRedirectPolicy
  | AppRootPolicy
  | BodySizePolicy
  | RequestHeadersPolicy
  | ResponseHeadersPolicy
  | ResponseRewritePolicy
  | CanaryPolicy
  | ErrorPagesPolicy
  | FallbackBackendPolicy
  | CookieAffinityPolicy
  | ExpiresPolicy
  | AccessLogPolicy
  | CachePolicy
  | MirrorPolicy;

/** The order filters run in; translate sorts each route's policies by it. */
export const POLICY_ORDER: readonly Policy['kind'][] = [
  // nginx: app-root is a server-level `if` and the redirects are `return`s of the location's
  // rewrite phase; the https redirect is ingress-nginx's rewrite_by_lua, which runs after them.
  'host-redirect',
  'app-root',
  // ingress-nginx's CORS block is `if`s of the location's rewrite phase, written before the
  // redirect's `return` and run before the https redirect (lua) and limit_req / limit_conn
  // (preaccess phase): a preflight is answered before any of them.
  'cors',
  'redirect',
  'https-redirect',
  // nginx's proxy module rewrites Location, Refresh and Set-Cookie as it reads the upstream's
  // head, before any other filter adds or edits a header: its hook is registered before every
  // hook that may add or set those (CORS's, earlier, writes only Access-Control-* and Vary), so
  // it sees only what the upstream sent (not external auth's or affinity's cookies), and a
  // header edit wins over it.
  'response-rewrite',
  // nginx's preaccess phase (limit_req, limit_conn), then its access phase: deny/allow, then
  // auth_basic, then auth_request (ingress-nginx's location order); a route whose auth could
  // not be built denies.
  'rate-limit',
  'deny',
  'client-cert',
  'satisfy-any',
  'ip-access',
  'basic-auth',
  'external-auth',
  'body-size',
  'canary',
  'fallback-backend',
  'cookie-affinity',
  'rewrite',
  // nginx's mirror runs in the precontent phase: after the rewrite and access phases (a request
  // refused or answered by then is not mirrored), before the content handler (a cache hit is
  // mirrored too). Its subrequest sees the client's headers, not the proxy_set_header edits of
  // the location (request-headers edits apply only when the upstream request is built).
  'mirror',
  'request-headers',
  'access-log-off',
  // nginx's headers filter sets expires first, then add_header: a header edit wins over it.
  'expires',
  'response-headers',
  // Before the cache: a miss the cache sends on later (Admission.proceed) skips the filters
  // after it, and custom-http-errors must still apply to it.
  'error-pages',
  'compression',
  // After compression: its hook finds compression's body transform and feeds it, paced (the
  // limit then counts the bytes before compression: filters/limit-rate.ts).
  'limit-rate',
  // Last of the response edits' registrations: their hooks then apply to cache hits as to
  // fetched responses, and the cache stores what the upstream sent, before any edit (as nginx).
  'cache',
];
