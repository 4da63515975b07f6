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

/** `proxy-body-size`: a request body over `maxBytes` gets 413 (0 = unlimited). */
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

export type Policy =
  | RateLimitPolicy
  | CorsPolicy
  | CompressionPolicy
  | RewritePolicy
  | RedirectPolicy
  | HttpsRedirectPolicy
  | HostRedirectPolicy
  | AppRootPolicy
  | BodySizePolicy
  | RequestHeadersPolicy
  | ResponseHeadersPolicy
  | CanaryPolicy
  | ErrorPagesPolicy
  | FallbackBackendPolicy
  | CookieAffinityPolicy;

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
  'rate-limit',
  'body-size',
  'canary',
  'fallback-backend',
  'cookie-affinity',
  'rewrite',
  'request-headers',
  'response-headers',
  'error-pages',
  'compression',
];
