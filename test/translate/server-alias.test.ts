import { describe, expect, it } from 'vitest';
import type { Ingress, KubeObject } from '../../src/source/objects.ts';
import type { Route, VirtualHost } from '../../src/routing/route-table.ts';
import { Store } from '../../src/store/store.ts';
import { IncrementalTranslator } from '../../src/translate/incremental-translate.ts';
import { translate } from '../../src/translate/translate.ts';
import { A, A_SERVER, backend, exact, HTTPS_REDIRECT, OPTIONS, prefix, problem, table, vhost, withPolicies } from './builders.ts';
import { translateCase, type FixtureCase } from './fixture-case.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * server-alias as a table (test/fixtures/translate/server-alias.yaml → the complete result),
 * in both input orders, and the alias yielding to a host that appears later, through both the
 * full and the incremental translation.
 */

const CERT = 'default/shop-cert';
const shopRoutes: Route[] = [exact('/later', A, 'default/later'), prefix('/extra', A, 'default/extra'), prefix('/', A, 'default/main')].map((r) => withPolicies(r, HTTPS_REDIRECT));
const shop = (host: string, tls?: string): VirtualHost => (tls === undefined ? { host, routes: shopRoutes } : { host, routes: shopRoutes, tls });

function certificate() {
  const s = loadSnapshot('server-alias').secrets[0]!;
  const text = (field: string) => Buffer.from(s.data![field]!, 'base64').toString('utf8');
  return { certPem: text('tls.crt'), keyPem: text('tls.key') };
}

const aliasCase: FixtureCase = {
  name: 'aliases serve every route of the host; the certificate goes to the aliases it names',
  fixture: 'server-alias',
  want: {
    table: {
      ...table([
        shop('*.shop.test', CERT),
        vhost('api.test', prefix('/', A, 'default/api')),
        shop('shop.example'),
        shop('shop.test', CERT),
        shop('www.shop.test', CERT),
        vhost('www.zoo.test', { ...prefix('/', A, 'default/zoo'), policies: [{ kind: 'host-redirect', host: 'zoo.test', code: 308 }] }),
        vhost('zoo.test', prefix('/', A, 'default/zoo')),
      ], [backend(A, A_SERVER)]),
      certificates: { [CERT]: certificate() },
    },
    problems: [
      problem('default/later', 'AliasConflict', 'server-alias for host shop.test ignored: Ingress default/main sets the aliases of this host and takes precedence', 'Normal'),
      problem('default/main', 'ServerAliasIgnored', 'server-alias api.test of host shop.test ignored: Pier serves api.test as a host of its own', 'Normal'),
      problem('default/main', 'ServerAliasIgnored', 'server-alias www.zoo.test of host shop.test ignored: Pier serves www.zoo.test as a host of its own', 'Normal'),
      problem('default/main', 'UnsupportedAnnotationValue', 'annotation nginx.ingress.kubernetes.io/server-alias: "~^re\\d+" ignored: regular expression server names are not supported', 'Normal'),
      problem('default/zoo', 'ServerAliasIgnored', 'server-alias shop.example of host zoo.test ignored: it is an alias of host shop.test already', 'Normal'),
    ],
  },
};

function ingress(name: string, host: string, annotations: Record<string, string> = {}, extra: Record<string, unknown> = {}): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default', annotations, ...extra },
    spec: { ingressClassName: 'pier', rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'a', port: { number: 80 } } } }] } }] },
  } as Ingress;
}

describe('translate: server-alias', () => {
  it(aliasCase.name, () => expect(translateCase(aliasCase)).toEqual(aliasCase.want));
  it(`${aliasCase.name} (input reversed: same output)`, () => expect(translateCase({ ...aliasCase, reverse: true })).toEqual(aliasCase.want));

  it('a later Ingress repeating the same list is no conflict; one with another list is', () => {
    const snapshot = loadSnapshot('server-alias');
    const same = ingress('zzz-same', 'zoo.test', { 'nginx.ingress.kubernetes.io/server-alias': 'shop.example' });
    const other = ingress('zzz-other', 'zoo.test', { 'nginx.ingress.kubernetes.io/server-alias': 'zoo.example' });
    const result = translate({ ...snapshot, ingresses: [...snapshot.ingresses, same, other] }, OPTIONS);
    expect(result.problems.filter((p) => p.name.startsWith('zzz-') && p.reason !== 'RouteConflict')).toEqual([
      problem('default/zzz-other', 'AliasConflict', 'server-alias for host zoo.test ignored: Ingress default/zoo sets the aliases of this host', 'Normal'),
    ]);
    expect(result.table.virtualHosts.map((v) => v.host)).not.toContain('zoo.example');
  });

  it('a canary Ingress sets no aliases', () => {
    const snapshot = loadSnapshot('server-alias');
    const canary = ingress('canary', 'zoo.test', { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '10', 'nginx.ingress.kubernetes.io/server-alias': 'canary.test' });
    const result = translate({ ...snapshot, ingresses: [...snapshot.ingresses, canary] }, OPTIONS);
    expect(result.table.virtualHosts.map((v) => v.host)).not.toContain('canary.test');
  });

  it('an alias yields to a host that appears later and comes back when it goes (full and incremental alike)', () => {
    const store = new Store();
    const incremental = new IncrementalTranslator(OPTIONS);
    const snapshot = loadSnapshot('server-alias');
    for (const obj of Object.values(snapshot).flat() as KubeObject[]) store.upsert(obj);
    const step = () => {
      const full = translate(store.snapshot(), OPTIONS);
      expect(incremental.update(store.index(), store.takeChanges())).toStrictEqual(full);
      return full.table.virtualHosts.find((v) => v.host === 'shop.example')!;
    };
    expect(step()).toEqual(shop('shop.example'));
    store.upsert(ingress('owner', 'shop.example'));
    expect(step()).toEqual(vhost('shop.example', prefix('/', A, 'default/owner')));
    store.remove({ kind: 'Ingress', namespace: 'default', name: 'owner' });
    expect(step()).toEqual(shop('shop.example'));
    // The host's own routes change: the alias follows.
    store.remove({ kind: 'Ingress', namespace: 'default', name: 'extra' });
    expect(step().routes.map((r) => r.path)).toEqual(['/later', '/']);
  });
});
