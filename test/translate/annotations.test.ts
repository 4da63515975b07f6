import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type Route } from '../../src/routing/route-table.ts';
import type { TranslateResult } from '../../src/translate/translate.ts';
import { A, backend, HTTPS_REDIRECT, prefix, problem, server, table, vhost, withPolicies } from './builders.ts';
import { translateCase, type FixtureCase } from './fixture-case.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * How annotations of several Ingresses combine, as ingress-nginx documents it: regex hosts
 * (rewrite-target / use-regex on any Ingress of a host), canaries attached to their main route,
 * the https redirect that depends on TLS, from-to-www, default-backend, backend overrides.
 */

const B = 'service:default/b:80';
const A1 = server('10.0.0.1', 8080);
const B1 = server('10.0.1.1', 9000);
const regex = (path: string, backendId: string, origin: string): Route => ({ path, pathType: 'Regex', backend: backendId, origin });

const cases: FixtureCase[] = [
  {
    name: 'rewrite-target on one Ingress makes every path of its host a regex, longest first; a path RE2 cannot run is skipped',
    fixture: 'regex-hosts',
    want: {
      table: table(
        [
          vhost('plain.com', prefix('/x', A, 'default/test-ingress-1')),
          vhost('re.com', regex('/ok/[0-9]+', A, 'default/lookahead')),
          vhost('test.com',
            withPolicies(regex('/foo/bar/(.+)', A, 'default/test-ingress-2'), { kind: 'rewrite', pattern: '/foo/bar/(.+)', target: '/$1', forwardedPrefix: '/foo' }),
            regex('/foo/bar/', B, 'default/test-ingress-1'),
            regex('/foo/bar', A, 'default/test-ingress-1')),
        ],
        [backend(A, A1), backend(B, B1)],
      ),
      problems: [problem('default/lookahead', 'InvalidRegexPath', 'path /(?!admin).* on host re.com ignored: it is not a regular expression RE2 can run')],
    },
  },
  {
    name: 'a canary attaches to the main route with its own load-balance; a second canary and one without a main route are reported',
    fixture: 'canary',
    want: {
      table: table(
        [vhost('app.com', withPolicies(prefix('/', A, 'default/main'), { kind: 'canary', backend: `${B}#lb=Random`, header: 'x-canary', headerValue: 'yes', weight: 10, weightTotal: 100 }))],
        [backend(A, A1), { id: `${B}#lb=Random`, servers: [B1], policy: { ...DEFAULT_POLICY, algorithm: 'Random' } }],
      ),
      problems: [
        problem('default/canary', 'CanaryWithoutMain', 'canary for Prefix path /only-canary on host app.com ignored: no non-canary Ingress serves this host and path'),
        problem('default/canary-late', 'CanaryConflict', 'Ingress default/canary is the canary for it already'),
      ],
    },
  },
  {
    name: 'https redirect by default on TLS hosts (opt out per Ingress, forced without TLS), from-to-www, default-backend, backend overrides',
    fixture: 'redirects',
    want: {
      table: {
        ...table(
          [
            vhost('behind-lb.com', withPolicies(prefix('/', A, 'default/forced'), { kind: 'https-redirect', code: 308, preserveTrailingSlash: true })),
            {
              host: 'tls.com',
              routes: [
                prefix('/public', A, 'default/no-redirect'),
                withPolicies(prefix('/', `${A}#read=120000,service-upstream`, 'default/secure'), HTTPS_REDIRECT, { kind: 'fallback-backend', backend: B }),
              ],
              tls: 'default/cert',
            },
            vhost('www.tls.com', withPolicies(prefix('/', `${A}#read=120000,service-upstream`, 'default/secure'), { kind: 'host-redirect', host: 'tls.com', code: 308 })),
          ],
          [
            backend(A, A1),
            { id: `${A}#read=120000,service-upstream`, servers: [server('10.96.0.10', 80)], policy: { ...DEFAULT_POLICY, timeouts: { ...DEFAULT_POLICY.timeouts, readMs: 120_000 } } },
            backend(B, B1),
          ],
        ),
        certificates: { 'default/cert': certOf('redirects', 'cert') },
      },
      problems: [],
    },
  },
];

function certOf(fixture: string, secret: string) {
  const s = loadSnapshot(fixture).secrets.find((x) => x.metadata.name === secret)!;
  const text = (field: string) => Buffer.from(s.data![field]!, 'base64').toString('utf8');
  return { certPem: text('tls.crt'), keyPem: text('tls.key') };
}

describe('translate: annotations across Ingresses', () => {
  it.each(cases.flatMap((c) => [c, { ...c, name: `${c.name} (input reversed: same output)`, reverse: true }]))('$name', (c) => {
    expect(translateCase(c)).toEqual(c.want satisfies TranslateResult);
  });
});
