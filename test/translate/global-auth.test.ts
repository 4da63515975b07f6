import { describe, expect, it } from 'vitest';
import type { ExternalAuthPolicy } from '../../src/routing/policies.ts';
import type { Snapshot, TranslateOptions } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { annotated, OPTIONS, withAcmeSolver } from './builders.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * --global-auth-url (ingress-nginx's ConfigMap global-auth-url): every route whose Ingress has
 * no auth-url of its own and does not say enable-global-auth: "false" gets the controller's
 * external auth, as a whole (ingress-nginx's shouldApplyGlobalAuth); routes under
 * --no-auth-locations (default /.well-known/acme-challenge) get no auth at all.
 */

const N = 'nginx.ingress.kubernetes.io/';
const GLOBAL: ExternalAuthPolicy = {
  kind: 'external-auth', url: 'https://auth.example.com/check', signinRedirectParam: 'rd', responseHeaders: [], cacheDurations: [], alwaysSetCookie: false, connectTimeoutMs: 5_000, timeoutMs: 60_000,
};


/** host path → the auth URL its route checks with (undefined: none). */
function authOf(snapshot: Snapshot, defaults: Partial<NonNullable<TranslateOptions['annotationDefaults']>>): Record<string, string | undefined> {
  const table = translate(snapshot, { ...OPTIONS, annotationDefaults: { sslRedirect: false, forceSslRedirect: false, ...defaults } }).table;
  return Object.fromEntries(table.virtualHosts.flatMap((v) => v.routes.map((r) => [`${v.host} ${r.path}`, (r.policies ?? []).find((p): p is ExternalAuthPolicy => p.kind === 'external-auth')?.url])));
}

describe('translate: --global-auth-url', () => {
  const base = loadSnapshot('tls-valid');
  const snapshot = withAcmeSolver(base);

  it('without it: no auth anywhere', () => {
    expect(Object.values(authOf(snapshot, {})).filter((u) => u !== undefined)).toEqual([]);
  });

  it('every route without auth of its own gets it; an ACME challenge path does not', () => {
    expect(authOf(snapshot, { globalAuth: GLOBAL })).toEqual({
      'foo.test /.well-known/acme-challenge/Tok3n': undefined, 'foo.test /': GLOBAL.url, '*.wild.test /w': GLOBAL.url, 'plain.test /': GLOBAL.url,
    });
  });

  it('an Ingress\'s own auth-url wins as a whole; enable-global-auth: "false" opts it out', () => {
    const own = annotated(snapshot, 'web', { [`${N}auth-url`]: 'http://own.example/check' });
    expect(authOf(own, { globalAuth: GLOBAL })['foo.test /']).toBe('http://own.example/check');
    const optedOut = annotated(snapshot, 'wild', { [`${N}enable-global-auth`]: 'false' });
    expect(authOf(optedOut, { globalAuth: GLOBAL })).toMatchObject({ '*.wild.test /w': undefined, 'plain.test /': undefined, 'foo.test /': GLOBAL.url });
  });

  it('--no-auth-locations empty: the challenge path is checked too; an Ingress\'s own auth-url under the default list is not', () => {
    expect(authOf(snapshot, { globalAuth: GLOBAL, noAuthLocations: [] })['foo.test /.well-known/acme-challenge/Tok3n']).toBe(GLOBAL.url);
    const ownOnSolver = annotated(snapshot, 'cm-acme-http-solver', { [`${N}auth-url`]: 'http://own.example/check' });
    expect(authOf(ownOnSolver, {})['foo.test /.well-known/acme-challenge/Tok3n']).toBeUndefined();
  });
});
