import { describe, expect, it } from 'vitest';
import type { Problem } from '../../src/translate/problem.ts';
import type { TranslateResult } from '../../src/translate/translate.ts';
import { A, A_SERVER, backend, exact, prefix, problem, server, table, unavailable, vhost } from './builders.ts';
import { translateCase } from './fixture-case.ts';
import type { FixtureCase } from './fixture-case.ts';

/*
 * Ingress semantics as a table: each case loads test/fixtures/translate/<fixture>.yaml and
 * compares the complete { table, problems } with the expected value. Backend resolution has its
 * own table in backends.test.ts.
 */

const invalid = (name: string, fragment: string): Problem => problem(`default/${name}`, 'InvalidIngress', fragment);
const conflict = (ref: string, winner: string): Problem => problem(ref, 'RouteConflict', `Ingress ${winner} defines it too`);
const ext = (ns: string) => backend(`service:${ns}/svc:80`, server(`svc.${ns}.example`, 80));

const routeConflict: TranslateResult = {
  table: table(
    [
      vhost('c.test',
        exact('/app', 'service:team-a/svc:80', 'team-a/new'),
        prefix('/app', 'service:team-b/svc:80', 'team-b/old'),
        prefix('/', 'service:team-a/svc:80', 'team-a/new')),
      vhost('t.test', prefix('/', 'service:default/svc:80', 'default/tie-a')),
      vhost('u.test', exact('/x', 'service:zzz/svc:80', 'zzz/timed')),
    ],
    [ext('default'), ext('team-a'), ext('team-b'), ext('zzz')],
  ),
  problems: [conflict('aaa/untimed', 'zzz/timed'), conflict('default/tie-b', 'default/tie-a'), conflict('team-a/new', 'team-b/old')],
};

const cases: FixtureCase[] = [
  {
    name: 'basic',
    want: {
      table: table(
        [vhost('foo.com', prefix('/api', 'service:default/b:http'), prefix('/', A))],
        [backend(A, server('10.0.0.1', 8080), server('10.0.0.2', 8080)), backend('service:default/b:http', server('10.0.1.1', 9000))],
      ),
      problems: [],
    },
  },
  {
    name: 'class rules: our class by name or legacy annotation; foreign and class-less skipped',
    fixture: 'class-rules',
    want: {
      table: table(
        [vhost('by-class-name.test', prefix('/', A, 'default/by-class-name')), vhost('legacy-ours.test', prefix('/', A, 'default/legacy-ours'))],
        [backend(A, A_SERVER)],
      ),
      problems: [],
    },
  },
  {
    name: 'class rules: --watch-ingress-without-class takes class-less Ingresses',
    fixture: 'class-rules',
    options: { watchIngressWithoutClass: true },
    want: {
      table: table(
        [
          vhost('by-class-name.test', prefix('/', A, 'default/by-class-name')),
          vhost('legacy-ours.test', prefix('/', A, 'default/legacy-ours')),
          vhost('no-class.test', prefix('/', A, 'default/no-class')),
        ],
        [backend(A, A_SERVER)],
      ),
      problems: [],
    },
  },
  {
    name: 'class rules: our default IngressClass takes class-less Ingresses',
    fixture: 'class-default',
    want: { table: table([vhost('no-class.test', prefix('/', A, 'default/no-class'))], [backend(A, A_SERVER)]), problems: [] },
  },
  {
    name: "class rules: another controller's default class does not make class-less Ingresses ours",
    fixture: 'class-default-foreign',
    want: { table: table([], []), problems: [] },
  },
  {
    name: 'class rules: --ingress-class name works without an IngressClass object',
    fixture: 'class-without-object',
    want: { table: table([vhost('named-pier.test', prefix('/', A, 'default/named-pier'))], [backend(A, A_SERVER)]), problems: [] },
  },
  {
    name: 'class rules: an IngressClass of that name owned by another controller wins over the name',
    fixture: 'class-taken',
    want: { table: table([], []), problems: [] },
  },
  {
    name: 'hosts: lower-cased, wildcard, any-host last; invalid hosts skip their Ingress',
    fixture: 'hosts',
    want: {
      table: table(
        [
          vhost('*.example.com', prefix('/w', A)),
          vhost('foo.example.com', prefix('/', A)),
          vhost('', exact('/other', A, 'default/hostless'), prefix('/any', A)),
        ],
        [backend(A, A_SERVER)],
      ),
      problems: [
        invalid('bare-star', 'spec.rules[0].host: "*" must be a DNS-1123 subdomain'),
        invalid('inner-wildcard', '"foo.*.com" must be a DNS-1123 subdomain'),
        invalid('ip-address', '"10.1.2.3" must be a DNS name, not an IP address'),
        invalid('trailing-dot', '"foo.com." must be a DNS-1123 subdomain'),
        invalid('underscore', '"foo_bar.com" must be a DNS-1123 subdomain'),
      ],
    },
  },
  {
    name: 'paths: Exact verbatim, Prefix and ImplementationSpecific normalized, duplicates keep the first',
    fixture: 'paths',
    want: {
      table: table(
        [
          vhost('p.test', exact('/foo/', A), exact('/foo', A), prefix('/bar', A), prefix('/baz', A), prefix('/dup', A), prefix('/', A)),
          vhost('q.test', prefix('/', A)),
        ],
        [backend(A, A_SERVER)],
      ),
      problems: [problem('default/web', 'RouteConflict', 'Prefix path /dup on host p.test ignored: it is defined more than once in this Ingress')],
    },
  },
  {
    name: 'bad objects: every Ingress the API server would reject is skipped, the valid one serves',
    fixture: 'invalid-ingresses',
    want: {
      table: table([vhost('good.test', prefix('/', A))], [backend(A, A_SERVER)]),
      problems: [
        invalid('bad-default-backend', 'spec.defaultBackend.service.port: exactly one of name or number is required'),
        invalid('both-backends', 'cannot set both service and resource'),
        invalid('dot-dot-suffix', 'must not contain "/.."'),
        invalid('double-slash', 'must not contain "//"'),
        invalid('empty-backend', 'one of service or resource is required'),
        invalid('empty-paths', 'spec.rules[0].http.paths: required'),
        invalid('empty-spec', 'either `defaultBackend` or `rules` must be specified'),
        invalid('encoded-slash', 'must not contain "%2F"'),
        invalid('missing-path-type', 'spec.rules[0].http.paths[0].pathType: required'),
        invalid('no-backend', 'spec.rules[0].http.paths[0].backend: required'),
        invalid('port-missing', 'service.port: exactly one of name or number is required'),
        invalid('port-name-and-number', 'service.port: exactly one of name or number is required'),
        invalid('port-name-invalid', '"Not_A_Port" must be an IANA service name'),
        invalid('port-out-of-range', '70000 must be an integer between 1 and 65535'),
        invalid('relative-impl', '"foo" must be an absolute path'),
        invalid('relative-path', '"foo" must be an absolute path'),
        invalid('resource-without-name', 'resource.name: required'),
        invalid('service-name-invalid', '"A.b" must be a DNS-1035 label'),
        invalid('unknown-path-type', '"Regex" is not one of Exact, Prefix, ImplementationSpecific'),
      ],
    },
  },
  {
    name: 'bad objects: fields of the wrong type are reported, nulls are absent, nothing throws',
    fixture: 'malformed',
    want: {
      table: table(
        [
          vhost('ok.test', prefix('/odd', 'service:default/odd:80', 'default/good'), prefix('/', A, 'default/good')),
          vhost('', prefix('/', A, 'default/null-fields')),
        ],
        [backend(A, A_SERVER, server('10.0.0.4', 8080), server('10.0.0.7', 8080)), unavailable('service:default/odd:80', 'ServicePortNotFound')],
      ),
      problems: [
        invalid('backend-string', 'spec.rules[0].http.paths[0].backend: must be an object'),
        problem('default/good', 'ServicePortNotFound', 'Service default/odd has no port 80'),
        invalid('host-number', 'spec.rules[0].host: must be a string'),
        invalid('paths-string', 'spec.rules[0].http.paths: must be a list'),
        invalid('port-string', 'spec.rules[0].http.paths[0].backend.service.port.number: "80" must be an integer between 1 and 65535'),
        invalid('rules-not-list', 'spec.rules: must be a list'),
      ],
    },
  },
  { name: 'conflicts: oldest wins, then namespace/name, untimed counts as newest', fixture: 'route-conflict', want: routeConflict },
  { name: 'conflicts: the same result with the input in reverse order', fixture: 'route-conflict', reverse: true, want: routeConflict },
  {
    name: 'conflicts: defaultBackend of the oldest Ingress wins',
    fixture: 'default-backend-conflict',
    want: {
      table: table([], [backend('service:default/first:80', server('first.default.example', 80))], 'service:default/first:80'),
      problems: [
        problem('default/second', 'DefaultBackendConflict', 'defaultBackend ignored: Ingress default/first also sets one'),
        problem('default/third', 'DefaultBackendConflict', 'defaultBackend ignored: Ingress default/first also sets one'),
      ],
    },
  },
  {
    name: 'annotations: unknown pier.dev/ ones reported as Normal; deleting and a missing TLS Secret still served',
    fixture: 'annotations',
    want: {
      table: table([vhost('n.test', prefix('/', A))], [backend(A, A_SERVER)]),
      problems: [
        invalid('invalid', 'either `defaultBackend` or `rules` must be specified'),
        problem('default/invalid', 'UnknownAnnotation', 'annotation pier.dev/typo is not known to Pier', 'Normal'),
        problem('default/web', 'TLSSecretNotFound', 'TLS Secret default/n-tls does not exist'),
        problem('default/web', 'UnknownAnnotation', 'annotation pier.dev/no-such-thing is not known to Pier and is ignored', 'Normal'),
      ],
    },
  },
];

describe('translate: Ingress semantics', () => {
  it.each(cases)('$name', (c) => {
    expect(translateCase(c)).toEqual(c.want);
  });
});
