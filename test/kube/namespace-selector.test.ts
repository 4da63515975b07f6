import { afterEach, describe, expect, it } from 'vitest';
import { parseLabelSelector } from '../../src/source/label-selector.ts';
import { createKubeSource } from '../../src/source/kube/kube-source.ts';
import type { Source } from '../../src/source/source.ts';
import { FakeApiServer, type Obj, type RecordedRequest } from './fake-api-server.ts';
import { EventLog, eventually, ingress, objectsOfEachKind, silentLogger, sleep, testConfig } from './kube-test-helpers.ts';

/**
 * `--watch-namespace-selector` against the local list/watch: which objects arrive at the store,
 * and that a Namespace relabelled at run time brings its Ingresses and Upstreams in or out.
 */
const isWatch = (r: RecordedRequest) => r.query.get('watch') === 'true';
const namespace = (name: string, labels?: Record<string, string>): Obj => ({ kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });

let api: FakeApiServer | undefined;
let source: Source | undefined;

afterEach(async () => {
  await source?.stop();
  await api?.close();
  source = undefined;
  api = undefined;
});

async function start(selector: string, preload: (api: FakeApiServer) => void) {
  api = await FakeApiServer.start();
  preload(api);
  const log = new EventLog();
  source = createKubeSource(testConfig({ watchNamespaceSelector: parseLabelSelector(selector) }), silentLogger, {
    kubeConfig: api.kubeConfig(), backoff: { initialMs: 20, maxMs: 100 }, minWatchIntervalMs: 0,
  });
  await source.start(log.listener);
  await eventually(() => log.synced, 5000, 'synced');
  return { api, log };
}

/** `kind ns/name` of the Ingresses and Upstreams the store would hold. */
const gated = (log: EventLog) => [...log.state.keys()].filter((k) => /^(Ingress|Upstream) /.test(k)).sort();

describe('kube source with --watch-namespace-selector', () => {
  it('delivers Ingresses and Upstreams of matching namespaces only; every other kind from all', async () => {
    const { api, log } = await start('team=a,env in (prod,staging),!legacy', (a) => {
      a.apply(namespace('shop', { team: 'a', env: 'prod' }));
      a.apply(namespace('blog', { team: 'a', env: 'prod', legacy: 'true' }));
      a.apply(namespace('docs'));
      for (const ns of ['shop', 'blog', 'docs']) for (const o of objectsOfEachKind(ns, `-${ns}`)) a.apply(o);
    });
    expect(gated(log)).toEqual(['Ingress shop/web-shop', 'Upstream shop/up-shop']);
    const kindsIn = (ns: string) => [...log.state.keys()].filter((k) => k.includes(` ${ns}/`)).map((k) => k.split(' ')[0]).sort();
    expect(kindsIn('shop')).toEqual(['ConfigMap', 'EndpointSlice', 'Ingress', 'Secret', 'Service', 'Upstream']);
    expect(kindsIn('blog')).toEqual(['ConfigMap', 'EndpointSlice', 'Secret', 'Service']);
    expect(kindsIn('docs')).toEqual(['ConfigMap', 'EndpointSlice', 'Secret', 'Service']);
    // Namespaces are listed and watched cluster-wide, and never reach the store.
    expect(log.events.some((e) => e.type === 'upsert' && e.object.kind === 'Namespace')).toBe(false);
    expect(api.requests.filter((r) => r.path === '/api/v1/namespaces' && !isWatch(r)).length).toBeGreaterThan(0);
    await eventually(() => api.requests.some((r) => r.path === '/api/v1/namespaces' && isWatch(r)), 5000, 'namespace watch');
    expect(log.events.filter((e) => e.type === 'synced')).toHaveLength(1);
  });

  it('does not say synced before the Namespaces are listed', async () => {
    api = await FakeApiServer.start();
    api.apply(namespace('shop', { team: 'a' }));
    api.apply(ingress('shop', 'web', 'pier'));
    const unfail = api.fail((r) => r.path === '/api/v1/namespaces' && !isWatch(r), 500);
    const log = new EventLog();
    source = createKubeSource(testConfig({ watchNamespaceSelector: parseLabelSelector('team=a') }), silentLogger, {
      kubeConfig: api.kubeConfig(), backoff: { initialMs: 20, maxMs: 100 }, minWatchIntervalMs: 0,
    });
    await source.start(log.listener);
    await sleep(400);
    expect(log.synced).toBe(false);
    expect(gated(log)).toEqual([]);
    unfail();
    await eventually(() => log.synced, 5000, 'synced after the namespace list recovered');
    const syncedAt = log.events.findIndex((e) => e.type === 'synced');
    expect(log.events.slice(0, syncedAt).some((e) => e.type === 'upsert' && e.object.kind === 'Ingress')).toBe(true);
  });

  it('follows labels at run time: labelled later is served, unlabelled is withdrawn, deleted is withdrawn', async () => {
    const { api, log } = await start('team=a', (a) => {
      a.apply(namespace('shop', { team: 'a' }));
      a.apply(namespace('blog'));
      a.apply(ingress('shop', 'web', 'pier', 'shop.example'));
      a.apply({ kind: 'Upstream', metadata: { name: 'pool', namespace: 'shop' }, spec: { servers: [{ address: '127.0.0.3', port: 80 }] } });
      a.apply(ingress('blog', 'web', 'pier', 'blog.example'));
    });
    expect(gated(log)).toEqual(['Ingress shop/web', 'Upstream shop/pool']);

    api.apply(namespace('blog', { team: 'a' }));
    await eventually(() => log.state.has('Ingress blog/web'), 5000, 'blog served once labelled');
    expect(log.upsertsOf('Ingress', 'blog', 'web')).toBe(1);

    api.apply(namespace('shop', { team: 'b' }));
    await eventually(() => gated(log).join() === 'Ingress blog/web', 5000, 'shop withdrawn once unlabelled');
    expect([log.removesOf('Ingress', 'shop', 'web'), log.removesOf('Upstream', 'shop', 'pool')]).toEqual([1, 1]);

    // Changes in a namespace that does not match are held back, and arrive with the label.
    api.apply(ingress('shop', 'web', 'pier', 'moved.example'));
    api.apply(ingress('shop', 'late', 'pier', 'late.example'));
    await sleep(200);
    expect(log.upsertsOf('Ingress', 'shop', 'late')).toBe(0);
    api.apply(namespace('shop', { team: 'a' }));
    await eventually(() => log.state.has('Ingress shop/late'), 5000, 'shop back with its new Ingress');
    const web = log.state.get('Ingress shop/web')!.object as { spec?: { rules?: { host?: string }[] } };
    expect(web.spec?.rules?.[0]?.host).toBe('moved.example');

    api.remove('Namespace', undefined, 'blog');
    await eventually(() => !log.state.has('Ingress blog/web'), 5000, 'blog withdrawn once deleted');
  });

  it('a namespace created after the Ingress in it (watch order) still brings it in', async () => {
    const { api, log } = await start('team=a', () => {});
    api.apply(ingress('new', 'web', 'pier'));
    await sleep(200);
    expect(gated(log)).toEqual([]);
    api.apply(namespace('new', { team: 'a' }));
    await eventually(() => log.state.has('Ingress new/web'), 5000, 'ingress of the new namespace');
  });
});
