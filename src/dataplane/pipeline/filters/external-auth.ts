import type { IncomingHttpHeaders } from 'node:http';
import { Agent, buildConnector, request } from 'undici';
import type { ExternalAuthPolicy } from '../../../routing/policies.ts';
import { clientAddressOf } from '../../client-address.ts';
import { requestIdOf } from '../../request-id.ts';
import type { SelfAddress } from '../../self-address.ts';
import type { Admission, RequestFilter } from '../admission.ts';
import { answer, redirect } from '../answer.ts';
import { removeHeader } from './header-lists.ts';
import { compileVariables, type Expand } from './nginx-variables.ts';

/** What the auth service said, as much as is used (and cached). */
interface AuthAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/** nginx add_header without `always`: the auth cookie goes only on these statuses. */
const COOKIE_STATUSES = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);
/** Client headers not passed to the auth service: hop-by-hop, the body's, and those nginx's auth
 * location sets itself (proxy_set_header replaces them). */
const NOT_PASSED = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings',
  'content-length', 'host', 'x-forwarded-proto', 'x-forwarded-for', 'x-real-ip', 'x-original-url', 'x-original-method',
  'x-original-uri', 'x-scheme', 'x-sent-from', 'x-auth-request-redirect', 'x-request-id',
  'ssl-client-cert', 'ssl-client-verify', 'ssl-client-subject-dn', 'ssl-client-issuer-dn',
]);
const MAX_CACHED = 10_000;

/**
 * Connections to auth services: one undici Agent per connect timeout (a handful), shared by
 * every route and table, so keepalive connections survive table swaps. As nginx's auth location
 * (proxy_ssl_verify off by default), an https auth-url's certificate is not verified.
 */
const agents = new Map<number, Agent>();
/** A dataplane's own agents (its SelfAddress), kept with it. */
const selfAgents = new WeakMap<SelfAddress, Map<number, Agent>>();
function agentFor(connectMs: number, self: SelfAddress | undefined): Agent {
  let byTimeout = agents;
  if (self !== undefined) {
    byTimeout = selfAgents.get(self) ?? new Map();
    selfAgents.set(self, byTimeout);
  }
  let agent = byTimeout.get(connectMs);
  if (agent === undefined) {
    const connect = buildConnector({ timeout: connectMs, rejectUnauthorized: false });
    agent = new Agent({ keepAliveTimeout: 60_000, connect: self === undefined ? connect : toSelf(connect, self) });
    byTimeout.set(connectMs, agent);
  }
  return agent;
}

/**
 * A connector that sends connections for hosts Pier serves to Pier's own listener (SelfAddress),
 * keeping the name for TLS SNI and Host, and every other one where the name leads.
 */
function toSelf(connect: buildConnector.connector, self: SelfAddress): buildConnector.connector {
  return (options, callback) => {
    const port = self.portFor(options.protocol);
    if (port === undefined || !self.serves(options.hostname.toLowerCase())) return connect(options, callback);
    return connect({ ...options, hostname: self.address, port: String(port), servername: options.servername ?? options.hostname }, callback);
  };
}

/**
 * `auth-url` (ingress-nginx's external auth, nginx `auth_request`): before the request goes on,
 * a subrequest without body is sent to the auth service, with the client's headers (cookies,
 * Authorization) and nginx's X-Original-URL, X-Original-Method, X-Sent-From, X-Real-IP,
 * X-Forwarded-For, X-Auth-Request-Redirect, X-Request-ID (the request's own, as the backend gets
 * it) (and X-Original-URI, X-Scheme with `auth-method`), then the `auth-proxy-set-headers`
 * ones, replacing any of the same name. Then:
 * - 2xx: the request goes on; each `auth-response-headers` header of the answer replaces the
 *   request's (removed when the answer has none).
 * - 401: answered 401 with the answer's WWW-Authenticate, or, with `auth-signin`, a 302 to it
 *   (`?rd=<scheme>://<host><escaped request URI>` added unless the URL has the parameter).
 * - 403: answered 403. Anything else, no answer, or none within the timeout: 500.
 * - The answer's Set-Cookie is added to the response (2xx/3xx statuses only, or every status
 *   with `auth-always-set-cookie`).
 * - With `auth-cache-key`: answers whose status `auth-cache-duration` lists are reused for the
 *   same key (per route, per table) until they expire.
 * Async: the request waits for the answer (runPipeline continues when it resolves).
 */
export function externalAuthFilter(policy: ExternalAuthPolicy, self?: SelfAddress): RequestFilter {
  const url = compileVariables(policy.url);
  const signin = policy.signin === undefined ? undefined : compileVariables(signinUrl(policy.signin, policy.signinRedirectParam));
  const cacheKey = policy.cacheKey === undefined ? undefined : compileVariables(policy.cacheKey);
  const setHeaders = compileSetHeaders(policy.proxySetHeaders);
  const cache = new Map<string, { readonly expires: number; readonly answer: AuthAnswer }>();
  const agent = agentFor(policy.connectTimeoutMs, self);
  const ttl = (status: number) => policy.cacheDurations.find((d) => d.codes.includes(status))?.ms;
  return async (a) => {
    const key = cacheKey === undefined ? undefined : cacheKey(a);
    const cached = key === undefined ? undefined : cache.get(key);
    let reply: AuthAnswer;
    if (cached !== undefined && cached.expires > Date.now()) {
      reply = cached.answer;
    } else {
      try {
        reply = await ask(policy, a, url(a), agent, setHeaders);
      } catch {
        return answer(a, 500, []);
      }
      const ms = key === undefined ? undefined : ttl(reply.status);
      if (key !== undefined && ms !== undefined) {
        if (cache.size >= MAX_CACHED) cache.clear();
        cache.set(key, { expires: Date.now() + ms, answer: reply });
      }
    }
    if (a.res.destroyed) return false;
    return apply(policy, a, reply, signin);
  };
}

/** `auth-proxy-set-headers` as `[name, value]` pairs whose values are expanded per request. */
function compileSetHeaders(flat: readonly string[] | undefined): (readonly [string, Expand])[] {
  const out: (readonly [string, Expand])[] = [];
  if (flat !== undefined) for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, compileVariables(flat[i + 1]!)]);
  return out;
}

async function ask(policy: ExternalAuthPolicy, a: Admission, target: string, agent: Agent, setHeaders: readonly (readonly [string, Expand])[]): Promise<AuthAnswer> {
  const req = a.req;
  const headers: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (!NOT_PASSED.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
  const client = clientAddressOf(req);
  const scheme = a.tls ? 'https' : 'http';
  headers.push(
    'x-original-url', `${scheme}://${req.facts.host ?? ''}${req.url}`,
    'x-original-method', req.method,
    'x-sent-from', 'nginx-ingress-controller',
    'x-real-ip', client,
    'x-forwarded-for', client,
    'x-auth-request-redirect', policy.requestRedirect ?? req.url,
    'x-request-id', requestIdOf(req.facts),
  );
  if (policy.method !== undefined) headers.push('x-original-uri', req.url, 'x-scheme', scheme);
  const cert = req.conn.clientCert;
  if (cert !== undefined) {
    headers.push('ssl-client-verify', cert.verify, 'ssl-client-subject-dn', cert.subjectDn, 'ssl-client-issuer-dn', cert.issuerDn);
    if (cert.escapedPem !== '') headers.push('ssl-client-cert', cert.escapedPem);
  }
  for (const [name, value] of setHeaders) {
    removeHeader(headers, name);
    const v = value(a);
    if (v !== '') headers.push(name, v);
  }
  const res = await request(target, {
    method: (policy.method ?? req.method) as 'GET', headers, dispatcher: agent,
    headersTimeout: policy.timeoutMs, bodyTimeout: policy.timeoutMs,
  });
  await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
  return { status: res.statusCode, headers: res.headers };
}

function apply(policy: ExternalAuthPolicy, a: Admission, reply: AuthAnswer, signin: Expand | undefined): boolean {
  const status = reply.status;
  const cookies = reply.headers['set-cookie'];
  if (cookies !== undefined) {
    const list = Array.isArray(cookies) ? cookies : [cookies];
    const always = policy.alwaysSetCookie;
    a.onResponse((s, headers) => {
      if (always || COOKIE_STATUSES.has(s)) for (const c of list) headers.push('set-cookie', c);
    });
  }
  if (status >= 200 && status < 300) {
    if (policy.responseHeaders.length > 0) {
      const copies = policy.responseHeaders.map((h) => [h, first(reply.headers[h])] as const);
      a.editRequest((headers) => {
        for (const [name, value] of copies) {
          removeHeader(headers, name);
          if (value !== undefined && value !== '') headers.push(name, value);
        }
      });
    }
    return true;
  }
  if (status === 401) {
    if (signin !== undefined) return redirect(a, 302, signin(a));
    const challenge = first(reply.headers['www-authenticate']);
    return answer(a, 401, challenge === undefined ? [] : ['www-authenticate', challenge]);
  }
  if (status === 403) return answer(a, 403, []);
  return answer(a, 500, []);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * ingress-nginx's buildAuthSignURL: the sign-in URL gets
 * `<param>=$pass_access_scheme://$http_host$escaped_request_uri` (`?` or `&`) unless its query
 * already has that parameter.
 */
export function signinUrl(signin: string, param: string): string {
  const q = signin.indexOf('?');
  const back = `${param}=$pass_access_scheme://$http_host$escaped_request_uri`;
  if (q < 0) return `${signin}?${back}`;
  const query = new URLSearchParams(signin.slice(q + 1));
  if ((query.get(param) ?? '') !== '') return signin;
  return `${signin}&${back}`;
}
