import { describe, expect, it } from 'vitest';
import { indexSnapshot } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { resolveUpstreamBackend } from '../../src/translate/upstream-backend.ts';
import { A, A_SERVER, OPTIONS, backend, prefix, problem, server, table, unavailable, vhost } from './builders.ts';
import { translateCase } from './fixture-case.ts';
import type { FixtureCase } from './fixture-case.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * Backends as a table: Service ports, EndpointSlices, ExternalName, unavailable backends (503 +
 * problem), and which backends make it into the table.
 */

const cases: FixtureCase[] = [
  {
    name: 'backends: missing Service, missing port, no ready endpoint answer 503 and are reported',
    fixture: 'backend-unavailable',
    want: {
      table: table(
        [
          vhost('m.test',
            prefix('/no-port-name', 'service:default/a:admin'),
            prefix('/no-slices', 'service:default/no-slices:80'),
            prefix('/other-ns', 'service:default/elsewhere:80'),
            prefix('/missing', 'service:default/missing:80'),
            prefix('/no-port', 'service:default/a:9999'),
            prefix('/down', 'service:default/down:80'),
            prefix('/ok', A)),
        ],
        [
          backend(A, A_SERVER),
          unavailable('service:default/a:9999', 'ServicePortNotFound'),
          unavailable('service:default/a:admin', 'ServicePortNotFound'),
          unavailable('service:default/down:80', 'NoReadyEndpoints'),
          unavailable('service:default/elsewhere:80', 'ServiceNotFound'),
          unavailable('service:default/missing:80', 'ServiceNotFound'),
          unavailable('service:default/no-slices:80', 'NoReadyEndpoints'),
        ],
      ),
      problems: [
        problem('default/web', 'NoReadyEndpoints', 'Service default/down port 80 has no ready endpoints: its requests get 503'),
        problem('default/web', 'NoReadyEndpoints', 'Service default/no-slices port 80 has no ready endpoints'),
        problem('default/web', 'ServiceNotFound', 'Service default/elsewhere not found'),
        problem('default/web', 'ServiceNotFound', 'Service default/missing not found: its requests get 503'),
        problem('default/web', 'ServicePortNotFound', 'Service default/a has no port 9999'),
        problem('default/web', 'ServicePortNotFound', 'Service default/a has no port admin'),
      ],
    },
  },
  {
    name: 'ports: by number and name, slice port by Service port name, targetPort fallback',
    fixture: 'ports',
    want: {
      table: table(
        [
          vhost('ports.test',
            prefix('/fallback-default', 'service:default/fallback-default:81'),
            prefix('/named-target', 'service:default/named-target:80'),
            prefix('/other-port', 'service:default/other-port:80'),
            prefix('/by-number', 'service:default/multi:80'),
            prefix('/fallback', 'service:default/fallback:80'),
            prefix('/by-name', 'service:default/multi:admin'),
            prefix('/unnamed', 'service:default/unnamed:80')),
        ],
        [
          backend('service:default/fallback-default:81', server('10.0.0.4', 81)),
          backend('service:default/fallback:80', server('10.0.0.3', 7070)),
          backend('service:default/multi:80', server('10.0.0.1', 8080)),
          backend('service:default/multi:admin', server('10.0.0.1', 9090)),
          unavailable('service:default/named-target:80', 'NoReadyEndpoints'),
          unavailable('service:default/other-port:80', 'NoReadyEndpoints'),
          backend('service:default/unnamed:80', server('10.0.0.2', 8181)),
        ],
      ),
      problems: [
        problem('default/web', 'NoReadyEndpoints', 'Service default/named-target port 80'),
        problem('default/web', 'NoReadyEndpoints', 'Service default/other-port port 80'),
      ],
    },
  },
  {
    name: 'endpoints: ready and not terminating only, every address, deduplicated and sorted',
    fixture: 'endpoints',
    want: {
      table: table([vhost('e.test', prefix('/', A))], [backend(A, server('10.0.0.1', 8080), server('10.0.0.2', 8080), server('10.0.0.3', 8080))]),
      problems: [],
    },
  },
  {
    name: 'ExternalName: one server at the external name',
    fixture: 'external-name',
    want: {
      table: table(
        [
          vhost('x.test',
            prefix('/unknown-name', 'service:default/ext:nope'),
            prefix('/empty', 'service:default/ext-empty:80'),
            prefix('/named', 'service:default/ext:https'),
            prefix('/num', 'service:default/ext:8080')),
        ],
        [
          unavailable('service:default/ext-empty:80', 'InvalidExternalName'),
          backend('service:default/ext:8080', server('api.example.com', 8080)),
          backend('service:default/ext:https', server('api.example.com', 443)),
          unavailable('service:default/ext:nope', 'ServicePortNotFound'),
        ],
      ),
      problems: [
        problem('default/web', 'InvalidExternalName', 'ExternalName Service default/ext-empty has no spec.externalName'),
        problem('default/web', 'ServicePortNotFound', 'Service default/ext has no port nope'),
      ],
    },
  },
  {
    name: 'backends: one entry per id, one problem per Ingress, losing routes bring nothing in',
    fixture: 'shared-backend',
    want: {
      table: table(
        [
          vhost('s.test',
            prefix('/x', 'service:default/gone:80', 'default/one'),
            prefix('/y', 'service:default/gone:80', 'default/one'),
            prefix('/', A, 'default/one')),
          vhost('', prefix('/z', 'service:default/gone:80', 'default/two')),
        ],
        [backend(A, A_SERVER), unavailable('service:default/gone:80', 'ServiceNotFound')],
      ),
      problems: [
        problem('default/one', 'ServiceNotFound', 'Service default/gone not found'),
        problem('default/two', 'RouteConflict', 'Ingress default/one defines it too'),
        problem('default/two', 'ServiceNotFound', 'Service default/gone not found'),
      ],
    },
  },
];

describe('translate: backends', () => {
  it.each(cases)('$name', (c) => {
    expect(translateCase(c)).toEqual(c.want);
  });

  it('resource backends: pier.dev Upstream goes to resolveUpstreamBackend, other kinds skip their path', () => {
    const snapshot = loadSnapshot('resource-backends');
    const referrer = { kind: 'Ingress', namespace: 'default', name: 'web' };
    const upstream = resolveUpstreamBackend(indexSnapshot(snapshot), 'default', 'u', referrer);
    const got = translate(snapshot, OPTIONS);
    expect(got.table).toEqual(
      table([vhost('r.test', prefix('/upstream', upstream.backend.id), prefix('/', A))], [backend(A, A_SERVER), upstream.backend]),
    );
    expect(got.problems.filter((p) => p.reason === 'UnsupportedBackend')).toEqual([
      problem('default/web', 'UnsupportedBackend', 'defaultBackend skipped: backend resource core/ConfigMap cm is not supported'),
      problem('default/web', 'UnsupportedBackend', 'path /bucket on host r.test skipped: backend resource example.com/Bucket b'),
      problem('default/web', 'UnsupportedBackend', 'path /wrong-group on host r.test skipped: backend resource example.com/Upstream u'),
    ]);
    expect(got.problems.filter((p) => p.reason !== 'UnsupportedBackend')).toEqual(upstream.problems);
  });
});
