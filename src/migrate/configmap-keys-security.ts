import { same } from './configmap-flags.ts';
import { isBool, isEmpty, isText, whileOff, type ConfigMapKey } from './configmap-key.ts';

const SNIPPET = 'nginx configuration text is not applied: Pier evaluates none (CVE-2025-1974); find out what it did and express that with flags or annotations';

/** `annotations-risk-level`: Pier refuses the Critical annotations (the snippets) and applies
 * every other it supports, as ingress-nginx's default High; Critical lets snippets in there
 * (Pier stays stricter: their Ingresses are not served, and reported as such). */
function riskLevel(value: string): boolean {
  return isText('High', 'Critical')(value);
}

/** Access control, WAF and what Ingress authors may ask for: ingress-nginx's ConfigMap keys
 * that protect the cluster or its clients. */
export const SECURITY_KEYS: readonly ConfigMapKey[] = [
  { key: 'allow-snippet-annotations', status: 'always', honours: isBool(false), note: 'Pier never applies *-snippet annotations (CVE-2025-1974), as "false": with "true", the Ingresses that use one are not served (pier migrate-check reports each)' },
  { key: 'annotations-risk-level', status: 'always', fails: true, honours: riskLevel, note: 'Pier refuses the Critical annotations (the snippets) and applies every other one it supports, as ingress-nginx\'s default High; Medium or Low refused annotations there that Pier applies' },
  { key: 'annotation-value-word-blocklist', status: 'not-needed', note: 'it kept annotation values that nginx.conf would run out of the file (CVE-2021-25742); Pier parses every value into a typed setting and pastes none into any configuration' },
  { key: 'allow-cross-namespace-resources', status: 'always', fails: true, honours: isBool(false), note: 'Pier refuses Secrets and ConfigMaps of another namespace than the Ingress (auth-secret, auth-tls-secret, proxy-ssl-secret, fastcgi-params-configmap, custom-headers), as "false": with "true", routes that use one answer 403 or 503, or their Ingress is not served' },
  { key: 'strict-validate-path-type', status: 'unsupported', honours: isBool(false), note: 'Pier serves Exact and Prefix paths with any characters Kubernetes allows (as text, unless the host uses regex paths), where "true", ingress-nginx\'s default, refused an Ingress whose such paths had characters other than letters, digits, -, _ and /' },
  { key: 'global-allowed-response-headers', status: 'unsupported', note: 'ingress-nginx let the custom-headers annotation set only the headers listed here; Pier lets it set any header but framing ones (from a ConfigMap of the Ingress\'s own namespace)' },
  { key: 'main-snippet', status: 'unsupported', fails: true, honours: isEmpty, note: SNIPPET },
  { key: 'http-snippet', status: 'unsupported', fails: true, honours: isEmpty, note: SNIPPET },
  { key: 'server-snippet', status: 'unsupported', fails: true, honours: isEmpty, note: SNIPPET },
  { key: 'location-snippet', status: 'unsupported', fails: true, honours: isEmpty, note: SNIPPET },
  { key: 'stream-snippet', status: 'unsupported', fails: true, honours: isEmpty, note: SNIPPET },
  { key: 'enable-modsecurity', status: 'unsupported', fails: true, honours: isBool(false), note: 'Pier has no web application firewall: requests ModSecurity blocked reach the backends' },
  { key: 'enable-owasp-modsecurity-crs', status: 'unsupported', fails: true, honours: isBool(false), note: 'Pier has no web application firewall: requests the OWASP Core Rule Set blocked reach the backends' },
  { key: 'modsecurity-snippet', status: 'unsupported', fails: true, honours: isEmpty, note: 'ModSecurity rules are not applied: Pier has no web application firewall and evaluates no configuration text' },
  { key: 'whitelist-source-range', status: 'flag', flags: ['whitelist-source-range'], convert: same('whitelist-source-range'), example: '10.0.0.0/8,192.168.0.0/16', note: 'the same CIDR list → --whitelist-source-range=...: the allow list of every route without its own whitelist-/allowlist-source-range annotation' },
  { key: 'denylist-source-range', status: 'flag', flags: ['denylist-source-range'], convert: same('denylist-source-range'), example: '198.51.100.0/24', note: 'the same CIDR list → --denylist-source-range=...: the deny list of every route without its own denylist-source-range annotation' },
  { key: 'block-cidrs', status: 'flag', flags: ['block-cidrs'], convert: same('block-cidrs'), example: '198.51.100.7,203.0.113.0/24', note: 'the same CIDR list → --block-cidrs=...: 403 for every request from them, before any Ingress\'s lists' },
  { key: 'block-user-agents', status: 'unsupported', fails: true, honours: isEmpty, note: 'requests with these User-Agents are not blocked (ingress-nginx answered 403)' },
  { key: 'block-referers', status: 'unsupported', fails: true, honours: isEmpty, note: 'requests with these Referers are not blocked (ingress-nginx answered 403)' },
  { key: 'global-auth-url', status: 'flag', flags: ['global-auth-url'], convert: same('global-auth-url'), example: 'https://auth.example.com/oauth2/auth', note: 'the same URL → --global-auth-url=...: external auth for every route whose Ingress has no auth-url of its own and not enable-global-auth: "false"' },
  { key: 'global-auth-method', status: 'flag', flags: ['global-auth-method'], convert: same('global-auth-method'), example: 'GET', note: 'the same value → --global-auth-method=... (as the auth-method annotation), with --global-auth-url' },
  { key: 'global-auth-signin', status: 'flag', flags: ['global-auth-signin'], convert: same('global-auth-signin'), example: 'https://auth.example.com/oauth2/start?rd=$escaped_request_uri', note: 'the same value → --global-auth-signin=... (as the auth-signin annotation), with --global-auth-url' },
  { key: 'global-auth-signin-redirect-param', status: 'flag', flags: ['global-auth-signin-redirect-param'], convert: same('global-auth-signin-redirect-param'), example: 'next', note: 'the same value → --global-auth-signin-redirect-param=... (as the auth-signin-redirect-param annotation), with --global-auth-url' },
  { key: 'global-auth-response-headers', status: 'flag', flags: ['global-auth-response-headers'], convert: same('global-auth-response-headers'), example: 'X-Auth-Request-User,X-Auth-Request-Email', note: 'the same value → --global-auth-response-headers=... (as the auth-response-headers annotation), with --global-auth-url' },
  { key: 'global-auth-request-redirect', status: 'flag', flags: ['global-auth-request-redirect'], convert: same('global-auth-request-redirect'), example: 'https://app.example.com/', note: 'the same value → --global-auth-request-redirect=... (as the auth-request-redirect annotation), with --global-auth-url' },
  { key: 'global-auth-snippet', status: 'unsupported', honours: whileOff('global-auth-url', 'text'), note: 'nginx text for the global auth location is not applied: Pier evaluates no configuration text; no effect while global-auth-url is empty' },
  { key: 'global-auth-cache-key', status: 'flag', flags: ['global-auth-cache-key'], convert: same('global-auth-cache-key'), example: '$remote_user$http_authorization', note: 'the same value → --global-auth-cache-key=... (as the auth-cache-key annotation), with --global-auth-url' },
  { key: 'global-auth-cache-duration', status: 'flag', flags: ['global-auth-cache-duration'], convert: same('global-auth-cache-duration'), example: '200 202 10m, 401 30s', note: 'the same value → --global-auth-cache-duration=... (as the auth-cache-duration annotation), with --global-auth-url' },
  { key: 'global-auth-always-set-cookie', status: 'flag', flags: ['global-auth-always-set-cookie'], convert: same('global-auth-always-set-cookie'), example: 'true', note: 'the same value → --global-auth-always-set-cookie=... (as the auth-always-set-cookie annotation), with --global-auth-url' },
  { key: 'no-auth-locations', status: 'flag', flags: ['no-auth-locations'], convert: same('no-auth-locations'), example: '/.well-known/acme-challenge,/healthz', note: 'the same comma-separated paths → --no-auth-locations=...: routes under them get no external or basic auth (Pier\'s default is ingress-nginx\'s, /.well-known/acme-challenge)' },
];
