import { describe, expect, it } from 'vitest';
import type { Policy } from '../../src/routing/policies.ts';
import type { Ingress } from '../../src/source/objects.ts';
import { parseAnnotations, STANDARD_DEFAULTS, type AnnotationDefaults } from '../../src/translate/annotations/parse-annotations.ts';
import type { TranslateOptions } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { OPTIONS } from './builders.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * The controller's values of annotation names (the flags named after ingress-nginx's ConfigMap
 * keys): what an Ingress without the annotation, or with an empty one, gets; an annotation
 * replaces its own name's value only, as ingress-nginx's parsers fall back per name. The
 * incremental translator is held equal to translate() with these flags by the property test in
 * incremental-translate.test.ts.
 */

const FLAGS = {
  'proxy-cookie-domain': '.internal.svc example.test', 'proxy-cookie-path': '/app /',
  'proxy-redirect-from': 'http://internal.svc/', 'proxy-redirect-to': 'https://example.test/',
  'whitelist-source-range': '10.0.0.0/8', 'denylist-source-range': '10.9.0.0/16', 'custom-http-errors': '404,503',
};
const DEFAULTS: AnnotationDefaults = { ...STANDARD_DEFAULTS, annotations: FLAGS };
const PAGES = { namespace: 'default', name: 'pages' };
const WITH_FLAGS: TranslateOptions = { ...OPTIONS, defaultBackendService: PAGES, annotationDefaults: DEFAULTS };

/** The policies of kind `kind` on `host`'s one route. */
function policiesOf(options: TranslateOptions, host: string, kind: Policy['kind']): Policy[] {
  const { table } = translate(loadSnapshot('annotation-defaults'), options);
  const route = table.virtualHosts.find((v) => v.host === host)!.routes[0]!;
  return (route.policies ?? []).filter((p) => p.kind === kind);
}

const REDIRECT = { from: 'http://internal.svc/', to: 'https://example.test/' };
const DOMAIN = { from: 'internal.svc', to: 'example.test' };
const PATH = { from: '/app', to: '/' };
const errorPages = (host: string, codes: number[], backend: string) => ({
  kind: 'error-pages', codes, backend, namespace: 'default', ingress: host.replace('.test', ''), service: 'a', servicePort: '80',
});

describe('controller values of proxy-cookie-domain, -path, proxy-redirect-from, -to', () => {
  it('an Ingress without annotations gets all of them', () => {
    expect(policiesOf(WITH_FLAGS, 'plain.test', 'response-rewrite')).toEqual([{ kind: 'response-rewrite', redirect: REDIRECT, cookieDomain: DOMAIN, cookiePath: PATH }]);
  });

  it('an annotation replaces its own name only: proxy-redirect-to pairs with the controller\'s -from', () => {
    expect(policiesOf(WITH_FLAGS, 'cookie.test', 'response-rewrite'))
      .toEqual([{ kind: 'response-rewrite', redirect: { from: 'http://internal.svc/', to: 'https://other.test/' }, cookieDomain: DOMAIN, cookiePath: { from: '/x', to: '/y' } }]);
  });

  it('off turns one off; an empty annotation is not set (ingress-nginx reads the ConfigMap then)', () => {
    expect(policiesOf(WITH_FLAGS, 'offs.test', 'response-rewrite')).toEqual([{ kind: 'response-rewrite', cookiePath: PATH }]);
    expect(policiesOf(WITH_FLAGS, 'empty.test', 'response-rewrite')).toEqual(policiesOf(WITH_FLAGS, 'plain.test', 'response-rewrite'));
  });

  it('without the flags, an Ingress without annotations has no policy at all', () => {
    expect(translate(loadSnapshot('annotation-defaults'), OPTIONS).table.virtualHosts.find((v) => v.host === 'plain.test')!.routes[0]!.policies).toBeUndefined();
  });
});

describe('controller values of whitelist-source-range and denylist-source-range', () => {
  it('an Ingress without annotations (or with an empty list) gets both', () => {
    for (const host of ['plain.test', 'empty.test']) expect(policiesOf(WITH_FLAGS, host, 'ip-access'), host).toEqual([{ kind: 'ip-access', allow: ['10.0.0.0/8'], deny: ['10.9.0.0/16'] }]);
  });

  it('whitelist-source-range or allowlist-source-range replaces the allow list, denylist-source-range the deny list', () => {
    expect(policiesOf(WITH_FLAGS, 'lists.test', 'ip-access')).toEqual([{ kind: 'ip-access', allow: ['192.168.0.0/16'], deny: ['10.9.0.0/16'] }]);
    expect(policiesOf(WITH_FLAGS, 'allow.test', 'ip-access')).toEqual([{ kind: 'ip-access', allow: ['172.16.0.0/12'], deny: ['10.1.0.0/16'] }]);
  });
});

describe('controller custom-http-errors (with --default-backend-service)', () => {
  it('an Ingress without annotations sends the listed answers to --default-backend-service, which joins the table', () => {
    expect(policiesOf(WITH_FLAGS, 'plain.test', 'error-pages')).toEqual([errorPages('plain.test', [404, 503], 'service:default/pages:http')]);
    const { table, problems } = translate(loadSnapshot('annotation-defaults'), WITH_FLAGS);
    expect(table.backends.filter((b) => b.id === 'service:default/pages:http')).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it('the annotation\'s codes replace the controller\'s and go to its default-backend; the controller\'s go to the default backend even then', () => {
    expect(policiesOf(WITH_FLAGS, 'own-errors.test', 'error-pages')).toEqual([errorPages('own-errors.test', [500], 'service:default/own-pages:80')]);
    expect(policiesOf(WITH_FLAGS, 'own-backend.test', 'error-pages')).toEqual([errorPages('own-backend.test', [404, 503], 'service:default/pages:http')]);
    expect(policiesOf(WITH_FLAGS, 'own-backend.test', 'fallback-backend')).toEqual([{ kind: 'fallback-backend', backend: 'service:default/own-pages:80' }]);
  });

  it('disable-proxy-intercept-errors: "true" leaves the Ingress\'s answers alone', () => {
    expect(policiesOf(WITH_FLAGS, 'no-intercept.test', 'error-pages')).toEqual([]);
  });

  it('the annotation without default-backend reaches --default-backend-service when no Ingress sets spec.defaultBackend (was ignored)', () => {
    const options = { ...OPTIONS, defaultBackendService: PAGES };
    expect(policiesOf(options, 'codes-only.test', 'error-pages')).toEqual([errorPages('codes-only.test', [502], 'service:default/pages:http')]);
    expect(translate(loadSnapshot('annotation-defaults'), options).problems.filter((p) => p.reason === 'CustomHTTPErrorsWithoutBackend')).toEqual([]);
  });
});

describe('Ingresses without annotations share one frozen settings object', () => {
  const bare = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default' }, spec: {} } as Ingress;

  it('with the flags too: parsed once, policies included', () => {
    const one = parseAnnotations(bare, undefined, DEFAULTS).settings;
    expect(parseAnnotations({ ...bare, metadata: { ...bare.metadata, name: 'other' } }, undefined, DEFAULTS).settings).toBe(one);
    expect(Object.isFrozen(one) && Object.isFrozen(one.policies)).toBe(true);
    expect(one.policies.map((p) => p.kind)).toEqual(['ip-access', 'response-rewrite']);
    expect(parseAnnotations(bare).settings.policies).toEqual([]);
  });
});
