import { describe, expect, it } from 'vitest';
import type { Ingress } from '../../src/source/objects.ts';
import { parseAnnotations } from '../../src/translate/annotations/parse-annotations.ts';
import { accessLogOffFilter, expiresFilter } from '../../src/dataplane/pipeline/filters/expires.ts';
import type { Admission, ResponseHook } from '../../src/dataplane/pipeline/admission.ts';
import type { ExpiresPolicy } from '../../src/routing/policies.ts';

const ingress = (annotations: Record<string, string>) =>
  ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'static', namespace: 'shop', annotations }, spec: {} }) as unknown as Ingress;

describe('expires annotations (parser)', () => {
  it.each([
    ['30s', { mode: 'seconds', seconds: 30 }],
    ['10m', { mode: 'seconds', seconds: 600 }],
    ['12h', { mode: 'seconds', seconds: 43_200 }],
    ['7d', { mode: 'seconds', seconds: 604_800 }],
    ['1M', { mode: 'seconds', seconds: 2_592_000 }],
    ['1y', { mode: 'seconds', seconds: 31_536_000 }],
    ['3600', { mode: 'seconds', seconds: 3600 }],
    ['-1', { mode: 'seconds', seconds: -1 }],
    ['epoch', { mode: 'epoch', seconds: 0 }],
    ['max', { mode: 'max', seconds: 0 }],
    ['off', { mode: 'off', seconds: 0 }],
  ])('pier.dev/expires: %s', (value, want) => {
    const { settings, problems } = parseAnnotations(ingress({ 'pier.dev/expires': value }));
    expect(problems).toEqual([]);
    expect(settings.policies).toEqual([{ kind: 'expires', ...want }]);
  });

  it.each([
    ['pier.dev/expires', 'soon', 'annotation pier.dev/expires: "soon" is not an nginx time in seconds (like 30s, 10m, 12h, 7d, 1M, 1y), epoch, max or off'],
    ['pier.dev/expires', '@15h30m', 'annotation pier.dev/expires: "@15h30m" is not an nginx time in seconds (like 30s, 10m, 12h, 7d, 1M, 1y), epoch, max or off'],
    ['pier.dev/cache-control-extra', 'public\r\nx: y', 'annotation pier.dev/cache-control-extra: "public\r\nx: y" is not a list of Cache-Control directives (like "public" or "public, immutable")'],
  ])('%s: %j is refused with a problem naming it', (key, value, message) => {
    const { problems, rejected } = parseAnnotations(ingress({ [key]: value }));
    expect(rejected).toBe(true);
    expect(problems.map((p) => p.message)).toEqual([`Ingress skipped: ${message}`]);
  });

  it('cache-control-extra alone, and with expires', () => {
    expect(parseAnnotations(ingress({ 'pier.dev/cache-control-extra': 'public, immutable' })).settings.policies).toEqual([{ kind: 'expires', mode: 'off', seconds: 0, extra: 'public, immutable' }]);
    expect(parseAnnotations(ingress({ 'pier.dev/expires': '1M', 'pier.dev/cache-control-extra': 'public' })).settings.policies).toEqual([{ kind: 'expires', mode: 'seconds', seconds: 2_592_000, extra: 'public' }]);
  });

  it('expires is Pier\'s own: the nginx prefix is an unknown annotation', () => {
    const { settings, problems } = parseAnnotations(ingress({ 'nginx.ingress.kubernetes.io/expires': '1M' }));
    expect(settings.policies).toEqual([]);
    expect(problems.map((p) => p.reason)).toEqual(['UnknownAnnotation']);
  });

  it('enable-access-log: "false" under either prefix', () => {
    expect(parseAnnotations(ingress({ 'nginx.ingress.kubernetes.io/enable-access-log': 'false' })).settings.policies).toEqual([{ kind: 'access-log-off' }]);
    expect(parseAnnotations(ingress({ 'pier.dev/enable-access-log': 'true' })).settings.policies).toEqual([]);
  });
});

function run(policy: ExpiresPolicy, status: number, headers: string[]): string[] {
  const hooks: ResponseHook[] = [];
  const admission = { onResponse: (h: ResponseHook) => hooks.push(h) } as unknown as Admission;
  expect(expiresFilter(policy)(admission)).toBe(true);
  for (const h of hooks) h(status, headers, admission);
  return headers;
}

describe('expires filter (as nginx 1.22, observed)', () => {
  const upstream = ['content-type', 'text/plain', 'cache-control', 'private, foo', 'expires', 'Wed, 21 Oct 2015 07:28:00 GMT'];
  const at = (s: number) => new Date((Math.floor(Date.now() / 1000) + s) * 1000).toUTCString();

  it.each([200, 201, 204, 206, 301, 302, 303, 304, 307, 308])('replaces Cache-Control and Expires on %i', (status) => {
    const got = run({ kind: 'expires', mode: 'seconds', seconds: 3600 }, status, [...upstream]);
    expect(Math.abs(Date.parse(got[3]!) - Date.parse(at(3600)))).toBeLessThanOrEqual(1000);
    expect(got).toEqual(['content-type', 'text/plain', 'expires', got[3], 'cache-control', 'max-age=3600']);
  });

  it.each([203, 404, 500])('leaves %i alone', (status) => {
    expect(run({ kind: 'expires', mode: 'seconds', seconds: 3600 }, status, [...upstream])).toEqual(upstream);
  });

  it.each([
    [{ mode: 'seconds', seconds: 2_592_000, extra: 'public' }, 2_592_000, 'max-age=2592000, public'],
    [{ mode: 'seconds', seconds: -1 }, -1, 'no-cache'],
    [{ mode: 'seconds', seconds: 0 }, 0, 'max-age=0'],
    [{ mode: 'epoch', seconds: 0 }, 'Thu, 01 Jan 1970 00:00:01 GMT', 'no-cache'],
    [{ mode: 'max', seconds: 0 }, 'Thu, 31 Dec 2037 23:55:55 GMT', 'max-age=315360000'],
  ] as const)('%j', (p, expires, cc) => {
    // Both sides read the clock in the same second (retried once if a second boundary fell between).
    for (let attempt = 0; ; attempt++) {
      const want = typeof expires === 'number' ? at(expires) : expires;
      const got = run({ kind: 'expires', ...p }, 200, ['cache-control', 'private']);
      if (attempt === 0 && got[1] !== want) continue;
      expect(got).toEqual(['expires', want, 'cache-control', cc]);
      break;
    }
  });

  it('off with extra appends to the upstream Cache-Control, or adds one', () => {
    expect(run({ kind: 'expires', mode: 'off', seconds: 0, extra: 'public' }, 200, ['cache-control', 'max-age=60'])).toEqual(['cache-control', 'max-age=60, public']);
    expect(run({ kind: 'expires', mode: 'off', seconds: 0, extra: 'public' }, 200, [])).toEqual(['cache-control', 'public']);
  });

  it('access-log-off clears the finish hook', () => {
    const a = { res: { onFinish: {} } } as unknown as Admission;
    expect(accessLogOffFilter({ kind: 'access-log-off' })(a)).toBe(true);
    expect(a.res.onFinish).toBeUndefined();
  });
});
