import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Ingress, KubeObject } from '../../src/source/objects.ts';
import { Store } from '../../src/store/store.ts';
import { IncrementalTranslator } from '../../src/translate/incremental-translate.ts';
import type { Snapshot, TranslateOptions } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { OPTIONS } from './builders.ts';
import { loadSnapshot } from './load-fixture.ts';
import { seeded as random } from '../helpers/seeded-random.ts';

/*
 * The incremental translator must give exactly translate()'s result after every change. Random
 * edit sequences over the objects of every translate fixture (they reuse names, so one
 * fixture's Ingress replaces another's: real edits), some of them mutated (hosts moved to a
 * www./wildcard variant, paths, slices emptied), and removals; after each step the incremental
 * table and problems are compared with a full translation of the same store.
 */

const FIXTURES = readdirSync(new URL('../fixtures/translate/', import.meta.url))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();

const POOL: KubeObject[] = FIXTURES.flatMap((name) => {
  const s = loadSnapshot(name) as Snapshot & Record<string, KubeObject[]>;
  return Object.values(s).flat() as KubeObject[];
}).filter((o) => typeof o?.metadata?.name === 'string').concat(extraObjects());

/** Kinds the fixtures lack: ConfigMaps an annotation reads, and Upstreams (by address, by Service, with a CA Secret). */
function extraObjects(): KubeObject[] {
  const ingress = (name: string, host: string, annotations: Record<string, string>, backend: Record<string, unknown>): KubeObject => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default', annotations },
    spec: { ingressClassName: 'pier', rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }] },
  } as unknown as KubeObject);
  const upstream = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'pier.dev/v1alpha1', kind: 'Upstream', metadata: { name, namespace: 'default' }, spec } as unknown as KubeObject);
  const configMap = (data: Record<string, string>, name = 'headers'): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data } as unknown as KubeObject);
  const toUpstream = (name: string) => ({ resource: { apiGroup: 'pier.dev', kind: 'Upstream', name } });
  return [
    configMap({ 'X-One': '1' }),
    configMap({ 'X-One': '2', 'X-Two': 'b' }),
    // --proxy-set-headers / --add-headers (the flag options below): data changed, a bad entry.
    configMap({ 'X-Global': '$host' }, 'global-headers'),
    configMap({ 'X-Global': 'b', 'X-Request-Start': 't=${msec}' }, 'global-headers'),
    configMap({ 'X-Global': 'b', 'Content-Length': '0' }, 'global-headers'),
    ingress('custom-headers', 'foo.com', { 'nginx.ingress.kubernetes.io/custom-headers': 'default/headers' }, { service: { name: 'a', port: { number: 80 } } }),
    ingress('to-upstream', 'up.test', {}, toUpstream('u')),
    ingress('to-upstream-2', 'www.up.test', { 'nginx.ingress.kubernetes.io/from-to-www-redirect': 'true' }, toUpstream('svc-up')),
    upstream('u', { servers: [{ address: '10.9.0.1', port: 8080 }] }),
    upstream('u', { servers: [{ address: '10.9.0.2', port: 443 }], protocol: 'HTTPS', tls: { serverName: 'u.internal', caSecret: 'u-ca' } }),
    upstream('svc-up', { service: { name: 'a', port: 80 } }),
    // server-alias: aliases naming fixture hosts (a real host wins), a wildcard host's alias its
    // certificate covers, and two Ingresses of foo.test with different aliases.
    withTls(ingress('alias-foo', 'foo.test', { 'nginx.ingress.kubernetes.io/server-alias': 'www.foo.test, plain.test, foo.com, *.alias.test' }, { service: { name: 'a', port: { number: 80 } } }), 'foo.test', 'foo-cert'),
    withTls(ingress('alias-wild', '*.wild.test', { 'nginx.ingress.kubernetes.io/server-alias': 'x.wild.test,alias.test' }, { service: { name: 'a', port: { number: 80 } } }), '*.wild.test', 'wild-cert'),
    ingress('alias-other', 'foo.test', { 'nginx.ingress.kubernetes.io/server-alias': 'www.foo.test' }, { service: { name: 'a', port: { number: 80 } } }),
    // ssl-ciphers: two Ingresses of foo.test with different lists (the older wins, the other is
    // told), one of them with an alias, and a list OpenSSL refuses.
    ingress('ciphers-foo', 'foo.test', { 'nginx.ingress.kubernetes.io/ssl-ciphers': 'ECDHE-RSA-AES128-GCM-SHA256', 'nginx.ingress.kubernetes.io/server-alias': 'ciphers-alias.test' }, { service: { name: 'a', port: { number: 80 } } }),
    ingress('ciphers-other', 'foo.test', { 'nginx.ingress.kubernetes.io/ssl-ciphers': 'HIGH:!aNULL', 'nginx.ingress.kubernetes.io/ssl-prefer-server-ciphers': 'false' }, { service: { name: 'a', port: { number: 80 } } }),
    ingress('ciphers-bad', 'www.foo.test', { 'nginx.ingress.kubernetes.io/ssl-ciphers': 'NOT-A-CIPHER' }, { service: { name: 'a', port: { number: 80 } } }),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'u-ca', namespace: 'default' }, type: 'Opaque', data: { 'ca.crt': 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==' } } as unknown as KubeObject,
    // global auth: an Ingress of its own auth, one opted out, one under --no-auth-locations (/b).
    ingress('own-auth', 'auth.test', { 'nginx.ingress.kubernetes.io/auth-url': 'http://own.test/check' }, { service: { name: 'a', port: { number: 80 } } }),
    ingress('no-global-auth', 'www.auth.test', { 'nginx.ingress.kubernetes.io/enable-global-auth': 'false' }, { service: { name: 'a', port: { number: 80 } } }),
    { ...ingress('exempt-path', 'auth.test', {}, { service: { name: 'a', port: { number: 80 } } }), spec: { ingressClassName: 'pier', rules: [{ host: 'auth.test', http: { paths: [{ path: '/b/c', pathType: 'Prefix', backend: { service: { name: 'a', port: { number: 80 } } } }] } }] } } as unknown as KubeObject,
  ];
}

function withTls(obj: KubeObject, host: string, secretName: string): KubeObject {
  const ingress = obj as Ingress;
  return { ...ingress, spec: { ...ingress.spec, tls: [{ hosts: [host], secretName }] } } as KubeObject;
}

const HOST_VARIANTS = (host: string) => [`www.${host}`, host.replace(/^www\./, ''), `*.${host.replace(/^[^.]+\./, '')}`, 'shared.example.com', ''];

/** A changed copy of `obj` (same kind and name), or the object itself. */
function mutate(obj: KubeObject, rnd: () => number): KubeObject {
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const copy = structuredClone(obj) as KubeObject;
  if (copy.kind === 'Ingress') {
    const ingress = copy as Ingress;
    const rules = Array.isArray(ingress.spec?.rules) ? ingress.spec.rules : [];
    const rule = rules.length > 0 ? pick(rules) : undefined;
    const choice = rnd();
    if (rule && choice < 0.4) {
      const host = pick(HOST_VARIANTS(typeof rule.host === 'string' ? rule.host : 'example.com'));
      if (host === '') delete rule.host;
      else rule.host = host;
    } else if (typeof rule?.http?.paths?.[0] === 'object' && rule.http.paths[0] !== null && choice < 0.6) {
      // (malformed fixtures have paths that are not objects: those are left as they are)
      rule.http.paths[0].path = pick(['/', '/api', '/x', '/api/v2']);
    } else if (choice < 0.8) {
      (ingress.metadata as { creationTimestamp?: string }).creationTimestamp = pick(['2020-01-01T00:00:00Z', '2030-01-01T00:00:00Z', undefined]);
    } else if (choice < 0.9) {
      (ingress.metadata as { annotations?: Record<string, string> }).annotations = { ...ingress.metadata.annotations, 'nginx.ingress.kubernetes.io/server-alias': pick(['www.foo.test,shared.example.com', 'foo.com', '~^re,foo.test', 'x.wild.test, foo.test', 'app.com,www.app.com']) };
    } else {
      (ingress.metadata as { annotations?: Record<string, string> }).annotations = { ...ingress.metadata.annotations, [pick(['nginx.ingress.kubernetes.io/from-to-www-redirect', 'nginx.ingress.kubernetes.io/ssl-redirect', 'nginx.ingress.kubernetes.io/use-regex', 'nginx.ingress.kubernetes.io/custom-http-errors', 'nginx.ingress.kubernetes.io/default-backend', 'nginx.ingress.kubernetes.io/disable-proxy-intercept-errors', 'nginx.ingress.kubernetes.io/ssl-passthrough', 'nginx.ingress.kubernetes.io/ssl-prefer-server-ciphers'])]: pick(['true', 'false', '404,503']) };
    }
  } else if (copy.kind === 'EndpointSlice') {
    const slice = copy as EndpointSlice;
    if (Array.isArray(slice.endpoints)) (slice as { endpoints?: unknown[] }).endpoints = slice.endpoints.slice(0, Math.floor(rnd() * (slice.endpoints.length + 1)));
  }
  return copy;
}

function compare(store: Store, incremental: IncrementalTranslator, options: TranslateOptions, step: string): void {
  const full = translate(store.snapshot(), options);
  const inc = incremental.update(store.index(), store.takeChanges());
  expect(inc.table, step).toStrictEqual(full.table);
  expect(inc.problems, step).toStrictEqual(full.problems);
}

const OPTION_SETS: [string, TranslateOptions][] = [
  ['default options', OPTIONS],
  ['with flag fallbacks', { ...OPTIONS, watchIngressWithoutClass: true, defaultBackendService: { namespace: 'default', name: 'a' }, defaultSslCertificate: { namespace: 'default', name: 'tls-foo' }, enableSslPassthrough: true,
    backendDefaults: { timeouts: { connectMs: 2_000, sendMs: 30_000, readMs: 90_000 }, keepalive: { connections: 0, requests: 100, timeMs: 600_000, idleTimeoutMs: 5_000 } },
    annotationDefaults: { sslRedirect: false, forceSslRedirect: true, compression: { kind: 'compression', codings: ['br', 'gzip'], minLength: 100, types: ['text/html'] },
      annotations: { 'custom-http-errors': '404', 'proxy-cookie-path': '/a /b', 'whitelist-source-range': '10.0.0.0/8' },
      globalAuth: { kind: 'external-auth', url: 'http://auth.test/check', signinRedirectParam: 'rd', responseHeaders: [], cacheDurations: [], alwaysSetCookie: false, connectTimeoutMs: 5_000, timeoutMs: 60_000 },
      noAuthLocations: ['/b'], redirectCode: 301, noTlsRedirectLocations: ['/a'], httpsPort: 443 },
    proxySetHeaders: { namespace: 'default', name: 'global-headers' }, addHeaders: { namespace: 'default', name: 'headers' } }],
];

describe('IncrementalTranslator', () => {
  it('the pool covers every kind', () => {
    expect(new Set(POOL.map((o) => o.kind))).toEqual(new Set(['IngressClass', 'Ingress', 'Service', 'EndpointSlice', 'Secret', 'ConfigMap', 'Upstream']));
  });

  for (const [label, options] of OPTION_SETS) {
    it(`equals translate() after every step of random edit sequences (${label})`, () => {
      for (let seed = 1; seed <= 12; seed++) {
        const rnd = random(seed);
        const store = new Store();
        const incremental = new IncrementalTranslator(options);
        const live: KubeObject[] = [];
        compare(store, incremental, options, `seed ${seed} start`);
        for (let step = 0; step < 120; step++) {
          let what: string;
          if (live.length > 0 && rnd() < 0.3) {
            const victim = live.splice(Math.floor(rnd() * live.length), 1)[0]!;
            store.remove({ kind: victim.kind, namespace: victim.metadata.namespace ?? '', name: victim.metadata.name });
            what = `remove ${victim.kind} ${victim.metadata.namespace}/${victim.metadata.name}`;
          } else {
            const base = POOL[Math.floor(rnd() * POOL.length)]!;
            const obj = rnd() < 0.4 ? mutate(base, rnd) : base;
            store.upsert(obj);
            const at = live.findIndex((o) => o.kind === obj.kind && o.metadata.namespace === obj.metadata.namespace && o.metadata.name === obj.metadata.name);
            if (at >= 0) live.splice(at, 1);
            live.push(obj);
            what = `upsert ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
          }
          // Several changes between builds, as the rebuild scheduler batches them.
          if (rnd() < 0.7) compare(store, incremental, options, `seed ${seed} step ${step}: ${what}`);
        }
        compare(store, incremental, options, `seed ${seed} end`);
      }
    });
  }

  it('keeps unchanged virtual hosts and backends as the same objects, and an EndpointSlice change touches only its backend', () => {
    const store = new Store();
    const snapshot = loadSnapshot('basic');
    for (const obj of Object.values(snapshot).flat() as KubeObject[]) store.upsert(obj);
    const incremental = new IncrementalTranslator(OPTIONS);
    const first = incremental.update(store.index(), store.takeChanges()).table;
    const slice = snapshot.endpointSlices[0]!;
    store.upsert({ ...slice, endpoints: [] } as EndpointSlice);
    const second = incremental.update(store.index(), store.takeChanges()).table;
    expect(second).toStrictEqual(translate(store.snapshot(), OPTIONS).table);
    const changed = second.backends.filter((b, i) => b !== first.backends[i]).map((b) => b.id);
    const ofService = first.backends.map((b) => b.id).filter((id) => id.startsWith(`service:default/${slice.metadata.labels!['kubernetes.io/service-name']}:`));
    expect(ofService.length).toBeGreaterThan(0);
    expect(changed).toEqual(ofService);
    expect(second.virtualHosts.every((v, i) => v === first.virtualHosts[i])).toBe(true);
    // Nothing relevant changed: the very same table.
    expect(incremental.update(store.index(), store.takeChanges()).table).toBe(second);
  });
});

describe('IncrementalTranslator and the --proxy-set-headers / --add-headers ConfigMaps', () => {
  const options: TranslateOptions = { ...OPTIONS, proxySetHeaders: { namespace: 'default', name: 'request-headers' }, addHeaders: { namespace: 'default', name: 'request-headers' } };
  const configMap = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'request-headers', namespace: 'default' }, data } as unknown as KubeObject);

  it('a change of the ConfigMap\'s data gives a new table with the new lists; no change keeps the table', () => {
    const store = new Store();
    for (const obj of Object.values(loadSnapshot('basic')).flat() as KubeObject[]) store.upsert(obj);
    store.upsert(configMap({ 'X-A': '1' }));
    const incremental = new IncrementalTranslator(options);
    const first = incremental.update(store.index(), store.takeChanges()).table;
    expect(first.proxySetHeaders).toEqual(['x-a', '1']);
    store.upsert(configMap({ 'X-A': '2' }));
    const second = incremental.update(store.index(), store.takeChanges());
    expect(second.table).toStrictEqual(translate(store.snapshot(), options).table);
    expect([second.table.proxySetHeaders, second.table.addHeaders]).toEqual([['x-a', '2'], ['x-a', '2']]);
    // The hosts and backends did not change: the same objects.
    expect(second.table.virtualHosts).toBe(first.virtualHosts);
    expect(second.table.backends).toBe(first.backends);
    // Another object changes, the lists do not: they stay the same arrays.
    const slice = loadSnapshot('basic').endpointSlices[0]!;
    store.upsert({ ...slice, endpoints: [] } as EndpointSlice);
    const third = incremental.update(store.index(), store.takeChanges()).table;
    expect(third.proxySetHeaders).toBe(second.table.proxySetHeaders);
    // The ConfigMap goes: the lists go, and the problem says so.
    store.remove({ kind: 'ConfigMap', namespace: 'default', name: 'request-headers' });
    const fourth = incremental.update(store.index(), store.takeChanges());
    expect([fourth.table.proxySetHeaders, fourth.table.addHeaders]).toEqual([undefined, undefined]);
    expect(fourth.problems.filter((p) => p.kind === 'ConfigMap').map((p) => p.reason)).toEqual(['ConfigMapNotFound', 'ConfigMapNotFound']);
    expect(fourth).toStrictEqual(translate(store.snapshot(), options));
  });
});
