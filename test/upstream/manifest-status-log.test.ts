import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service, Upstream } from '../../src/source/objects.ts';
import { ManifestStatusLog } from '../../src/status/manifest-status-log.ts';
import { EMPTY_SNAPSHOT, type Snapshot } from '../../src/translate/snapshot.ts';

/** A logger whose JSON lines land in `lines`. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info', base: {} }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

const upstream = (name: string, spec: unknown, namespace = 'default'): Upstream =>
  ({ apiVersion: 'pier.dev/v1alpha1', kind: 'Upstream', metadata: { name, namespace }, spec }) as Upstream;
const service: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } } as Service;
const slice = (addresses: string[]): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
  metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4', ports: [{ name: 'http', port: 8080 }],
  endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
}) as EndpointSlice;

const STATIC = upstream('static', { servers: [{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 80 }] });
const SVC = upstream('svc', { service: { name: 'web', port: { number: 80 } } });
const BAD = upstream('bad', { servers: [{ address: '10.0.0.1', port: 80 }], loadBalancing: { algorithm: 'ConsistentHash' } });
const snap = (parts: Partial<Snapshot>): Snapshot => ({ ...EMPTY_SNAPSHOT, ...parts });

describe('ManifestStatusLog', () => {
  it('logs every Upstream on the first build, with counts and the failing condition', () => {
    const { logger, lines } = capturingLogger();
    new ManifestStatusLog(logger).onBuilt(snap({ upstreams: [STATIC, SVC, BAD], services: [service] }));
    const byName = new Map(lines.map((l) => [l.name, l]));
    expect(lines).toHaveLength(3);
    expect(byName.get('static')).toMatchObject({ level: 30, msg: 'upstream status', kind: 'Upstream', namespace: 'default', accepted: true, ready: true, readyEndpoints: 2, totalEndpoints: 2 });
    expect(byName.get('static')).not.toHaveProperty('reason');
    expect(byName.get('svc')).toMatchObject({ level: 40, accepted: true, ready: false, reason: 'NoReadyEndpoints', readyEndpoints: 0, totalEndpoints: 0 });
    expect(byName.get('bad')).toMatchObject({ level: 40, accepted: false, ready: false, reason: 'InvalidUpstream' });
    // The CRD's CEL message, in kubectl's words.
    expect(byName.get('bad')!.message).toContain('spec.loadBalancing.hashKey: Required value: hashKey is required when algorithm is ConsistentHash');
  });

  // Each step: the snapshot of a build, and the Upstreams expected to get a line after it.
  const steps: { what: string; snapshot: Snapshot; logged: string[] }[] = [
    { what: 'first build', snapshot: snap({ upstreams: [STATIC, SVC], services: [service] }), logged: ['static', 'svc'] },
    { what: 'same objects rebuilt', snapshot: snap({ upstreams: [STATIC, SVC], services: [service] }), logged: [] },
    { what: 'unrelated object added', snapshot: snap({ upstreams: [STATIC, SVC], services: [service, { ...service, metadata: { name: 'other', namespace: 'default' } }] }), logged: [] },
    { what: 'endpoints appear for svc', snapshot: snap({ upstreams: [STATIC, SVC], services: [service], endpointSlices: [slice(['10.1.0.1'])] }), logged: ['svc'] },
    { what: 'endpoint count changes', snapshot: snap({ upstreams: [STATIC, SVC], services: [service], endpointSlices: [slice(['10.1.0.1', '10.1.0.2'])] }), logged: ['svc'] },
    { what: 'spec edit with the same status (generation bump)', snapshot: snap({ upstreams: [{ ...STATIC, metadata: { ...STATIC.metadata, generation: 2 }, spec: { ...(STATIC.spec as object), loadBalancing: { algorithm: 'LeastConnections' } } } as Upstream, SVC], services: [service], endpointSlices: [slice(['10.1.0.1', '10.1.0.2'])] }), logged: [] },
    { what: 'static becomes invalid', snapshot: snap({ upstreams: [{ ...BAD, metadata: STATIC.metadata }, SVC], services: [service], endpointSlices: [slice(['10.1.0.1', '10.1.0.2'])] }), logged: ['static'] },
    { what: 'static deleted', snapshot: snap({ upstreams: [SVC], services: [service], endpointSlices: [slice(['10.1.0.1', '10.1.0.2'])] }), logged: [] },
    { what: 'static re-created', snapshot: snap({ upstreams: [STATIC, SVC], services: [service], endpointSlices: [slice(['10.1.0.1', '10.1.0.2'])] }), logged: ['static'] },
    { what: 'same name in another namespace', snapshot: snap({ upstreams: [STATIC, SVC, upstream('static', STATIC.spec, 'other')], services: [service], endpointSlices: [slice(['10.1.0.1', '10.1.0.2'])] }), logged: ['other/static'] },
    { what: 'every Upstream deleted', snapshot: snap({}), logged: [] },
  ];

  it('logs only the Upstreams whose status changed since the previous build', () => {
    const { logger, lines } = capturingLogger();
    const log = new ManifestStatusLog(logger);
    for (const step of steps) {
      const before = lines.length;
      const returned = log.onBuilt(step.snapshot);
      const logged = lines.slice(before).map((l) => (l.namespace === 'default' ? String(l.name) : `${String(l.namespace)}/${String(l.name)}`));
      expect(logged, step.what).toEqual(step.logged);
      expect(returned.length, step.what).toBe(step.logged.length);
    }
  });
});
