import type { CanaryPolicy, CookieAffinityPolicy, Policy, RateLimitPolicy } from '../../routing/policies.ts';
import type { BasicAuthSettings } from './basic-auth.ts';
import type { ClientCertSettings } from './client-cert.ts';
import type { ProxySslSettings } from './proxy-ssl.ts';
import type { Algorithm, BackendPolicy, FastcgiPolicy, HashKey, RetryCondition } from '../../routing/route-table.ts';

/**
 * Changes annotations make to how an Ingress's Service backends are reached. Applied on top of
 * the Service default policy; a backend with changes gets its own id (backend-overrides.ts), so
 * two Ingresses naming one Service with different annotations do not share settings.
 */
export interface BackendOverrides {
  protocol?: BackendPolicy['protocol'];
  algorithm?: Algorithm;
  hashKey?: HashKey;
  connectMs?: number;
  sendMs?: number;
  readMs?: number;
  retryOn?: readonly RetryCondition[];
  /** Extra tries after the first (`proxy-next-upstream-tries` minus one). */
  retryAttempts?: number;
  retryNonIdempotent?: boolean;
  /** `proxy-next-upstream-timeout`: no new try once this long has passed. */
  retryTimeoutMs?: number;
  /** `service-upstream`: the Service's cluster IP, not its endpoints. */
  serviceUpstream?: boolean;
  /** `backend-protocol: FCGI` with `fastcgi-index` / `fastcgi-params-configmap`. */
  fastcgi?: FastcgiPolicy;
  /** `proxy-ssl-*`: backend TLS, its Secret read when the backend is resolved (proxy-ssl-secret.ts). */
  proxySsl?: ProxySslSettings;
  /** `connection-proxy-header: close`: every request tells the backend `Connection: close`. */
  connectionClose?: true;
}

/** `canary: "true"`: how this Ingress's backends act as alternatives to the main Ingress's
 * (the policy merge-routes attaches, less its backend). */
export type CanarySettings = Omit<CanaryPolicy, 'kind' | 'backend'>;

/** Rate limit annotations; the zone (the Ingress) is added with the policy (route-policies.ts). */
export type RateLimitSettings = Omit<RateLimitPolicy, 'kind' | 'zone'>;

/** Everything an Ingress's annotations say, typed and validated. */
export interface IngressSettings {
  /** `use-regex`: every path of this Ingress's hosts is a regex (a rewrite-target other than
   * the path does the same: merge-routes decides). */
  regex: boolean;
  /** `rewrite-target` (a route whose path equals it is not rewritten, as ingress-nginx). */
  rewriteTarget?: string;
  /** `x-forwarded-prefix` (sent with a rewrite). */
  forwardedPrefix?: string;
  /** Route policies (the https redirect and canary are added later, when merged). */
  policies: Policy[];
  sslRedirect: boolean;
  forceSslRedirect: boolean;
  preserveTrailingSlash: boolean;
  /** `--http-redirect-code` (ingress-nginx's ConfigMap http-redirect-code): the status of
   * ssl-redirect's and from-to-www-redirect's answers. */
  redirectCode: number;
  /** `--no-tls-redirect-locations`: routes whose path starts with one of these never redirect to
   * https (ingress-nginx's default keeps cert-manager's HTTP-01 challenges on plain HTTP). */
  noTlsRedirectLocations: readonly string[];
  /** `enable-global-auth` (default true): `--global-auth-url` applies where no auth-url does. */
  enableGlobalAuth: boolean;
  /** `--no-auth-locations`: routes whose path starts with one of these get no external or basic
   * auth (ingress-nginx's default keeps cert-manager's HTTP-01 challenges reachable). */
  noAuthLocations: readonly string[];
  /** `use-port-in-redirects`: the https redirect names `httpsPort`. */
  usePortInRedirects: boolean;
  /** The port clients reach HTTPS on (AnnotationDefaults.httpsPort, seeded by parseAnnotations). */
  httpsPort: number;
  fromToWww: boolean;
  backend: BackendOverrides;
  canary?: CanarySettings;
  /** `affinity: cookie` (the path defaults to the route's path: route-policies.ts). */
  affinity?: Omit<CookieAffinityPolicy, 'kind' | 'path'> & { readonly path?: string };
  /** `pier.dev/http2: "false"`: the Ingress's hosts are not offered HTTP/2 (coalescing-shy clients). */
  http2?: false;
  /** `default-backend`: a Service name in the Ingress's namespace. */
  defaultBackendService?: string;
  /** `auth-type: basic`: the Secret to read (auth-secrets.ts turns it into a policy). */
  basicAuth?: BasicAuthSettings;
  /** `auth-tls-secret`: the CA Secret to read (auth-secrets.ts turns it into a policy). */
  clientCert?: ClientCertSettings;
  /** `custom-http-errors`: codes whose answers the default backend replaces. */
  customHttpErrors?: readonly number[];
  /** The codes are `--custom-http-errors`': they go to the table's default backend, whatever
   * `default-backend` says (default-backend.ts). */
  controllerErrorPages?: true;
  /** `server-alias`: more names for this Ingress's hosts, lower-case, sorted (server-aliases.ts). */
  serverAliases?: readonly string[];
  /** `limit-rps`, `limit-rpm`, `limit-connections` and their options. */
  rateLimit?: RateLimitSettings;
  /** `ssl-passthrough: "true"`: TLS to the Ingress's hosts is relayed to the `/` backend (ssl-passthrough.ts). */
  sslPassthrough?: true;
  /** `ssl-ciphers`: the OpenSSL cipher list of its hosts' handshakes (ssl-cipher-hosts.ts). */
  sslCiphers?: string;
  /** `ssl-prefer-server-ciphers`: whose cipher order wins in its hosts' handshakes. */
  sslPreferServerCiphers?: boolean;
}

/** ingress-nginx's HTTPS listen port: what use-port-in-redirects names unless told otherwise. */
export const DEFAULT_HTTPS_PORT = 443;

/** ingress-nginx's http-redirect-code default. */
export const DEFAULT_REDIRECT_CODE = 308;

/** ingress-nginx's no-tls-redirect-locations default: ACME HTTP-01 challenges stay plain HTTP. */
export const DEFAULT_NO_TLS_REDIRECT_LOCATIONS: readonly string[] = Object.freeze(['/.well-known/acme-challenge']);

/** ingress-nginx's no-auth-locations default: ACME HTTP-01 challenges need no credentials. */
export const DEFAULT_NO_AUTH_LOCATIONS: readonly string[] = Object.freeze(['/.well-known/acme-challenge']);

export function emptySettings(): IngressSettings {
  return { regex: false, policies: [], sslRedirect: true, forceSslRedirect: false, preserveTrailingSlash: false, redirectCode: DEFAULT_REDIRECT_CODE, noTlsRedirectLocations: DEFAULT_NO_TLS_REDIRECT_LOCATIONS, enableGlobalAuth: true, noAuthLocations: DEFAULT_NO_AUTH_LOCATIONS, usePortInRedirects: false, httpsPort: DEFAULT_HTTPS_PORT, fromToWww: false, backend: {} };
}
