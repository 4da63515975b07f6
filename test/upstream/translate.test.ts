import { describe, expect, it } from 'vitest';
import type { Ingress, IngressClass, Upstream } from '../../src/source/objects.ts';
import { EMPTY_SNAPSHOT } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';

const options = { ingressClass: 'pier', controllerName: 'pier.dev/ingress-controller', watchIngressWithoutClass: false };
const klass: IngressClass = { kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' } };
const ingress = (name: string, host: string): Ingress => ({
  kind: 'Ingress',
  metadata: { name, namespace: 'shop' },
  spec: {
    ingressClassName: 'pier',
    rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { resource: { apiGroup: 'pier.dev', kind: 'Upstream', name: 'api' } } }] } }],
  },
});
const upstream = (spec: unknown): Upstream => ({ kind: 'Upstream', metadata: { name: 'api', namespace: 'shop' }, spec });

describe('translate() with an Ingress backend naming an Upstream', () => {
  it('routes to the upstream backend with its policy', () => {
    const spec = { servers: [{ address: '10.0.0.1', port: 8080, weight: 3 }, { address: '10.0.0.2', port: 8080 }], loadBalancing: { algorithm: 'LeastConnections' } };
    const { table, problems } = translate({ ...EMPTY_SNAPSHOT, ingressClasses: [klass], ingresses: [ingress('web', 'shop.example')], upstreams: [upstream(spec)] }, options);
    expect(problems).toEqual([]);
    expect(table.virtualHosts[0]!.routes[0]!.backend).toBe('upstream:shop/api');
    const backend = table.backends.find((b) => b.id === 'upstream:shop/api')!;
    expect(backend.servers.map((s) => [s.host, s.weight])).toEqual([['10.0.0.1', 3], ['10.0.0.2', 1]]);
    expect(backend.policy.algorithm).toBe('LeastConnections');
  });

  it('reports an invalid Upstream once on itself and once per Ingress, and serves 503', () => {
    const { table, problems } = translate({
      ...EMPTY_SNAPSHOT,
      ingressClasses: [klass],
      ingresses: [ingress('a', 'a.example'), ingress('b', 'b.example')],
      upstreams: [upstream({ servers: [{ address: '10.0.0.1', port: 80 }], loadBalancing: { algorithm: 'ConsistentHash' } })],
    }, options);
    expect(table.backends.find((b) => b.id === 'upstream:shop/api')?.unavailable).toBe('InvalidUpstream');
    expect(problems.map((p) => `${p.kind} ${p.name} ${p.reason}`).sort()).toEqual(['Ingress a InvalidUpstream', 'Ingress b InvalidUpstream', 'Upstream api InvalidUpstream']);
    const own = problems.find((p) => p.kind === 'Upstream')!;
    expect(own.message).toBe('Upstream.pier.dev "api" is invalid: spec.loadBalancing.hashKey: Required value: hashKey is required when algorithm is ConsistentHash');
  });
});
