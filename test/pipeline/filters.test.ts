import { describe, expect, it } from 'vitest';
import type { Policy } from '../../src/routing/policies.ts';
import type { BackendRuntime } from '../../src/dataplane/backend-runtime.ts';
import { createStats } from '../../src/dataplane/dataplane-stats.ts';
import type { DownstreamRequest, DownstreamResponse } from '../../src/dataplane/front/downstream.ts';
import { Admission } from '../../src/dataplane/pipeline/admission.ts';
import { compilePipeline, runPipeline } from '../../src/dataplane/pipeline/compile-pipeline.ts';
import { canaryFilter } from '../../src/dataplane/pipeline/filters/canary.ts';
import { parseTarget } from '../../src/dataplane/pipeline/filters/rewrite.ts';

/*
 * Filters as tables: a policy and a request in, the decision out (answered with what, or passed
 * on with which target, backend and header edits). No sockets: the response is a recorder.
 */

class Recorder implements DownstreamResponse {
  exchange = null;
  onFinish = undefined;
  startedAt = 0;
  meter = undefined;
  bytesSent = 0;
  statusCode = 0;
  headersSent = false;
  destroyed = false;
  finished = false;
  headers: readonly string[] = [];
  body = '';
  readonly req: DownstreamRequest;
  constructor(req: DownstreamRequest) {
    this.req = req;
  }
  writeHead(status: number, _text: string | undefined, headers: readonly string[]): void {
    this.statusCode = status;
    this.headers = headers;
    this.headersSent = true;
  }
  writeUpstreamHead(): void {
    throw new Error('filters never write upstream heads');
  }
  writeInterim(): void {
    throw new Error('filters never write interim heads');
  }
  write(chunk: Buffer): boolean {
    this.body += chunk.toString('latin1');
    return true;
  }
  end(chunk?: Buffer): void {
    if (chunk !== undefined) this.write(chunk);
    this.finished = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const backendNamed = (id: string, unavailable = false) => ({ backend: { id }, unavailable }) as unknown as BackendRuntime;
const MAIN = backendNamed('main');
const OTHER = backendNamed('other');

function request(target: string, headers: Record<string, string> = {}, tls = false): DownstreamRequest {
  const raw = Object.entries(headers).flat();
  return {
    method: 'GET', url: target, rawHeaders: raw, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    facts: { host: headers.host, connectionNames: undefined, hasBody: headers['content-length'] !== undefined, expectContinue: false, contentLength: headers['content-length'] === undefined ? -1 : Number(headers['content-length']), chunked: false, upgrade: undefined, requestId: undefined },
    body: null, bodyLimit: Infinity, httpVersion: '1.1', bodyBytes: 0,
    conn: { clientAddress: '127.0.0.1', proto: tls ? 'https' : 'http', port: tls ? '443' : '80', requests: 0 },
  };
}

interface Outcome {
  readonly passed: boolean;
  readonly status?: number;
  readonly location?: string;
  readonly target: string;
  readonly backend: string;
  readonly upstreamHeaders: string[];
}

function run(policies: Policy[], target: string, headers: Record<string, string> = {}, tls = false, backends: Record<string, BackendRuntime> = { other: OTHER }): Outcome {
  const req = request(target, headers, tls);
  const res = new Recorder(req);
  const pipeline = compilePipeline({ path: '/', pathType: 'Prefix', backend: 'main', origin: 'default/web', policies }, { resolve: (id) => backends[id]! })!;
  const a = new Admission(req, res, createStats(), headers.host, target, MAIN, false, false);
  const verdict = runPipeline(pipeline, a);
  if (typeof verdict !== 'boolean') throw new Error('these tables hold synchronous filters only');
  const passed = verdict;
  const upstreamHeaders = ['host', headers.host ?? '', 'x-forwarded-for', '127.0.0.1'];
  a.applyRequestEdits(upstreamHeaders);
  const at = res.headers.indexOf('location');
  return { passed, ...(passed ? {} : { status: res.statusCode }), ...(at < 0 ? {} : { location: res.headers[at + 1] }), target: a.target, backend: a.backend.backend.id, upstreamHeaders };
}

const REWRITE = (pattern: string, target: string): Policy => ({ kind: 'rewrite', pattern, target });

describe('filters: rewrite', () => {
  it.each([
    ['/something(/|$)(.*)', '/$2', '/something', '/'],
    ['/something(/|$)(.*)', '/$2', '/something/', '/'],
    ['/something(/|$)(.*)', '/$2', '/something/new', '/new'],
    ['/something(/|$)(.*)', '/$2', '/something/new?a=1&b=2', '/new?a=1&b=2'],
    ['/api/(.*)', '/v2/$1?src=pier', '/api/users?id=7', '/v2/users?src=pier&id=7'],
    ['/api/(.*)', '/v2/$1?', '/api/users?id=7', '/v2/users'],
    ['/api/(.*)', '/$9$1', '/api/x', '/x'],
    ['/API/(.*)', '/$1', '/api/x', '/x'],
    ['/nomatch', '/other', '/api/x', '/api/x'],
  ])('%s → %s: %s becomes %s', (pattern, target, input, want) => {
    expect(run([REWRITE(pattern, target)], input)).toMatchObject({ passed: true, target: want });
  });

  it('a target that is a URL redirects with 302, as nginx rewrite', () => {
    expect(run([REWRITE('/old/(.*)', 'https://new.example/$1')], '/old/page')).toMatchObject({ passed: false, status: 302, location: 'https://new.example/page' });
  });

  it('x-forwarded-prefix goes upstream with the rewrite only', () => {
    const policy: Policy = { kind: 'rewrite', pattern: '/app/(.*)', target: '/$1', forwardedPrefix: '/app' };
    expect(run([policy], '/app/x').upstreamHeaders).toEqual(['host', '', 'x-forwarded-for', '127.0.0.1', 'x-forwarded-prefix', '/app']);
    expect(run([policy], '/other').upstreamHeaders).not.toContain('x-forwarded-prefix');
  });

  it('parses targets into text and capture numbers', () => {
    expect(parseTarget('/$2/x$1$')).toEqual(['/', 2, '/x', 1, '$']);
  });
});

describe('filters: redirects', () => {
  const https: Policy = { kind: 'https-redirect', code: 308, preserveTrailingSlash: false };
  it.each([
    [https, '/a/b/', {}, false, 308, 'https://foo.com/a/b'],
    [https, '/a/?q=1/', {}, false, 308, 'https://foo.com/a/?q=1'],
    [https, '/a/?q=1', {}, false, 308, 'https://foo.com/a/?q=1'],
    [{ ...https, preserveTrailingSlash: true }, '/a/', {}, false, 308, 'https://foo.com/a/'],
    [https, '/', {}, false, 308, 'https://foo.com'],
    [{ kind: 'redirect', url: 'https://elsewhere.example/x', code: 301 }, '/any?q', {}, false, 301, 'https://elsewhere.example/x'],
    [{ kind: 'redirect', url: 'https://elsewhere.example/x', code: 301 }, '/any', {}, true, 301, 'https://elsewhere.example/x'],
    [{ kind: 'app-root', path: '/app1' }, '/', {}, false, 302, 'http://foo.com:8080/app1'],
    [{ kind: 'app-root', path: '/app1' }, '/?x=1', {}, true, 302, 'https://foo.com:8080/app1'],
    [{ kind: 'host-redirect', host: 'www.foo.com', code: 308 }, '/p/', {}, true, 308, 'https://www.foo.com/p'],
  ] as [Policy, string, Record<string, string>, boolean, number, string][])('%o on %s (tls %s) → %i %s', (policy, target, headers, tls, status, location) => {
    expect(run([policy], target, { host: 'foo.com:8080', ...headers }, tls)).toMatchObject({ passed: false, status, location });
  });

  it('https redirect: a TLS request passes; app-root: other paths pass', () => {
    expect(run([https], '/a', { host: 'foo.com' }, true).passed).toBe(true);
    expect(run([{ kind: 'app-root', path: '/app1' }], '/other', { host: 'foo.com' }).passed).toBe(true);
  });
});

describe('filters: body size, header edits, fallback', () => {
  it('body-size: Content-Length over the limit → 413; at the limit passes', () => {
    expect(run([{ kind: 'body-size', maxBytes: 10 }], '/', { 'content-length': '11' })).toMatchObject({ passed: false, status: 413 });
    expect(run([{ kind: 'body-size', maxBytes: 10 }], '/', { 'content-length': '10' }).passed).toBe(true);
  });

  it('request headers: remove, then set (replacing every one), then add', () => {
    const policy: Policy = { kind: 'request-headers', set: ['host', 'internal', 'x-a', '1'], add: ['x-b', '2'], remove: ['x-forwarded-for'] };
    expect(run([policy], '/', { host: 'foo.com' }).upstreamHeaders).toEqual(['host', 'internal', 'x-a', '1', 'x-b', '2']);
  });

  it('fallback-backend: only when the chosen backend has no endpoint', () => {
    const policy: Policy = { kind: 'fallback-backend', backend: 'other' };
    expect(run([policy], '/').backend).toBe('main');
    const req = request('/');
    const a = new Admission(req, new Recorder(req), createStats(), undefined, '/', backendNamed('down', true), false, false);
    runPipeline(compilePipeline({ path: '/', pathType: 'Prefix', backend: 'down', origin: 'x', policies: [policy] }, { resolve: () => OTHER })!, a);
    expect(a.backend).toBe(OTHER);
  });
});

describe('filters: canary precedence (balancer.lua route_to_alternative_balancer)', () => {
  const base = { kind: 'canary', backend: 'other', weight: 0, weightTotal: 100 } as const;
  it.each([
    [{ ...base, header: 'x-canary' }, { 'x-canary': 'always' }, 'other'],
    [{ ...base, header: 'x-canary', weight: 100 }, { 'x-canary': 'never' }, 'main'],
    [{ ...base, header: 'x-canary', weight: 100 }, { 'x-canary': 'maybe' }, 'other'],
    [{ ...base, header: 'x-canary', headerValue: 'yes' }, { 'x-canary': 'yes' }, 'other'],
    [{ ...base, header: 'x-canary', headerValue: 'yes' }, { 'x-canary': 'always' }, 'main'],
    [{ ...base, header: 'x-canary', headerPattern: '^beta-[0-9]+$' }, { 'x-canary': 'beta-12' }, 'other'],
    [{ ...base, header: 'x-canary', headerPattern: '^beta-[0-9]+$' }, { 'x-canary': 'beta-x' }, 'main'],
    [{ ...base, header: 'x-canary', cookie: 'c' }, { 'x-canary': 'never', cookie: 'c=always' }, 'main'],
    [{ ...base, header: 'x-canary', cookie: 'c' }, { 'x-canary': 'other', cookie: 'c=always' }, 'other'],
    [{ ...base, cookie: 'c', weight: 100 }, { cookie: 'c=never' }, 'main'],
    [{ ...base, weight: 100 }, {}, 'other'],
    [{ ...base, weight: 0 }, {}, 'main'],
  ] as [Policy, Record<string, string>, string][])('%o with %o → %s', (policy, headers, want) => {
    expect(run([policy], '/', headers).backend).toBe(want);
  });

  it('a canary without endpoints never takes traffic', () => {
    expect(run([{ ...base, weight: 100 }], '/', {}, false, { other: backendNamed('other', true) }).backend).toBe('main');
  });

  it('weight: a uniform draw in 1..total at or below the weight (total below 100 counts as 100)', () => {
    const draws = [0, 0.099, 0.1, 0.5, 0.999];
    const picks = (weight: number, weightTotal: number) => draws.map((d) => {
      const req = request('/');
      const a = new Admission(req, new Recorder(req), createStats(), undefined, '/', MAIN, false, false);
      canaryFilter({ ...base, weight, weightTotal }, () => OTHER, () => d)(a);
      return a.backend === OTHER;
    });
    expect(picks(10, 100)).toEqual([true, true, false, false, false]);
    expect(picks(10, 50)).toEqual([true, true, false, false, false]);
    expect(picks(500, 1000)).toEqual([true, true, true, false, false]);
  });
});

describe('filters: access control (synchronous ones; external auth is tested end to end)', () => {
  const ALLOW: Policy = { kind: 'ip-access', allow: ['10.0.0.0/8', '127.0.0.1/32'], deny: ['127.0.0.1/32'] };
  const BASIC: Policy = { kind: 'basic-auth', realm: 'Staff only', users: ['alice', '{SHA}UWuXg/ylF+7L0dBk2i0WUxCxl1k='] };
  const auth = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
  it('deny wins over allow (nginx: deny rules come first)', () => {
    expect(run([ALLOW], '/', { host: 'a.test' })).toMatchObject({ passed: false, status: 403 });
  });
  it('allow list: outside it is 403, inside passes', () => {
    expect(run([{ kind: 'ip-access', allow: ['10.0.0.0/8'], deny: [] }], '/', { host: 'a.test' })).toMatchObject({ passed: false, status: 403 });
    expect(run([{ kind: 'ip-access', allow: ['127.0.0.0/8'], deny: [] }], '/', { host: 'a.test' })).toMatchObject({ passed: true });
  });
  it('basic auth: 401 with the realm, or passes without the Authorization header upstream', () => {
    const none = run([BASIC], '/', { host: 'a.test' });
    expect(none).toMatchObject({ passed: false, status: 401 });
    const ok = run([BASIC], '/', { host: 'a.test', authorization: auth('alice', 'p') });
    expect(ok.passed).toBe(true);
    expect(run([BASIC], '/', { host: 'a.test', authorization: auth('alice', 'q') })).toMatchObject({ passed: false, status: 401 });
    expect(run([BASIC], '/', { host: 'a.test', authorization: 'Bearer p' })).toMatchObject({ passed: false, status: 401 });
  });
  it('a route whose auth Secret is missing denies every request', () => {
    expect(run([{ kind: 'deny', status: 503 }], '/', { host: 'a.test' })).toMatchObject({ passed: false, status: 503 });
  });
  it('client certificates: a plain-HTTP request to a verify-client "on" route is refused; "optional" lets it through', () => {
    const policy = (verify: 'on' | 'optional'): Policy => ({ kind: 'client-cert', caPem: '', verify, depth: 1, passCertificate: false });
    expect(run([policy('on')], '/', { host: 'a.test' })).toMatchObject({ passed: false, status: 400 });
    expect(run([policy('optional')], '/', { host: 'a.test' })).toMatchObject({ passed: true });
  });
});

describe('filters: response rewrite (proxy_redirect, proxy_cookie_*)', () => {
  const policies: Policy[] = [
    { kind: 'response-rewrite', redirect: { from: 'http://backend/', to: '/app/' }, cookiePath: { from: '/', to: '/app/' } },
    { kind: 'response-headers', set: ['x-location', 'kept'], add: ['set-cookie', 'added=1; Path=/'], remove: [] },
  ];

  function admitted(): Admission {
    const req = request('/x');
    const a = new Admission(req, new Recorder(req), createStats(), 'example.com', '/x', MAIN, false, false);
    const pipeline = compilePipeline({ path: '/', pathType: 'Prefix', backend: 'main', origin: 'default/web', policies }, { resolve: () => MAIN })!;
    expect(runPipeline(pipeline, a)).toBe(true);
    return a;
  }

  it('rewrites a head the upstream sent, before the header edits (a cookie they add is not rewritten)', () => {
    const a = admitted();
    const headers = ['location', 'http://backend/login', 'set-cookie', 'sid=1; Path=/'];
    a.originHead = true;
    a.applyResponseHooks(302, headers);
    expect(headers).toEqual(['location', '/app/login', 'set-cookie', 'sid=1; Path=/app/', 'x-location', 'kept', 'set-cookie', 'added=1; Path=/']);
  });

  it("leaves Pier's own answers alone", () => {
    const a = admitted();
    const headers = ['location', 'http://backend/login', 'set-cookie', 'sid=1; Path=/'];
    a.applyResponseHooks(302, headers);
    expect(headers.slice(0, 4)).toEqual(['location', 'http://backend/login', 'set-cookie', 'sid=1; Path=/']);
  });
});
