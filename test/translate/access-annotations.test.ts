import { describe, expect, it } from 'vitest';
import type { Ingress } from '../../src/source/objects.ts';
import { parseAnnotations } from '../../src/translate/annotations/parse-annotations.ts';
import type { Policy } from '../../src/routing/policies.ts';

/*
 * Parser tables for the access families (IP access, basic auth, external auth): annotations in,
 * the policies (or basic auth settings) out, or the exact problem that rejects the Ingress.
 */

const N = 'nginx.ingress.kubernetes.io/';

/** ConfigMaps auth-proxy-set-headers may name. */
const CONFIGMAPS: Record<string, Record<string, string>> = {
  'default/auth-headers': { 'X-Auth-Source': 'pier', 'X-Client': '$remote_addr', 'X-Forwarded-Uri': '$request_uri', 'X-Dropped': '' },
  'other/auth-headers': { 'X-A': 'b' },
  'default/bad-name': { 'X Bad': 'v' },
  'default/bad-variable': { 'X-Upstream': '$upstream_addr' },
  'default/framing': { 'Content-Length': '3' },
};

function parse(annotations: Record<string, string>) {
  const ingress: Ingress = { kind: 'Ingress', metadata: { name: 'web', namespace: 'default', annotations } };
  const parsed = parseAnnotations(ingress, (ns, name) => CONFIGMAPS[`${ns}/${name}`]);
  return {
    policies: parsed.settings.policies,
    basicAuth: parsed.settings.basicAuth,
    rejected: parsed.rejected,
    problems: parsed.problems.map((p) => p.message),
  };
}

const ok = (policies: Policy[]) => ({ policies, rejected: false, problems: [] as string[] });
const bad = (message: string) => ({ policies: [] as Policy[], rejected: true, problems: [`Ingress skipped: ${message}`] });
const EXT_DEFAULTS = { signinRedirectParam: 'rd', responseHeaders: [], cacheDurations: [{ codes: [200, 202, 401], ms: 300_000 }], alwaysSetCookie: false, connectTimeoutMs: 5_000, timeoutMs: 60_000 } as const;

describe('IP access annotations', () => {
  const cases: [string, Record<string, string>, ReturnType<typeof ok>][] = [
    ['allowlist: CIDRs and bare addresses, IPv4 and IPv6, sorted, host bits dropped',
      { [`${N}allowlist-source-range`]: '192.168.1.7, 10.1.2.3/8,2001:db8::1/32 , ::1' },
      ok([{ kind: 'ip-access', allow: ['10.0.0.0/8', '192.168.1.7/32', '2001:db8::/32', '::1/128'], deny: [] }])],
    ['whitelist-source-range is the same annotation', { [`${N}whitelist-source-range`]: '10.0.0.0/24' },
      ok([{ kind: 'ip-access', allow: ['10.0.0.0/24'], deny: [] }])],
    ['allowlist wins over whitelist', { [`${N}whitelist-source-range`]: '10.0.0.0/24', [`${N}allowlist-source-range`]: '10.9.0.0/16' },
      ok([{ kind: 'ip-access', allow: ['10.9.0.0/16'], deny: [] }])],
    ['denylist', { [`${N}denylist-source-range`]: '203.0.113.0/24' }, ok([{ kind: 'ip-access', allow: [], deny: ['203.0.113.0/24'] }])],
    ['both lists in one policy; pier.dev/ wins', { [`${N}denylist-source-range`]: '1.1.1.1', 'pier.dev/denylist-source-range': '2.2.2.2', [`${N}allowlist-source-range`]: '0.0.0.0/0' },
      ok([{ kind: 'ip-access', allow: ['0.0.0.0/0'], deny: ['2.2.2.2/32'] }])],
    ['an empty list is no policy', { [`${N}allowlist-source-range`]: ' , ' }, ok([])],
  ];
  for (const [name, annotations, want] of cases) {
    it(name, () => expect(parse(annotations)).toMatchObject(want));
  }

  const invalid: [string, string, string][] = [
    ['not an address', 'allowlist-source-range', `annotation ${N}allowlist-source-range: "10.0.0.0/8,example.com" has "example.com", which is not an IP address or CIDR range (like 10.0.0.0/8 or 2001:db8::/32)`],
    ['mask too long', 'denylist-source-range', `annotation ${N}denylist-source-range: "10.0.0.0/33" has "10.0.0.0/33", which is not an IP address or CIDR range (like 10.0.0.0/8 or 2001:db8::/32)`],
    ['shorthand IPv4', 'whitelist-source-range', `annotation ${N}whitelist-source-range: "10.1" has "10.1", which is not an IP address or CIDR range (like 10.0.0.0/8 or 2001:db8::/32)`],
  ];
  const values: Record<string, string> = { 'not an address': '10.0.0.0/8,example.com', 'mask too long': '10.0.0.0/33', 'shorthand IPv4': '10.1' };
  for (const [name, annotation, message] of invalid) {
    it(`invalid: ${name}`, () => expect(parse({ [`${N}${annotation}`]: values[name]! })).toEqual({ ...bad(message), basicAuth: undefined }));
  }
});

describe('basic auth annotations', () => {
  it('auth-type basic with auth-secret, type and realm', () => {
    expect(parse({ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users', [`${N}auth-secret-type`]: 'auth-map', [`${N}auth-realm`]: 'Authentication Required - foo' }))
      .toEqual({ policies: [], rejected: false, problems: [], basicAuth: { secret: 'users', secretType: 'auth-map', realm: 'Authentication Required - foo' } });
  });
  it('defaults: auth-file, empty realm', () => {
    expect(parse({ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'default/users' }).basicAuth).toEqual({ secret: 'default/users', secretType: 'auth-file', realm: '' });
  });
  it('auth-secret without auth-type protects nothing (as ingress-nginx)', () => {
    expect(parse({ [`${N}auth-secret`]: 'users' })).toEqual({ policies: [], rejected: false, problems: [], basicAuth: undefined });
  });
  const invalid: [string, Record<string, string>, string][] = [
    ['digest is refused', { [`${N}auth-type`]: 'digest', [`${N}auth-secret`]: 'users' }, `annotation ${N}auth-type: "digest" is not supported by Pier (digest authentication): use basic`],
    ['unknown type', { [`${N}auth-type`]: 'ntlm', [`${N}auth-secret`]: 'users' }, `annotation ${N}auth-type: "ntlm" is not one of basic, digest`],
    ['no secret', { [`${N}auth-type`]: 'basic' }, `annotation ${N}auth-type: "basic" needs ${N}auth-secret (the Secret with the users)`],
    ['bad secret type', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'u', [`${N}auth-secret-type`]: 'file' }, `annotation ${N}auth-secret-type: "file" is not one of auth-file, auth-map`],
    ['realm with a quote', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'u', [`${N}auth-realm`]: 'a"b' }, `annotation ${N}auth-realm: "a"b" may only hold letters, digits, spaces and - . _ ~ / :`],
    ['secret name with a space', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'my users' }, `annotation ${N}auth-secret: "my users" is not a Secret name (name or namespace/name)`],
  ];
  for (const [name, annotations, message] of invalid) {
    it(`invalid: ${name}`, () => {
      const got = parse(annotations);
      expect(got.rejected).toBe(true);
      expect(got.problems).toContain(`Ingress skipped: ${message}`);
    });
  }
});

describe('external auth annotations', () => {
  it('the oauth2-proxy set-up from ingress-nginx\'s docs', () => {
    expect(parse({ [`${N}auth-url`]: 'https://$host/oauth2/auth', [`${N}auth-signin`]: 'https://$host/oauth2/start?rd=$escaped_request_uri' }))
      .toMatchObject(ok([{ kind: 'external-auth', url: 'https://$host/oauth2/auth', signin: 'https://$host/oauth2/start?rd=$escaped_request_uri', ...EXT_DEFAULTS }]));
  });
  it('every option', () => {
    expect(parse({
      [`${N}auth-url`]: 'http://auth.default.svc:8080/check', [`${N}auth-method`]: 'POST', [`${N}auth-signin`]: 'https://login.example/start',
      [`${N}auth-signin-redirect-param`]: 'next', [`${N}auth-response-headers`]: 'X-Auth-User, X-Auth-Email', [`${N}auth-request-redirect`]: 'https://app.example/',
      [`${N}auth-cache-key`]: '$remote_user$http_authorization', [`${N}auth-cache-duration`]: '200 202 10m, 401 30s', [`${N}auth-always-set-cookie`]: 'true',
      [`${N}proxy-connect-timeout`]: '2', [`${N}proxy-read-timeout`]: '7', [`${N}auth-keepalive`]: '10',
    })).toMatchObject(ok([{
      kind: 'external-auth', url: 'http://auth.default.svc:8080/check', method: 'POST', signin: 'https://login.example/start', signinRedirectParam: 'next',
      responseHeaders: ['x-auth-user', 'x-auth-email'], requestRedirect: 'https://app.example/', cacheKey: '$remote_user$http_authorization',
      cacheDurations: [{ codes: [200, 202], ms: 600_000 }, { codes: [401], ms: 30_000 }], alwaysSetCookie: true, connectTimeoutMs: 2_000, timeoutMs: 7_000,
    }]));
  });
  it('auth-proxy-set-headers: the ConfigMap\'s entries, names lower-cased in order, values with nginx variables kept for the request', () => {
    expect(parse({ [`${N}auth-url`]: 'http://a/', [`${N}auth-proxy-set-headers`]: 'auth-headers' })).toMatchObject(ok([{
      ...EXT_DEFAULTS, kind: 'external-auth', url: 'http://a/',
      proxySetHeaders: ['x-auth-source', 'pier', 'x-client', '$remote_addr', 'x-dropped', '', 'x-forwarded-uri', '$request_uri'],
    }]));
  });
  it('other auth-* annotations without auth-url do nothing', () => {
    expect(parse({ [`${N}auth-signin`]: 'https://login.example/' })).toMatchObject(ok([]));
  });
  const invalid: [string, Record<string, string>, string][] = [
    ['not a URL', { [`${N}auth-url`]: 'auth-service' }, `annotation ${N}auth-url: "auth-service" is not an http:// or https:// URL with a host`],
    ['forbidden characters', { [`${N}auth-url`]: 'http://a/"x"' }, `annotation ${N}auth-url: "http://a/"x"" is not a URL (letters, digits, nginx variables and - . _ ~ / : , ? & = only)`],
    ['unknown variable', { [`${N}auth-url`]: 'http://$upstream_addr/auth' }, `annotation ${N}auth-url: "http://$upstream_addr/auth" uses $upstream_addr, which Pier does not know`],
    ['bad method', { [`${N}auth-url`]: 'http://a/', [`${N}auth-method`]: 'get' }, `annotation ${N}auth-method: "get" is not one of GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE`],
    ['bad header', { [`${N}auth-url`]: 'http://a/', [`${N}auth-response-headers`]: 'X-User, X:Bad' }, `annotation ${N}auth-response-headers: "X-User, X:Bad" has "X:Bad", which is not a header name`],
    ['bad cache duration', { [`${N}auth-url`]: 'http://a/', [`${N}auth-cache-duration`]: '200 5m 202' }, `annotation ${N}auth-cache-duration: "200 5m 202" has "200 5m 202", which is not status codes and a time (like "200 202 401 5m")`],
    ['bad cache key', { [`${N}auth-url`]: 'http://a/', [`${N}auth-cache-key`]: '$remote_user;' }, `annotation ${N}auth-cache-key: "$remote_user;" may only hold letters, digits, - _ and nginx variables`],
    ['bad always-set-cookie', { [`${N}auth-url`]: 'http://a/', [`${N}auth-always-set-cookie`]: 'yes' }, `annotation ${N}auth-always-set-cookie: "yes" is not a boolean (use "true" or "false")`],
    ['auth-proxy-set-headers naming no ConfigMap', { [`${N}auth-url`]: 'http://a/', [`${N}auth-proxy-set-headers`]: 'default/missing' }, `annotation ${N}auth-proxy-set-headers: "default/missing" names ConfigMap default/missing, which does not exist`],
    ['auth-proxy-set-headers in another namespace', { [`${N}auth-url`]: 'http://a/', [`${N}auth-proxy-set-headers`]: 'other/auth-headers' }, `annotation ${N}auth-proxy-set-headers: "other/auth-headers" names a ConfigMap in another namespace than the Ingress (default)`],
    ['auth-proxy-set-headers with a bad name', { [`${N}auth-url`]: 'http://a/', [`${N}auth-proxy-set-headers`]: 'bad-name' }, `annotation ${N}auth-proxy-set-headers: "bad-name" ConfigMap default/bad-name key "X Bad" is not a header name`],
    ['auth-proxy-set-headers with an unknown variable', { [`${N}auth-url`]: 'http://a/', [`${N}auth-proxy-set-headers`]: 'bad-variable' }, `annotation ${N}auth-proxy-set-headers: "bad-variable" uses $upstream_addr, which Pier does not know`],
    ['auth-proxy-set-headers setting Content-Length', { [`${N}auth-url`]: 'http://a/', [`${N}auth-proxy-set-headers`]: 'framing' }, `annotation ${N}auth-proxy-set-headers: "framing" ConfigMap default/framing key "Content-Length" may not set content-length`],
  ];
  for (const [name, annotations, message] of invalid) {
    it(`invalid: ${name}`, () => {
      const got = parse(annotations);
      expect(got.rejected).toBe(true);
      expect(got.problems.some((p) => p.startsWith(`Ingress skipped: ${message}`))).toBe(true);
      expect(got.policies).toEqual([]);
    });
  }
});

describe('client certificate annotations', () => {
  const parseCert = (annotations: Record<string, string>) => {
    const ingress: Ingress = { kind: 'Ingress', metadata: { name: 'web', namespace: 'default', annotations } };
    const parsed = parseAnnotations(ingress);
    return { clientCert: parsed.settings.clientCert, rejected: parsed.rejected, problems: parsed.problems.map((p) => p.message) };
  };
  it('defaults: verify on, depth 1, certificate not passed', () => {
    expect(parseCert({ [`${N}auth-tls-secret`]: 'default/ca' })).toEqual({ clientCert: { secret: 'default/ca', verify: 'on', depth: 1, passCertificate: false }, rejected: false, problems: [] });
  });
  it('every option', () => {
    expect(parseCert({
      [`${N}auth-tls-secret`]: 'default/ca', [`${N}auth-tls-verify-client`]: 'optional_no_ca', [`${N}auth-tls-verify-depth`]: '3',
      [`${N}auth-tls-pass-certificate-to-upstream`]: 'true', [`${N}auth-tls-error-page`]: 'https://errors.example/cert', [`${N}auth-tls-match-cn`]: 'CN=(alice|bob)',
    }).clientCert).toEqual({ secret: 'default/ca', verify: 'optional_no_ca', depth: 3, passCertificate: true, errorPage: 'https://errors.example/cert', matchCn: 'CN=(alice|bob)' });
  });
  const invalid: [string, Record<string, string>, string][] = [
    ['verify-client', { [`${N}auth-tls-secret`]: 'default/ca', [`${N}auth-tls-verify-client`]: 'yes' }, `annotation ${N}auth-tls-verify-client: "yes" is not one of on, off, optional, optional_no_ca`],
    ['depth', { [`${N}auth-tls-secret`]: 'default/ca', [`${N}auth-tls-verify-depth`]: 'deep' }, `annotation ${N}auth-tls-verify-depth: "deep" is not a whole number`],
    ['error page', { [`${N}auth-tls-secret`]: 'default/ca', [`${N}auth-tls-error-page`]: 'https://x/<script>' }, `annotation ${N}auth-tls-error-page: "https://x/<script>" is not a URL or path`],
    ['match-cn without CN=', { [`${N}auth-tls-secret`]: 'default/ca', [`${N}auth-tls-match-cn`]: 'alice' }, `annotation ${N}auth-tls-match-cn: "alice" is not a valid Common Name annotation: missing prefix 'CN='`],
    ['match-cn not a regex', { [`${N}auth-tls-secret`]: 'default/ca', [`${N}auth-tls-match-cn`]: 'CN=(alice' }, `annotation ${N}auth-tls-match-cn: "CN=(alice" is not a valid regular expression (RE2 syntax)`],
  ];
  for (const [name, annotations, message] of invalid) {
    it(`invalid: ${name}`, () => {
      const got = parseCert(annotations);
      expect(got).toEqual({ clientCert: undefined, rejected: true, problems: [`Ingress skipped: ${message}`] });
    });
  }
});
