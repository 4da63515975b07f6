import { describe, expect, it } from 'vitest';
import type { Snapshot, TranslateOptions } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { annotated, OPTIONS, withAcmeSolver } from './builders.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * --ssl-redirect / --force-ssl-redirect (ingress-nginx's ConfigMap ssl-redirect and
 * force-ssl-redirect): what an Ingress without the same-named annotations gets. The fixture
 * has foo.test with a certificate (Ingress default/web) and plain.test and *.wild.test, where
 * only *.wild.test has one (Ingress default/wild).
 */

const N = 'nginx.ingress.kubernetes.io/';


/** The hosts whose routes redirect plain HTTP to https (incremental translation is held equal
 * to this by the property test in incremental-translate.test.ts, which runs with these flags). */
function redirecting(snapshot: Snapshot, options: Partial<TranslateOptions>): string[] {
  return translate(snapshot, { ...OPTIONS, ...options }).table.virtualHosts
    .filter((v) => v.routes.some((r) => (r.policies ?? []).some((p) => p.kind === 'https-redirect')))
    .map((v) => v.host);
}

describe('translate: controller-wide ssl-redirect and force-ssl-redirect', () => {
  const base = loadSnapshot('tls-valid');

  it('by default (ingress-nginx\'s: ssl-redirect true, force false): the hosts with a certificate', () => {
    expect(redirecting(base, {})).toEqual(['*.wild.test', 'foo.test']);
  });

  it('--ssl-redirect false: none, unless an Ingress says ssl-redirect "true"', () => {
    expect(redirecting(base, { annotationDefaults: { sslRedirect: false, forceSslRedirect: false } })).toEqual([]);
    expect(redirecting(annotated(base, 'web', { [`${N}ssl-redirect`]: 'true' }), { annotationDefaults: { sslRedirect: false, forceSslRedirect: false } })).toEqual(['foo.test']);
  });

  it('--force-ssl-redirect true: every host, certificate or not, unless an Ingress says force-ssl-redirect "false"', () => {
    expect(redirecting(base, { annotationDefaults: { sslRedirect: true, forceSslRedirect: true } })).toEqual(['*.wild.test', 'foo.test', 'plain.test']);
    // default/wild's hosts then keep ssl-redirect's rule: only the one with a certificate.
    expect(redirecting(annotated(base, 'wild', { [`${N}force-ssl-redirect`]: 'false' }), { annotationDefaults: { sslRedirect: true, forceSslRedirect: true } })).toEqual(['*.wild.test', 'foo.test']);
  });
});

describe('translate: use-port-in-redirects', () => {
  const base = loadSnapshot('tls-valid');
  const portOf = (snapshot: Snapshot, options: Partial<TranslateOptions>, host: string) =>
    translate(snapshot, { ...OPTIONS, ...options }).table.virtualHosts.find((v) => v.host === host)!.routes
      .flatMap((r) => r.policies ?? []).filter((p) => p.kind === 'https-redirect').map((p) => p.port);

  it('names the port clients reach HTTPS on: --public-https-port / --https-port, else ingress-nginx\'s 443', () => {
    const withPort = annotated(base, 'web', { [`${N}use-port-in-redirects`]: 'true' });
    expect(portOf(withPort, {}, 'foo.test')).toEqual([443]);
    expect(portOf(withPort, { annotationDefaults: { sslRedirect: true, forceSslRedirect: false, httpsPort: 8443 } }, 'foo.test')).toEqual([8443]);
    expect(portOf(base, { annotationDefaults: { sslRedirect: true, forceSslRedirect: false, httpsPort: 8443 } }, 'foo.test')).toEqual([undefined]);
  });
});

describe('translate: --no-tls-redirect-locations and --http-redirect-code (ingress-nginx\'s ConfigMap keys)', () => {
  const base = loadSnapshot('tls-valid');
  const withSolver = withAcmeSolver(base);
  const redirects = (snapshot: Snapshot, options: Partial<TranslateOptions>) =>
    translate(snapshot, { ...OPTIONS, ...options }).table.virtualHosts.flatMap((v) => v.routes.map((r) => [v.host, r.path, (r.policies ?? []).find((p) => p.kind === 'https-redirect' || p.kind === 'host-redirect')?.code] as const));

  it('by default an ACME challenge path is never redirected to https, even forced; the rest of its host is', () => {
    expect(redirects(withSolver, {}).filter(([h]) => h === 'foo.test')).toEqual([['foo.test', '/.well-known/acme-challenge/Tok3n', undefined], ['foo.test', '/', 308]]);
    const forced = { annotationDefaults: { sslRedirect: true, forceSslRedirect: true } };
    expect(redirects(withSolver, forced).filter(([h]) => h === 'foo.test')).toEqual([['foo.test', '/.well-known/acme-challenge/Tok3n', undefined], ['foo.test', '/', 308]]);
  });

  it('an empty list redirects it too; another list exempts its own prefixes', () => {
    const none = { annotationDefaults: { sslRedirect: true, forceSslRedirect: false, noTlsRedirectLocations: [] } };
    expect(redirects(withSolver, none).filter(([h]) => h === 'foo.test')).toEqual([['foo.test', '/.well-known/acme-challenge/Tok3n', 308], ['foo.test', '/', 308]]);
    const root = { annotationDefaults: { sslRedirect: true, forceSslRedirect: false, noTlsRedirectLocations: ['/'] } };
    expect(redirects(withSolver, root).filter(([h]) => h === 'foo.test')).toEqual([['foo.test', '/.well-known/acme-challenge/Tok3n', undefined], ['foo.test', '/', undefined]]);
  });

  it('--http-redirect-code: ssl-redirect\'s and from-to-www-redirect\'s status', () => {
    const www = annotated(base, 'web', { [`${N}from-to-www-redirect`]: 'true' });
    const got = redirects(www, { annotationDefaults: { sslRedirect: true, forceSslRedirect: false, redirectCode: 301 } });
    expect(got).toContainEqual(['foo.test', '/', 301]);
    expect(got).toContainEqual(['www.foo.test', '/', 301]);
  });
});
