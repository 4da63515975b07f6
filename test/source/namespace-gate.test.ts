import { describe, expect, it } from 'vitest';
import { parseLabelSelector } from '../../src/source/label-selector.ts';
import { NamespaceGate } from '../../src/source/namespace-gate.ts';
import type { KubeObject } from '../../src/source/objects.ts';
import { brief, EventLog } from './event-log.ts';

const namespace = (name: string, labels?: Record<string, string>): KubeObject => ({ kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
const obj = (kind: string, ns: string, name: string): KubeObject => ({ kind, metadata: { name, namespace: ns } });

function gate(selector = 'team=a') {
  const log = new EventLog();
  const g = new NamespaceGate(parseLabelSelector(selector), log.listener);
  const upsert = (object: KubeObject) => g.listener({ type: 'upsert', object });
  const remove = (kind: string, ns: string, name: string) => g.listener({ type: 'remove', ref: { kind, namespace: ns, name } });
  return { g, log, upsert, remove, take: () => brief(log.take()) };
}

describe('NamespaceGate (--watch-namespace-selector)', () => {
  it('passes Ingresses and Upstreams of matching namespaces only; every other kind and event passes', () => {
    const { upsert, remove, take, g } = gate();
    upsert(namespace('shop', { team: 'a' }));
    upsert(namespace('blog', { team: 'b' }));
    for (const ns of ['shop', 'blog']) for (const kind of ['Ingress', 'Upstream', 'Service', 'EndpointSlice', 'Secret', 'ConfigMap']) upsert(obj(kind, ns, 'x'));
    upsert({ kind: 'IngressClass', metadata: { name: 'pier' } });
    remove('Ingress', 'blog', 'x');
    remove('Ingress', 'shop', 'x');
    g.listener({ type: 'synced' });
    expect(take()).toEqual([
      'upsert Ingress shop/x', 'upsert Upstream shop/x', 'upsert Service shop/x', 'upsert EndpointSlice shop/x', 'upsert Secret shop/x', 'upsert ConfigMap shop/x',
      'upsert Service blog/x', 'upsert EndpointSlice blog/x', 'upsert Secret blog/x', 'upsert ConfigMap blog/x',
      'upsert IngressClass /pier', 'remove Ingress shop/x', 'synced',
    ]);
  });

  it('holds objects that arrive before their Namespace, and releases them when it matches', () => {
    const { upsert, take } = gate();
    upsert(obj('Ingress', 'shop', 'web'));
    upsert(obj('Upstream', 'shop', 'pool'));
    expect(take()).toEqual([]);
    upsert(namespace('shop', { team: 'a' }));
    expect(take()).toEqual(['upsert Ingress shop/web', 'upsert Upstream shop/pool']);
  });

  it('follows label changes: labelled later is served, unlabelled is withdrawn, relabelled comes back', () => {
    const { upsert, remove, take, log } = gate('team=a,!legacy');
    upsert(namespace('shop'));
    upsert(obj('Ingress', 'shop', 'web'));
    upsert(obj('Ingress', 'shop', 'api'));
    expect(take()).toEqual([]);
    upsert(namespace('shop', { team: 'a' }));
    expect(take()).toEqual(['upsert Ingress shop/web', 'upsert Ingress shop/api']);
    // A change of labels that keeps the match (or of nothing relevant) emits nothing.
    upsert(namespace('shop', { team: 'a', other: 'x' }));
    expect(take()).toEqual([]);
    upsert(namespace('shop', { team: 'a', legacy: 'yes' }));
    expect(take()).toEqual(['remove Ingress shop/web', 'remove Ingress shop/api']);
    // While withdrawn, changes are held, not lost: the latest version comes back.
    remove('Ingress', 'shop', 'api');
    const changed = { ...obj('Ingress', 'shop', 'web'), spec: { rules: [] } } as KubeObject;
    upsert(changed);
    expect(take()).toEqual([]);
    upsert(namespace('shop', { team: 'a' }));
    const back = log.take();
    expect(brief(back)).toEqual(['upsert Ingress shop/web']);
    expect(back[0]).toEqual({ type: 'upsert', object: changed });
  });

  it('a deleted Namespace withdraws its objects', () => {
    const { upsert, remove, take } = gate();
    upsert(namespace('shop', { team: 'a' }));
    upsert(obj('Ingress', 'shop', 'web'));
    take();
    remove('Namespace', '', 'shop');
    expect(take()).toEqual(['remove Ingress shop/web']);
  });

  it('never forwards Namespace objects themselves', () => {
    const { upsert, remove, take } = gate('!x');
    upsert(namespace('shop'));
    remove('Namespace', '', 'shop');
    expect(take()).toEqual([]);
  });

  it('reportMissing: once per namespace holding gated objects without a Namespace object', () => {
    const { upsert, remove, take, g } = gate('!legacy');
    upsert(obj('Ingress', 'shop', 'web'));
    upsert(obj('Service', 'blog', 'web'));
    upsert(namespace('docs'));
    upsert(obj('Upstream', 'docs', 'pool'));
    expect(take()).toEqual(['upsert Service blog/web', 'upsert Upstream docs/pool']);
    const problems = g.reportMissing();
    expect(problems.map((p) => [p.kind, p.name, p.reason])).toEqual([['Namespace', 'shop', 'NamespaceNotDeclared']]);
    expect(problems[0]!.message).toBe('no manifest declares Namespace shop, so its labels are unknown and its Ingresses and Upstreams are not served (--watch-namespace-selector !legacy); add a Namespace object with the labels the selector wants.');
    expect(g.reportMissing()).toEqual([]);
    upsert(namespace('shop'));
    expect(take()).toEqual(['upsert Ingress shop/web']);
    remove('Namespace', '', 'shop');
    expect(g.reportMissing().map((p) => p.name)).toEqual(['shop']);
  });
});
