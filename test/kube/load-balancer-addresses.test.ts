import { describe, expect, it } from 'vitest';
import { addressesOfService, type PublishedService } from '../../src/status/load-balancer-addresses.ts';

/** What --publish-service publishes for each Service type (as ingress-nginx does). */
describe('addressesOfService', () => {
  const cases: { name: string; svc: PublishedService; want: unknown[] }[] = [
    { name: 'LoadBalancer with a provisioned IP and hostname', svc: { spec: { type: 'LoadBalancer', clusterIP: '10.96.0.9' }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.7' }, { hostname: 'lb.example.com' }] } } }, want: [{ hostname: 'lb.example.com' }, { ip: '192.0.2.7' }] },
    { name: 'LoadBalancer not provisioned yet', svc: { spec: { type: 'LoadBalancer', clusterIP: '10.96.0.9' } }, want: [] },
    { name: 'LoadBalancer plus externalIPs', svc: { spec: { type: 'LoadBalancer', externalIPs: ['198.51.100.2'] }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } } }, want: [{ ip: '192.0.2.7' }, { ip: '198.51.100.2' }] },
    { name: 'NodePort with externalIPs', svc: { spec: { type: 'NodePort', clusterIP: '10.96.0.9', externalIPs: ['198.51.100.2'] } }, want: [{ ip: '198.51.100.2' }] },
    { name: 'NodePort without externalIPs (kind, bare metal)', svc: { spec: { type: 'NodePort', clusterIP: '10.96.0.9' } }, want: [{ ip: '10.96.0.9' }] },
    { name: 'ClusterIP', svc: { spec: { type: 'ClusterIP', clusterIP: '10.96.0.9' } }, want: [{ ip: '10.96.0.9' }] },
    { name: 'headless', svc: { spec: { clusterIP: 'None' } }, want: [] },
    { name: 'ExternalName', svc: { spec: { type: 'ExternalName', externalName: 'pier.example.net' } }, want: [{ hostname: 'pier.example.net' }] },
  ];
  it.each(cases)('$name', ({ svc, want }) => {
    expect(addressesOfService(svc)).toEqual(want);
  });
});
