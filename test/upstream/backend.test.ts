import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service, Upstream } from '../../src/source/objects.ts';
import { EMPTY_SNAPSHOT, indexSnapshot } from '../../src/translate/snapshot.ts';
import type { Snapshot } from '../../src/translate/snapshot.ts';
import { resolveUpstreamBackend } from '../../src/translate/upstream-backend.ts';
import { computeUpstreamStatus } from '../../src/translate/upstream-status.ts';

const upstream = (spec: unknown, generation = 3): Upstream => ({ kind: 'Upstream', metadata: { name: 'web', namespace: 'default', generation }, spec });
const service: Service = { kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
const slice: EndpointSlice = {
  kind: 'EndpointSlice',
  metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
  ports: [{ name: 'http', port: 8080 }],
  endpoints: [
    { addresses: ['10.1.0.1'], conditions: { ready: true } },
    { addresses: ['10.1.0.2'], conditions: { ready: false } },
  ],
};
const snap = (over: Partial<Snapshot>) => indexSnapshot({ ...EMPTY_SNAPSHOT, ...over });
const ing = (name: string) => ({ kind: 'Ingress', namespace: 'default', name });

describe('resolveUpstreamBackend', () => {
  it('a missing Upstream is a 503 backend and an UpstreamNotFound problem on the Ingress', () => {
    const { backend, problems } = resolveUpstreamBackend(snap({}), 'default', 'nope', ing('site'));
    expect(backend).toMatchObject({ id: 'upstream:default/nope', servers: [], unavailable: 'UpstreamNotFound' });
    expect(problems).toEqual([{ kind: 'Ingress', namespace: 'default', name: 'site', reason: 'UpstreamNotFound', message: 'Upstream default/nope not found: its requests get 503', severity: 'Warning' }]);
  });

  it('reports an invalid Upstream once per translation, and on every Ingress using it', () => {
    const index = snap({ upstreams: [upstream({})] });
    const a = resolveUpstreamBackend(index, 'default', 'web', ing('a'));
    const b = resolveUpstreamBackend(index, 'default', 'web', ing('b'));
    expect(a.problems.map((p) => `${p.kind}/${p.name}`)).toEqual(['Upstream/web', 'Ingress/a']);
    expect(b.problems.map((p) => `${p.kind}/${p.name}`)).toEqual(['Ingress/b']);
    // A new translation (new index) reports it again.
    expect(resolveUpstreamBackend(snap({ upstreams: [upstream({})] }), 'default', 'web', ing('a')).problems).toHaveLength(2);
  });

  it('serves static servers when the Service is missing, with a warning on the Upstream', () => {
    const index = snap({ upstreams: [upstream({ service: { name: 'gone', port: { number: 80 } }, servers: [{ address: '10.0.0.1', port: 80 }] })] });
    const { backend, problems } = resolveUpstreamBackend(index, 'default', 'web', ing('site'));
    expect(backend.unavailable).toBeUndefined();
    expect(backend.servers.map((s) => s.host)).toEqual(['10.0.0.1']);
    expect(problems.map((p) => [p.kind, p.reason])).toEqual([['Upstream', 'ServiceNotFound']]);
  });
});

describe('computeUpstreamStatus', () => {
  it('Accepted and Ready with ready/total counts', () => {
    const index = snap({ upstreams: [upstream({ service: { name: 'web', port: { name: 'http' } }, servers: [{ address: '10.0.0.9', port: 80 }] })], services: [service], endpointSlices: [slice] });
    const status = computeUpstreamStatus(index, index.snapshot.upstreams[0]!);
    expect(status).toEqual({
      observedGeneration: 3,
      conditions: [
        { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'the spec is valid', observedGeneration: 3 },
        { type: 'Ready', status: 'True', reason: 'Ready', message: '2 of 3 endpoints ready', observedGeneration: 3 },
      ],
      readyEndpoints: 2,
      totalEndpoints: 3,
    });
  });

  it.each([
    { name: 'invalid spec', spec: { servers: [] }, accepted: 'InvalidUpstream', ready: 'InvalidUpstream' },
    { name: 'service without endpoints', spec: { service: { name: 'none', port: { number: 80 } } }, accepted: 'Accepted', ready: 'ServiceNotFound' },
  ])('$name: Accepted=$accepted, Ready=$ready', ({ spec, accepted, ready }) => {
    const index = snap({ upstreams: [upstream(spec)] });
    const status = computeUpstreamStatus(index, index.snapshot.upstreams[0]!);
    expect(status.conditions.map((c) => c.reason)).toEqual([accepted, ready]);
    expect(status.conditions[1].status).toBe('False');
    expect(status.readyEndpoints).toBe(0);
  });
});
