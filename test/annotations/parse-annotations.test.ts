import { describe, expect, it } from 'vitest';
import type { Ingress } from '../../src/source/objects.ts';
import { parseAnnotations } from '../../src/translate/annotations/parse-annotations.ts';
import type { IngressSettings } from '../../src/translate/annotations/ingress-settings.ts';

/*
 * Every annotation family as a table: annotations in, the settings they produce (only the
 * fields that change) or the exact problem text out. Prefix rules: ingress-nginx's names work
 * under both prefixes, pier.dev/ wins, Pier's own names exist only under pier.dev/.
 */

const N = 'nginx.ingress.kubernetes.io/';
const P = 'pier.dev/';

function ingress(annotations: Record<string, string>): Ingress {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default', annotations }, spec: {} };
}

const CONFIGMAPS: Record<string, Record<string, string>> = {
  'default/headers': { 'X-Frame-Options': 'DENY', 'Strict-Transport-Security': 'max-age=31536000' },
  'default/framing': { 'Content-Length': '3' },
  'other/headers': { 'X-A': 'b' },
  'default/fcgi': { SCRIPT_FILENAME: '/srv/app/index.php', APP_ENV: 'prod' },
};

function parse(annotations: Record<string, string>) {
  return parseAnnotations(ingress(annotations), (ns, name) => CONFIGMAPS[`${ns}/${name}`]);
}

interface Valid {
  readonly name: string;
  readonly annotations: Record<string, string>;
  readonly want: Partial<IngressSettings>;
}

const valid: Valid[] = [
  { name: 'nothing set: ssl-redirect on, no policies', annotations: {}, want: { regex: false, policies: [], sslRedirect: true, forceSslRedirect: false, backend: {} } },
  { name: 'use-regex', annotations: { [`${N}use-regex`]: 'true' }, want: { regex: true } },
  { name: 'booleans as Go parses them', annotations: { [`${N}use-regex`]: 'T', [`${N}ssl-redirect`]: '0' }, want: { regex: true, sslRedirect: false } },
  { name: 'rewrite-target with captures', annotations: { [`${N}rewrite-target`]: '/$2' }, want: { rewriteTarget: '/$2' } },
  { name: 'x-forwarded-prefix', annotations: { [`${N}x-forwarded-prefix`]: '/api' }, want: { forwardedPrefix: '/api' } },
  { name: 'app-root', annotations: { [`${N}app-root`]: '/app1' }, want: { policies: [{ kind: 'app-root', path: '/app1' }] } },
  { name: 'pier.dev/ wins over nginx', annotations: { [`${N}app-root`]: '/a', [`${P}app-root`]: '/b' }, want: { policies: [{ kind: 'app-root', path: '/b' }] } },
  { name: 'permanent-redirect: 301 by default', annotations: { [`${N}permanent-redirect`]: 'https://example.com/x' }, want: { policies: [{ kind: 'redirect', url: 'https://example.com/x', code: 301 }] } },
  { name: 'permanent-redirect-code 308', annotations: { [`${N}permanent-redirect`]: 'https://e.com', [`${N}permanent-redirect-code`]: '308' }, want: { policies: [{ kind: 'redirect', url: 'https://e.com', code: 308 }] } },
  { name: 'permanent-redirect-code out of range: 301, as ingress-nginx', annotations: { [`${N}permanent-redirect`]: 'https://e.com', [`${N}permanent-redirect-code`]: '200' }, want: { policies: [{ kind: 'redirect', url: 'https://e.com', code: 301 }] } },
  { name: 'temporal-redirect wins over permanent', annotations: { [`${N}permanent-redirect`]: 'https://p.com', [`${N}temporal-redirect`]: 'https://t.com', [`${N}temporal-redirect-code`]: '307' }, want: { policies: [{ kind: 'redirect', url: 'https://t.com', code: 307 }] } },
  { name: 'temporal-redirect-code 308 is out of its range: 302', annotations: { [`${N}temporal-redirect`]: 'https://t.com', [`${N}temporal-redirect-code`]: '308' }, want: { policies: [{ kind: 'redirect', url: 'https://t.com', code: 302 }] } },
  { name: 'force-ssl-redirect, preserve-trailing-slash, from-to-www', annotations: { [`${N}force-ssl-redirect`]: 'true', [`${N}preserve-trailing-slash`]: 'true', [`${N}from-to-www-redirect`]: 'true' }, want: { forceSslRedirect: true, preserveTrailingSlash: true, fromToWww: true } },
  { name: 'use-port-in-redirects: the redirect names the HTTPS port (443 unless the controller says otherwise)', annotations: { [`${N}use-port-in-redirects`]: 'true' }, want: { usePortInRedirects: true, httpsPort: 443 } },
  { name: 'use-port-in-redirects false', annotations: { [`${N}use-port-in-redirects`]: 'false' }, want: { usePortInRedirects: false } },
  { name: 'connection-proxy-header close: a Connection: close backend', annotations: { [`${N}connection-proxy-header`]: 'close' }, want: { backend: { connectionClose: true } } },
  { name: 'connection-proxy-header keep-alive: what Pier sends anyway', annotations: { [`${N}connection-proxy-header`]: 'keep-alive' }, want: { backend: {} } },
  { name: 'satisfy any: the access controls combined', annotations: { [`${N}satisfy`]: 'any' }, want: { policies: [{ kind: 'satisfy-any' }] } },
  { name: 'satisfy all: the default, nothing to add', annotations: { [`${N}satisfy`]: 'all' }, want: { policies: [] } },
  { name: 'backend-protocol HTTPS (any case)', annotations: { [`${N}backend-protocol`]: 'https' }, want: { backend: { protocol: 'HTTPS' } } },
  { name: 'backend-protocol GRPC, GRPCS, H2C', annotations: { [`${N}backend-protocol`]: 'grpcs' }, want: { backend: { protocol: 'GRPCS' } } },
  { name: 'pier.dev/http2 "false"', annotations: { [`${P}http2`]: 'false' }, want: { http2: false } },
  { name: 'backend-protocol AUTO_HTTP is HTTP', annotations: { [`${N}backend-protocol`]: 'AUTO_HTTP' }, want: { backend: { protocol: 'HTTP' } } },
  { name: 'upstream-vhost sets Host upstream', annotations: { [`${N}upstream-vhost`]: 'internal.example:8080' }, want: { policies: [{ kind: 'request-headers', set: ['host', 'internal.example:8080'], add: [], remove: [] }] } },
  { name: 'load-balance ewma → power of two choices', annotations: { [`${N}load-balance`]: 'ewma' }, want: { backend: { algorithm: 'Random' } } },
  { name: 'upstream-hash-by wins over load-balance', annotations: { [`${N}load-balance`]: 'round_robin', [`${N}upstream-hash-by`]: '$request_uri' }, want: { backend: { algorithm: 'ConsistentHash', hashKey: { source: 'RequestURI' } } } },
  { name: 'upstream-hash-by $http_x_user', annotations: { [`${N}upstream-hash-by`]: '$http_x_user' }, want: { backend: { algorithm: 'ConsistentHash', hashKey: { source: 'Header', name: 'x-user' } } } },
  { name: 'upstream-hash-by ${cookie_Session}', annotations: { [`${N}upstream-hash-by`]: '${cookie_Session}' }, want: { backend: { algorithm: 'ConsistentHash', hashKey: { source: 'Cookie', name: 'Session' } } } },
  { name: 'upstream-hash-by $remote_addr', annotations: { [`${N}upstream-hash-by`]: '$remote_addr' }, want: { backend: { algorithm: 'ConsistentHash', hashKey: { source: 'ClientAddress' } } } },
  { name: 'service-upstream', annotations: { [`${N}service-upstream`]: 'true' }, want: { backend: { serviceUpstream: true } } },
  { name: 'proxy-body-size 8m', annotations: { [`${N}proxy-body-size`]: '8m' }, want: { policies: [{ kind: 'body-size', maxBytes: 8 * 1024 * 1024 }] } },
  { name: 'proxy-body-size 0 is unlimited (it lifts --max-body-size for the route)', annotations: { [`${N}proxy-body-size`]: '0' }, want: { policies: [{ kind: 'body-size', maxBytes: 0 }] } },
  { name: 'timeouts in seconds', annotations: { [`${N}proxy-connect-timeout`]: '3', [`${N}proxy-send-timeout`]: '120', [`${N}proxy-read-timeout`]: '3600' }, want: { backend: { connectMs: 3_000, sendMs: 120_000, readMs: 3_600_000 } } },
  { name: 'proxy-next-upstream with tries and timeout', annotations: { [`${N}proxy-next-upstream`]: 'error timeout http_502', [`${N}proxy-next-upstream-tries`]: '3', [`${N}proxy-next-upstream-timeout`]: '10' }, want: { backend: { retryOn: ['connect-failure', 'reset', 'timeout', '502'], retryNonIdempotent: false, retryAttempts: 2, retryTimeoutMs: 10_000 } } },
  { name: 'proxy-next-upstream-tries 0 (no limit in nginx, bounded by its endpoints): the Upstream maximum, 10 retries', annotations: { [`${N}proxy-next-upstream-tries`]: '0' }, want: { backend: { retryAttempts: 10 } } },
  { name: 'proxy-next-upstream-tries above 11: 10 retries', annotations: { [`${N}proxy-next-upstream-tries`]: '50' }, want: { backend: { retryAttempts: 10 } } },
  { name: 'proxy-next-upstream off: no retry whatever tries says', annotations: { [`${N}proxy-next-upstream`]: 'off', [`${N}proxy-next-upstream-tries`]: '5' }, want: { backend: { retryOn: [], retryAttempts: 0 } } },
  { name: 'buffering knobs validated, no effect', annotations: { [`${N}proxy-buffering`]: 'off', [`${N}client-body-buffer-size`]: '1M', [`${N}proxy-buffer-size`]: '8k' }, want: { policies: [], backend: {} } },
  { name: 'request headers (pier.dev only)', annotations: { [`${P}request-headers-set`]: 'X-Env: prod\nX-Team:  a ', [`${P}request-headers-remove`]: 'X-Debug, cookie' }, want: { policies: [{ kind: 'request-headers', set: ['x-env', 'prod', 'x-team', 'a'], add: [], remove: ['x-debug', 'cookie'] }] } },
  { name: 'response headers add', annotations: { [`${P}response-headers-add`]: 'Link: </a.css>; rel=preload' }, want: { policies: [{ kind: 'response-headers', set: [], add: ['link', '</a.css>; rel=preload'], remove: [] }] } },
  { name: 'canary by header value and weight', annotations: { [`${N}canary`]: 'true', [`${N}canary-by-header`]: 'X-Canary', [`${N}canary-by-header-value`]: 'yes', [`${N}canary-weight`]: '20' }, want: { canary: { header: 'x-canary', headerValue: 'yes', weight: 20, weightTotal: 100 } } },
  { name: 'canary: a value set makes the pattern ignored', annotations: { [`${N}canary`]: 'true', [`${N}canary-by-header`]: 'h', [`${N}canary-by-header-value`]: 'v', [`${N}canary-by-header-pattern`]: '^a' }, want: { canary: { header: 'h', headerValue: 'v', weight: 0, weightTotal: 100 } } },
  { name: 'canary by cookie, weight total', annotations: { [`${N}canary`]: 'true', [`${N}canary-by-cookie`]: 'beta', [`${N}canary-weight`]: '5', [`${N}canary-weight-total`]: '1000' }, want: { canary: { cookie: 'beta', weight: 5, weightTotal: 1000 } } },
  { name: 'canary annotations without canary: "true" do nothing', annotations: { [`${N}canary-weight`]: '50' }, want: { policies: [], backend: {} } },
  { name: 'affinity cookie with defaults', annotations: { [`${N}affinity`]: 'cookie' }, want: { affinity: { name: 'INGRESSCOOKIE', conditionalSameSiteNone: false, changeOnFailure: false } } },
  { name: 'affinity cookie attributes', annotations: { [`${N}affinity`]: 'cookie', [`${N}affinity-mode`]: 'persistent', [`${N}session-cookie-name`]: 'route', [`${N}session-cookie-path`]: '/app', [`${N}session-cookie-max-age`]: '172800', [`${N}session-cookie-samesite`]: 'none', [`${N}session-cookie-conditional-samesite-none`]: 'true', [`${N}session-cookie-secure`]: 'true', [`${N}session-cookie-change-on-failure`]: 'true' },
    want: { affinity: { name: 'route', path: '/app', maxAge: 172800, sameSite: 'None', conditionalSameSiteNone: true, secure: true, changeOnFailure: true } } },
  { name: 'custom-http-errors with default-backend', annotations: { [`${N}custom-http-errors`]: '404, 503,404', [`${N}default-backend`]: 'errors' }, want: { customHttpErrors: [404, 503], defaultBackendService: 'errors' } },
  { name: 'disable-proxy-intercept-errors turns custom-http-errors off', annotations: { [`${N}custom-http-errors`]: '404', [`${N}disable-proxy-intercept-errors`]: 'true' }, want: { policies: [] } },
  { name: 'custom-headers: the ConfigMap\'s keys are response headers set', annotations: { [`${N}custom-headers`]: 'default/headers' },
    want: { policies: [{ kind: 'response-headers', set: ['strict-transport-security', 'max-age=31536000', 'x-frame-options', 'DENY'], add: [], remove: [] }] } },
  { name: 'backend-protocol FCGI with fastcgi-index and params', annotations: { [`${N}backend-protocol`]: 'FCGI', [`${N}fastcgi-index`]: 'index.php', [`${N}fastcgi-params-configmap`]: 'fcgi' },
    want: { backend: { protocol: 'FastCGI', fastcgi: expect.objectContaining({ index: 'index.php', params: [{ name: 'APP_ENV', value: 'prod' }, { name: 'SCRIPT_FILENAME', value: '/srv/app/index.php' }] }) } } },
  { name: 'default-backend', annotations: { [`${N}default-backend`]: 'errors' }, want: { defaultBackendService: 'errors' } },
  { name: 'proxy-redirect-from and -to: a proxy_redirect rule', annotations: { [`${N}proxy-redirect-from`]: 'http://backend:8080/two/', [`${N}proxy-redirect-to`]: 'https://example.com/one/' },
    want: { policies: [{ kind: 'response-rewrite', redirect: { from: 'http://backend:8080/two/', to: 'https://example.com/one/' } }] } },
  { name: 'proxy-redirect-to a path', annotations: { [`${N}proxy-redirect-from`]: 'http://backend/', [`${P}proxy-redirect-to`]: '/' }, want: { policies: [{ kind: 'response-rewrite', redirect: { from: 'http://backend/', to: '/' } }] } },
  { name: 'proxy-redirect-from off / default: no rule', annotations: { [`${N}proxy-redirect-from`]: 'default' }, want: { policies: [] } },
  { name: 'proxy-redirect-to off: no rule, as ingress-nginx', annotations: { [`${N}proxy-redirect-from`]: 'http://backend/', [`${N}proxy-redirect-to`]: 'off' }, want: { policies: [] } },
  { name: 'proxy-cookie-domain: two domains, leading dots dropped as nginx', annotations: { [`${N}proxy-cookie-domain`]: '.backend.local  .example.com' },
    want: { policies: [{ kind: 'response-rewrite', cookieDomain: { from: 'backend.local', to: 'example.com' } }] } },
  { name: 'proxy-cookie-path: two paths', annotations: { [`${N}proxy-cookie-path`]: '/two/ /' }, want: { policies: [{ kind: 'response-rewrite', cookiePath: { from: '/two/', to: '/' } }] } },
  { name: 'proxy-cookie-* off: nothing', annotations: { [`${N}proxy-cookie-path`]: 'off', [`${N}proxy-cookie-domain`]: 'off' }, want: { policies: [] } },
  { name: 'limit-rate in kilobytes per second (nginx limit_rate <n>k)', annotations: { [`${N}limit-rate`]: '100' }, want: { policies: [{ kind: 'limit-rate', bytesPerSecond: 102_400, afterBytes: 0 }] } },
  { name: 'limit-rate-after in kilobytes', annotations: { [`${N}limit-rate`]: '50', [`${P}limit-rate-after`]: '500' }, want: { policies: [{ kind: 'limit-rate', bytesPerSecond: 51_200, afterBytes: 512_000 }] } },
  { name: 'limit-rate 0: no limit (limit-rate-after alone does nothing)', annotations: { [`${N}limit-rate`]: '0', [`${N}limit-rate-after`]: '10' }, want: { policies: [] } },
  { name: 'all four in one policy', annotations: { [`${N}proxy-redirect-from`]: '/', [`${N}proxy-redirect-to`]: '/app/', [`${N}proxy-cookie-domain`]: 'a b', [`${N}proxy-cookie-path`]: '/ /app/' },
    want: { policies: [{ kind: 'response-rewrite', redirect: { from: '/', to: '/app/' }, cookieDomain: { from: 'a', to: 'b' }, cookiePath: { from: '/', to: '/app/' } }] } },
  { name: 'mirror-target: Host is its host name without the port (as ingress-nginx), body on by default', annotations: { [`${N}mirror-target`]: 'https://test.env.com:8080$request_uri' },
    want: { policies: [{ kind: 'mirror', origin: 'https://test.env.com:8080', path: '$request_uri', host: 'test.env.com', requestBody: true, connectTimeoutMs: 5_000, timeoutMs: 60_000 }] } },
  { name: 'mirror-host, mirror-request-body off and the Ingress\'s timeouts', annotations: { [`${N}mirror-target`]: 'http://10.0.0.5/shadow?u=$escaped_request_uri', [`${P}mirror-host`]: 'test.env.com', [`${N}mirror-request-body`]: 'off', [`${N}proxy-connect-timeout`]: '2', [`${N}proxy-read-timeout`]: '7' },
    want: { policies: [{ kind: 'mirror', origin: 'http://10.0.0.5', path: '/shadow?u=$escaped_request_uri', host: 'test.env.com', requestBody: false, connectTimeoutMs: 2_000, timeoutMs: 7_000 }] } },
  { name: 'mirror-target without a path: the request\'s URI is sent', annotations: { [`${N}mirror-target`]: 'http://Mirror.NS:80' },
    want: { policies: [{ kind: 'mirror', origin: 'http://mirror.ns', path: '', host: 'mirror.ns', requestBody: true, connectTimeoutMs: 5_000, timeoutMs: 60_000 }] } },
  { name: 'mirror-target empty: no mirror', annotations: { [`${N}mirror-target`]: '' }, want: { policies: [] } },
];

describe('annotations: valid values', () => {
  it.each(valid)('$name', ({ annotations, want }) => {
    const parsed = parse(annotations);
    expect(parsed.problems.filter((p) => p.severity === 'Warning')).toEqual([]);
    expect(parsed.rejected).toBe(false);
    expect(parsed.settings).toMatchObject(want);
  });
});

interface Invalid {
  readonly name: string;
  readonly annotations: Record<string, string>;
  readonly reason: string;
  readonly message: string;
}

const invalid: Invalid[] = [
  { name: 'satisfy neither all nor any (a misspelt any is never read as all)', annotations: { [`${N}satisfy`]: 'ANY' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}satisfy: "ANY" is not one of all, any` },
  { name: 'connection-proxy-header other than close or keep-alive (ingress-nginx\'s ^(close|keep-alive)$)', annotations: { [`${N}connection-proxy-header`]: 'upgrade' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}connection-proxy-header: "upgrade" is not one of close, keep-alive` },
  { name: 'a boolean that is not one', annotations: { [`${N}use-regex`]: 'yes' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}use-regex: "yes" is not a boolean (use "true" or "false")` },
  { name: 'rewrite-target with a space', annotations: { [`${N}rewrite-target`]: '/a b' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}rewrite-target: "/a b" may contain only a path with $1..$9 captures (letters, digits, - . _ ~ / : $)` },
  { name: 'app-root as a URL', annotations: { [`${P}app-root`]: 'https://x.com/app' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${P}app-root: "https://x.com/app" must be a path starting with / (not a URL)` },
  { name: 'a redirect URL with a quote', annotations: { [`${N}permanent-redirect`]: 'https://x.com/"' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}permanent-redirect: "https://x.com/"" is not a URL (letters, digits and - . _ ~ / : , ? & = only)` },
  { name: 'a redirect code that is not a number', annotations: { [`${N}permanent-redirect`]: 'https://x.com', [`${N}permanent-redirect-code`]: 'moved' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}permanent-redirect-code: "moved" is not a whole number` },
  { name: 'backend-protocol unknown', annotations: { [`${N}backend-protocol`]: 'SPDY' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}backend-protocol: "SPDY" is not one of AUTO_HTTP, HTTP, HTTPS, GRPC, GRPCS, FCGI, H2C` },
  { name: 'load-balance chash', annotations: { [`${N}load-balance`]: 'chash' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}load-balance: "chash" is set through upstream-hash-by or affinity in Pier, not load-balance` },
  { name: 'upstream-hash-by with two variables', annotations: { [`${N}upstream-hash-by`]: '$request_uri$host' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}upstream-hash-by: "$request_uri$host" must be one nginx variable: $remote_addr, $binary_remote_addr, $request_uri, $http_<name> or $cookie_<name>` },
  { name: 'upstream-vhost with a path', annotations: { [`${N}upstream-vhost`]: 'a.com/x' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}upstream-vhost: "a.com/x" is not a host name` },
  { name: 'proxy-body-size with a unit nginx does not know', annotations: { [`${N}proxy-body-size`]: '8mb' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-body-size: "8mb" is not an nginx size (like 1m, 8k, 1000)` },
  { name: 'a timeout that is not seconds', annotations: { [`${N}proxy-read-timeout`]: '1.5' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-read-timeout: "1.5" is not a number of seconds (like "60")` },
  { name: 'proxy-next-upstream unknown condition', annotations: { [`${N}proxy-next-upstream`]: 'error http_418' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-next-upstream: "error http_418" has an unknown condition "http_418" (use error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent or off)` },
  { name: 'proxy-buffering neither on nor off', annotations: { [`${N}proxy-buffering`]: 'maybe' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-buffering: "maybe" is not one of on, off` },
  { name: 'a header line without a colon', annotations: { [`${P}request-headers-set`]: 'X-Env prod' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${P}request-headers-set: "X-Env prod" has a line that is not "Name: value": "X-Env prod"` },
  { name: 'a framing header', annotations: { [`${P}response-headers-set`]: 'Content-Length: 5' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${P}response-headers-set: "Content-Length: 5" may not change content-length (Pier owns framing and hop-by-hop headers)` },
  { name: 'canary pattern RE2 cannot run', annotations: { [`${N}canary`]: 'true', [`${N}canary-by-header`]: 'x', [`${N}canary-by-header-pattern`]: '(?=a)' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}canary-by-header-pattern: "(?=a)" is not a regular expression RE2 can run (lookarounds and backreferences are not supported)` },
  { name: 'canary weight negative', annotations: { [`${N}canary`]: 'true', [`${N}canary-weight`]: '-1' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}canary-weight: "-1" must be between 0 and 1000000000` },
  { name: 'custom-http-errors with a 2xx', annotations: { [`${N}custom-http-errors`]: '404,200' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}custom-http-errors: "404,200" must be a comma-separated list of 4xx and 5xx status codes` },
  { name: 'default-backend that is not a Service name', annotations: { [`${N}default-backend`]: 'ns/errors' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}default-backend: "ns/errors" must be the name of a Service in the Ingress's namespace` },
  { name: 'affinity other than cookie', annotations: { [`${N}affinity`]: 'ip' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}affinity: "ip" is not "cookie" (the only affinity type)` },
  { name: 'affinity-mode unknown', annotations: { [`${N}affinity`]: 'cookie', [`${N}affinity-mode`]: 'sticky' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}affinity-mode: "sticky" is not one of balanced, persistent` },
  { name: 'custom-headers in another namespace', annotations: { [`${N}custom-headers`]: 'other/headers' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}custom-headers: "other/headers" names a ConfigMap in another namespace than the Ingress (default); only the Ingress's own namespace is allowed` },
  { name: 'custom-headers naming a missing ConfigMap', annotations: { [`${N}custom-headers`]: 'default/nope' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}custom-headers: "default/nope" names ConfigMap default/nope, which does not exist` },
  { name: 'custom-headers setting a framing header', annotations: { [`${N}custom-headers`]: 'framing' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}custom-headers: "framing" ConfigMap default/framing may not set content-length (Pier owns framing and hop-by-hop headers)` },
  { name: 'fastcgi-params-configmap naming a missing ConfigMap', annotations: { [`${N}backend-protocol`]: 'FCGI', [`${N}fastcgi-params-configmap`]: 'nope' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}fastcgi-params-configmap: ConfigMap default/nope not found` },
  { name: 'server-alias with a character nginx refuses in a server name', annotations: { [`${N}server-alias`]: 'a.com, b.com;return' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}server-alias: "a.com, b.com;return" has an invalid server name "b.com;return" (letters, digits, "-", ".", "*" and regular expression characters only)` },
  { name: 'proxy-cookie-domain with one domain (nginx would not load it)', annotations: { [`${N}proxy-cookie-domain`]: 'example.com' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-cookie-domain: "example.com" must be "off" or two values separated by a space (the domain to change and its replacement)` },
  { name: 'proxy-cookie-path with three values', annotations: { [`${N}proxy-cookie-path`]: '/a /b /c' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-cookie-path: "/a /b /c" must be "off" or two values separated by a space (the path to change and its replacement)` },
  { name: 'proxy-cookie-path as a regular expression', annotations: { [`${N}proxy-cookie-path`]: '~*^/(?!x) /x' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-cookie-path: "~*^/(?!x) /x" is a regular expression (~); Pier supports the text form only (a prefix to replace)` },
  { name: 'proxy-cookie-path with a ; that would add a cookie attribute', annotations: { [`${N}proxy-cookie-path`]: '/ /;Domain=evil.com' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-cookie-path: "/ /;Domain=evil.com" may not contain ";" or "," in a cookie path` },
  { name: 'proxy-cookie-domain with a character a domain has not', annotations: { [`${N}proxy-cookie-domain`]: 'a.com b.com;x' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-cookie-domain: "a.com b.com;x" may contain only letters, digits and - . _ ~ / : in its domains` },
  { name: 'proxy-redirect-from as a regular expression', annotations: { [`${N}proxy-redirect-from`]: '~^http://b', [`${N}proxy-redirect-to`]: '/' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-redirect-from: "~^http://b" is a regular expression (~); Pier supports the text form only (a prefix to replace)` },
  { name: 'proxy-redirect-to with an nginx variable', annotations: { [`${N}proxy-redirect-from`]: 'http://b/', [`${N}proxy-redirect-to`]: 'http://$host/' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-redirect-to: "http://$host/" uses an nginx variable ($); Pier supports plain text only` },
  { name: 'proxy-redirect-from with a space', annotations: { [`${N}proxy-redirect-from`]: 'http://b/ x', [`${N}proxy-redirect-to`]: '/' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}proxy-redirect-from: "http://b/ x" must be one value without spaces or control characters` },
  { name: 'mirror-target that is not a URL', annotations: { [`${N}mirror-target`]: 'IamNotAURL' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}mirror-target: "IamNotAURL" is not an http:// or https:// URL` },
  { name: 'mirror-target with a space', annotations: { [`${N}mirror-target`]: 'http://m/ x' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}mirror-target: "http://m/ x" is not a URL (one value of visible characters, without spaces or a #fragment)` },
  { name: 'mirror-target whose host is a variable', annotations: { [`${N}mirror-target`]: 'http://$http_x_target/x' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}mirror-target: "http://$http_x_target/x" must name its host (written out: an nginx variable may not stand for it)` },
  { name: 'mirror-target whose host a variable extends', annotations: { [`${N}mirror-target`]: 'http://mirror$host/x' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}mirror-target: "http://mirror$host/x" must have a fixed host: after it comes a path (/...), a query (?...), $request_uri or $uri` },
  { name: 'mirror-target with a bad port', annotations: { [`${P}mirror-target`]: 'http://m:99999/' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${P}mirror-target: "http://m:99999/" has "m:99999", which is not a host with an optional port` },
  { name: 'mirror-target with a variable Pier does not know', annotations: { [`${N}mirror-target`]: 'http://m$request_uri&t=$msec' }, reason: 'InvalidAnnotation', message: expect.stringContaining(`Ingress skipped: annotation ${N}mirror-target: "http://m$request_uri&t=$msec" uses $msec, which Pier does not know`) as unknown as string },
  { name: 'mirror-host with a quote', annotations: { [`${N}mirror-target`]: 'http://m$request_uri', [`${N}mirror-host`]: '_sbrubles-i"@xpto:12345' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}mirror-host: "_sbrubles-i"@xpto:12345" is not a host name (letters, digits, - . _ or a bracketed IPv6 address, with an optional :port)` },
  { name: 'mirror-request-body neither on nor off', annotations: { [`${N}mirror-target`]: 'http://m$request_uri', [`${N}mirror-request-body`]: 'true' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}mirror-request-body: "true" is not one of on, off` },
  { name: 'limit-rate with a unit (ingress-nginx takes a whole number of kilobytes)', annotations: { [`${N}limit-rate`]: '100k' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${N}limit-rate: "100k" is not a whole number` },
  { name: 'limit-rate-after negative', annotations: { [`${N}limit-rate`]: '1', [`${P}limit-rate-after`]: '-1' }, reason: 'InvalidAnnotation', message: `Ingress skipped: annotation ${P}limit-rate-after: "-1" must be between 0 and 1073741824` },
  { name: 'configuration-snippet refused', annotations: { [`${N}configuration-snippet`]: 'more_set_headers "A: b";' }, reason: 'RefusedAnnotation', message: `Ingress skipped: annotation ${N}configuration-snippet is refused: Pier never evaluates configuration text (CVE-2025-1974); express the intent with a typed annotation` },
  { name: 'server-snippet refused under pier.dev too', annotations: { [`${P}server-snippet`]: 'return 403;' }, reason: 'RefusedAnnotation', message: `Ingress skipped: annotation ${P}server-snippet is refused: Pier never evaluates configuration text (CVE-2025-1974); express the intent with a typed annotation` },
];

describe('annotations: invalid values reject the Ingress with a problem naming the annotation', () => {
  it.each(invalid)('$name', ({ annotations, reason, message }) => {
    const parsed = parse(annotations);
    expect(parsed.rejected).toBe(true);
    expect(parsed.problems).toEqual([{ kind: 'Ingress', namespace: 'default', name: 'web', reason, message, severity: 'Warning' }]);
  });
});

describe('annotations: server-alias', () => {
  const rows: { name: string; value: string; aliases: readonly string[] | undefined; notices: readonly string[] }[] = [
    { name: 'trimmed, empty items skipped, lower-cased, de-duplicated, sorted', value: ' www.Example.com ,, b.example.com,WWW.example.com, ', aliases: ['b.example.com', 'www.example.com'], notices: [] },
    { name: 'a single-label wildcard', value: '*.example.com', aliases: ['*.example.com'], notices: [] },
    { name: 'nothing but commas: no alias', value: ' , ,', aliases: undefined, notices: [] },
    {
      name: 'nginx forms Pier cannot match are left out, the rest apply',
      value: '~^www\\d+\\.example\\.com$, www.example.*, .example.com, 10.0.0.1, a.com:8080, ok.com',
      aliases: ['ok.com'],
      notices: [
        `annotation ${N}server-alias: ".example.com" ignored: Pier serves only exact DNS names and single-label *.domain wildcards as aliases; the other aliases apply`,
        `annotation ${N}server-alias: "10.0.0.1" ignored: Pier serves only exact DNS names and single-label *.domain wildcards as aliases; the other aliases apply`,
        `annotation ${N}server-alias: "a.com:8080" ignored: Pier serves only exact DNS names and single-label *.domain wildcards as aliases; the other aliases apply`,
        `annotation ${N}server-alias: "www.example.*" ignored: Pier serves only exact DNS names and single-label *.domain wildcards as aliases; the other aliases apply`,
        `annotation ${N}server-alias: "~^www\\d+\\.example\\.com$" ignored: regular expression server names are not supported (only exact names and *.domain); the other aliases apply`,
      ],
    },
  ];
  it.each(rows)('$name', ({ value, aliases, notices }) => {
    const parsed = parse({ [`${N}server-alias`]: value });
    expect(parsed.rejected).toBe(false);
    expect(parsed.settings.serverAliases).toEqual(aliases);
    expect(parsed.problems).toEqual(notices.map((message) => ({ kind: 'Ingress', namespace: 'default', name: 'web', reason: 'UnsupportedAnnotationValue', message, severity: 'Normal' })));
  });

  it('pier.dev/ wins and is named in problems', () => {
    const parsed = parse({ [`${N}server-alias`]: 'a.com', [`${P}server-alias`]: 'b.com,~x' });
    expect(parsed.settings.serverAliases).toEqual(['b.com']);
    expect(parsed.problems.map((p) => p.message)).toEqual([expect.stringContaining(`annotation ${P}server-alias: "~x" ignored`)]);
  });
});

describe('annotations: proxy-redirect-from and -to apart', () => {
  const notice = (message: string) => ({ kind: 'Ingress', namespace: 'default', name: 'web', reason: 'UnsupportedAnnotationValue', message, severity: 'Normal' });
  it('from without to: served, no rule, a Normal problem says why', () => {
    const parsed = parse({ [`${N}proxy-redirect-from`]: 'http://backend/' });
    expect(parsed.rejected).toBe(false);
    expect(parsed.settings.policies).toEqual([]);
    expect(parsed.problems).toEqual([notice(`annotation ${N}proxy-redirect-from: has no effect without proxy-redirect-to (ingress-nginx writes no proxy_redirect then)`)]);
  });
  it('to without from: the same', () => {
    const parsed = parse({ [`${P}proxy-redirect-to`]: '/' });
    expect(parsed.rejected).toBe(false);
    expect(parsed.settings.policies).toEqual([]);
    expect(parsed.problems).toEqual([notice(`annotation ${P}proxy-redirect-to: has no effect without proxy-redirect-from (not set, "off" or "default")`)]);
  });
});

describe('annotations: mirror-host and mirror-request-body without mirror-target', () => {
  it('served, no mirror, a Normal problem for each', () => {
    const parsed = parse({ [`${N}mirror-host`]: 'test.env.com', [`${N}mirror-request-body`]: 'off' });
    expect(parsed.rejected).toBe(false);
    expect(parsed.settings.policies).toEqual([]);
    expect(parsed.problems.map((p) => [p.severity, p.message])).toEqual([
      ['Normal', `annotation ${N}mirror-host: has no effect without mirror-target`],
      ['Normal', `annotation ${N}mirror-request-body: has no effect without mirror-target`],
    ]);
  });
});

describe('annotations: what is not Pier\'s', () => {
  it('a name nobody defines: Normal, served', () => {
    const parsed = parse({ [`${N}no-such`]: 'x', [`${P}typo`]: '1' });
    expect(parsed.rejected).toBe(false);
    expect(parsed.problems.map((p) => [p.reason, p.severity, p.message])).toEqual([
      ['UnknownAnnotation', 'Normal', `annotation ${N}no-such is not known to Pier and is ignored`],
      ['UnknownAnnotation', 'Normal', `annotation ${P}typo is not known to Pier and is ignored`],
    ]);
  });

  it("Pier's own names exist only under pier.dev/", () => {
    const parsed = parse({ [`${N}request-headers-set`]: 'X: y' });
    expect(parsed.settings.policies).toEqual([]);
    expect(parsed.problems.map((p) => p.reason)).toEqual(['UnknownAnnotation']);
  });

  it('an unsupported one: Normal, named with why, served', () => {
    const parsed = parse({ [`${N}enable-opentelemetry`]: 'true' });
    expect(parsed.rejected).toBe(false);
    expect(parsed.problems).toEqual([expect.objectContaining({ reason: 'UnsupportedAnnotation', severity: 'Normal', message: expect.stringContaining(`annotation ${N}enable-opentelemetry is not supported and is ignored`) })]);
  });

  it('no-ops with no effect in ingress-nginx either (relative redirects, HTTP/2 push): served, nothing reported', () => {
    const parsed = parse({ [`${N}relative-redirects`]: 'true', [`${N}http2-push-preload`]: 'true' });
    expect(parsed.rejected).toBe(false);
    expect(parsed.problems).toEqual([]);
    expect(parsed.settings).toMatchObject({ policies: [], backend: {} });
  });

  it('other prefixes are not looked at', () => {
    expect(parse({ 'kubernetes.io/ingress.class': 'nginx', 'cert-manager.io/cluster-issuer': 'le' }).problems).toEqual([]);
  });
});
