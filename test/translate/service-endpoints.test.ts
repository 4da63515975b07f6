import { describe, expect, it } from 'vitest';
import { resolveServiceServers } from '../../src/translate/service-endpoints.ts';
import type { ServiceServers } from '../../src/translate/service-endpoints.ts';
import { indexSnapshot } from '../../src/translate/snapshot.ts';
import { server } from './builders.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * resolveServiceServers is also the Upstream resource's way to a Service (spec.service), so its
 * result shape is tested directly, not only through translate().
 */

const down = (reason: string, message: string): ServiceServers => ({ unavailable: reason, message });

const cases: { fixture: string; service: string; port: { name?: string; number?: number }; want: ServiceServers }[] = [
  { fixture: 'ports', service: 'multi', port: { number: 80 }, want: { servers: [server('10.0.0.1', 8080)] } },
  { fixture: 'ports', service: 'multi', port: { name: 'admin' }, want: { servers: [server('10.0.0.1', 9090)] } },
  { fixture: 'ports', service: 'multi', port: { number: 81 }, want: { servers: [server('10.0.0.1', 9090)] } },
  { fixture: 'ports', service: 'unnamed', port: { number: 80 }, want: { servers: [server('10.0.0.2', 8181)] } },
  { fixture: 'ports', service: 'fallback', port: { number: 80 }, want: { servers: [server('10.0.0.3', 7070)] } },
  { fixture: 'ports', service: 'multi', port: { number: 8080 }, want: down('ServicePortNotFound', 'Service default/multi has no port 8080') },
  { fixture: 'ports', service: 'nope', port: { number: 80 }, want: down('ServiceNotFound', 'Service default/nope not found') },
  { fixture: 'ports', service: 'other-port', port: { name: 'http' }, want: down('NoReadyEndpoints', 'Service default/other-port port http has no ready endpoints') },
  { fixture: 'endpoints', service: 'a', port: { name: 'http' }, want: { servers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((h) => server(h, 8080)) } },
  { fixture: 'external-name', service: 'ext', port: { number: 8443 }, want: { servers: [server('api.example.com', 8443)] } },
  { fixture: 'external-name', service: 'ext', port: { name: 'https' }, want: { servers: [server('api.example.com', 443)] } },
];

describe('resolveServiceServers', () => {
  it.each(cases)('$fixture: $service $port', ({ fixture, service, port, want }) => {
    expect(resolveServiceServers(indexSnapshot(loadSnapshot(fixture)), 'default', service, port)).toEqual(want);
  });
});
