import { describe, expect, it } from 'vitest';
import { compileTable } from '../../src/routing/compile-table.ts';
import { DEFAULT_POLICY, type Backend, type PathType, type Route, type RouteTable, type VirtualHost } from '../../src/routing/route-table.ts';
import { normalizeHost } from '../../src/routing/normalize-host.ts';

// Tiny constructors, as Contour's tests: a route names its backend by the rule it stands for.
const exact = (path: string, backend = `exact:${path}`): Route => route(path, 'Exact', backend);
const prefix = (path: string, backend = `prefix:${path}`): Route => route(path, 'Prefix', backend);
function route(path: string, pathType: PathType, backend: string): Route {
  return { path, pathType, backend, origin: 'default/test' };
}
const vhost = (host: string, ...routes: Route[]): VirtualHost => ({ host, routes });
function table(virtualHosts: VirtualHost[], defaultBackend?: string): RouteTable {
  const ids = new Set(virtualHosts.flatMap((v) => v.routes.map((r) => r.backend)));
  if (defaultBackend) ids.add(defaultBackend);
  const backends: Backend[] = [...ids].sort().map((id) => ({ id, servers: [], policy: DEFAULT_POLICY }));
  return { virtualHosts, backends, defaultBackend };
}

/** Which backend id answers (host, target), or '404'. */
function answer(t: RouteTable, host: string | undefined, target: string): string {
  return compileTable(t).match(host, target)?.backend.id ?? '404';
}

describe('Prefix and Exact matching (the Kubernetes docs examples table)', () => {
  // https://kubernetes.io/docs/concepts/services-networking/ingress/#examples
  const cases: { rules: Route[]; path: string; want: string }[] = [
    { rules: [prefix('/')], path: '/', want: 'prefix:/' },
    { rules: [prefix('/')], path: '/anything/at/all', want: 'prefix:/' },
    { rules: [exact('/foo')], path: '/foo', want: 'exact:/foo' },
    { rules: [exact('/foo')], path: '/bar', want: '404' },
    { rules: [exact('/foo')], path: '/foo/', want: '404' },
    { rules: [exact('/foo/')], path: '/foo', want: '404' },
    { rules: [prefix('/foo')], path: '/foo', want: 'prefix:/foo' },
    { rules: [prefix('/foo')], path: '/foo/', want: 'prefix:/foo' },
    { rules: [prefix('/foo/')], path: '/foo', want: 'prefix:/foo/' },
    { rules: [prefix('/foo/')], path: '/foo/', want: 'prefix:/foo/' },
    { rules: [prefix('/aaa/bb')], path: '/aaa/bbb', want: '404' },
    { rules: [prefix('/aaa/bbb')], path: '/aaa/bbb', want: 'prefix:/aaa/bbb' },
    { rules: [prefix('/aaa/bbb/')], path: '/aaa/bbb', want: 'prefix:/aaa/bbb/' },
    { rules: [prefix('/aaa/bbb')], path: '/aaa/bbb/', want: 'prefix:/aaa/bbb' },
    { rules: [prefix('/aaa/bbb')], path: '/aaa/bbb/ccc', want: 'prefix:/aaa/bbb' },
    { rules: [prefix('/aaa/bbb')], path: '/aaa/bbbxyz', want: '404' },
    { rules: [prefix('/'), prefix('/aaa')], path: '/aaa/ccc', want: 'prefix:/aaa' },
    { rules: [prefix('/'), prefix('/aaa'), prefix('/aaa/bbb')], path: '/aaa/bbb', want: 'prefix:/aaa/bbb' },
    { rules: [prefix('/'), prefix('/aaa'), prefix('/aaa/bbb')], path: '/ccc', want: 'prefix:/' },
    { rules: [prefix('/aaa')], path: '/ccc', want: '404' },
    { rules: [prefix('/foo'), exact('/foo')], path: '/foo', want: 'exact:/foo' },
    // The issue's own rows, and the query string.
    { rules: [prefix('/aaa')], path: '/aaa', want: 'prefix:/aaa' },
    { rules: [prefix('/aaa')], path: '/aaa/', want: 'prefix:/aaa' },
    { rules: [prefix('/aaa')], path: '/aaaccc', want: '404' },
    { rules: [exact('/foo')], path: '/Foo', want: '404' },
    { rules: [exact('/foo')], path: '/foo?x=1', want: 'exact:/foo' },
    { rules: [prefix('/aaa')], path: '/aaa?x=/', want: 'prefix:/aaa' },
    { rules: [prefix('/aaa')], path: '/aaaccc?x=/', want: '404' },
    { rules: [prefix('/aaa/bbb')], path: '/aaa?/bbb', want: '404' },
    { rules: [prefix('/foo'), exact('/foo')], path: '/foo/', want: 'prefix:/foo' },
    { rules: [prefix('/')], path: '*', want: '404' },
  ];
  it.each(cases)('$rules.0.pathType $rules.0.path … vs $path → $want', ({ rules, path, want }) => {
    expect(answer(table([vhost('foo.com', ...rules)]), 'foo.com', path)).toBe(want);
  });
});

describe('host matching', () => {
  const t = table([
    vhost('foo.com', prefix('/', 'exact-host')),
    vhost('*.foo.com', prefix('/', 'wildcard')),
    vhost('[::1]', prefix('/', 'ipv6')),
    vhost('10.0.0.1', prefix('/', 'ipv4')),
  ]);
  const cases: { host: string | undefined; want: string }[] = [
    { host: 'foo.com', want: 'exact-host' },
    { host: 'FOO.Com', want: 'exact-host' },
    { host: 'foo.com:8080', want: 'exact-host' },
    { host: 'foo.com.', want: 'exact-host' },
    { host: 'foo.com.:80', want: 'exact-host' },
    { host: 'bar.foo.com', want: 'wildcard' },
    { host: 'BAR.foo.com:443', want: 'wildcard' },
    { host: 'baz.bar.foo.com', want: '404' },
    { host: '.foo.com', want: '404' },
    { host: 'xfoo.com', want: '404' },
    { host: 'other.com', want: '404' },
    { host: '[::1]:8080', want: 'ipv6' },
    { host: '[::1]', want: 'ipv6' },
    { host: '10.0.0.1:80', want: 'ipv4' },
    { host: '', want: '404' },
    { host: undefined, want: '404' },
  ];
  it.each(cases)('$host → $want', ({ host, want }) => {
    expect(answer(t, host, '/')).toBe(want);
  });
});

describe('fall-through: a rule matches when host AND path match', () => {
  const t = table(
    [
      vhost('foo.com', prefix('/api', 'foo-api')),
      vhost('*.foo.com', prefix('/web', 'wild-web')),
      vhost('', prefix('/static', 'any-static'), exact('/health', 'any-health')),
    ],
    'default',
  );
  const cases: { host: string; path: string; want: string }[] = [
    { host: 'foo.com', path: '/api/x', want: 'foo-api' },
    { host: 'foo.com', path: '/static/a.css', want: 'any-static' },
    { host: 'foo.com', path: '/web', want: 'default' },
    { host: 'a.foo.com', path: '/web/x', want: 'wild-web' },
    { host: 'a.foo.com', path: '/api', want: 'default' },
    { host: 'a.foo.com', path: '/health', want: 'any-health' },
    { host: 'unknown.org', path: '/static', want: 'any-static' },
    { host: 'unknown.org', path: '/nothing', want: 'default' },
  ];
  it.each(cases)('$host $path → $want', ({ host, path, want }) => {
    expect(answer(t, host, path)).toBe(want);
  });

  it('answers 404 (undefined) with no rule and no default backend', () => {
    expect(answer(table([vhost('foo.com', prefix('/a'))]), 'foo.com', '/b')).toBe('404');
    expect(answer({ virtualHosts: [], backends: [] }, 'x', '/')).toBe('404');
  });

  it('exact host wins over wildcard over any-host for the same path', () => {
    const three = table([vhost('a.foo.com', prefix('/', 'e')), vhost('*.foo.com', prefix('/', 'w')), vhost('', prefix('/', 'any'))]);
    expect(answer(three, 'a.foo.com', '/')).toBe('e');
    expect(answer(three, 'b.foo.com', '/')).toBe('w');
    expect(answer(three, 'foo.com', '/')).toBe('any');
  });
});

describe('compiled results', () => {
  it('returns the route and a bound backend, the same object on every match (no allocation)', () => {
    const t = table([vhost('foo.com', prefix('/a', 'b1'))], 'dflt');
    const compiled = compileTable(t, (b) => ({ bound: b.id }));
    const m1 = compiled.match('foo.com', '/a/1');
    expect(m1?.route?.path).toBe('/a');
    expect(m1?.backend).toEqual({ bound: 'b1' });
    expect(compiled.match('foo.com', '/a/2')).toBe(m1);
    const d = compiled.match('foo.com', '/zzz');
    expect(d?.route).toBeUndefined();
    expect(d?.backend).toEqual({ bound: 'dflt' });
    expect(compiled.backends.get('b1')).toBe(m1?.backend);
  });

  it('binds a dangling backend id to an unavailable backend instead of falling through', () => {
    const t: RouteTable = { virtualHosts: [vhost('foo.com', prefix('/', 'ghost'))], backends: [] };
    const m = compileTable(t).match('foo.com', '/');
    expect(m?.backend.unavailable).toBe('BackendMissing');
  });
});

describe('normalizeHost', () => {
  it.each([
    ['Foo.COM', 'foo.com'],
    ['foo.com:80', 'foo.com'],
    ['foo.com.', 'foo.com'],
    ['[::1]:8080', '[::1]'],
    ['[FE80::1]', '[fe80::1]'],
    ['', ''],
  ])('%s → %s', (input, want) => {
    expect(normalizeHost(input)).toBe(want);
  });
  it('returns the same string when nothing changes', () => {
    const s = 'already.normal';
    expect(normalizeHost(s)).toBe(s);
  });
});
