import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createBalancer } from '../../src/dataplane/balance/create-balancer.ts';
import { ActiveHealthChecker } from '../../src/dataplane/health/active-health-checker.ts';
import { healthCheckRequest, servingStatus } from '../../src/dataplane/health/h2-probe.ts';
import { DEFAULT_POLICY, DEFAULT_SERVER_LIMITS, type Backend, type BackendPolicy } from '../../src/routing/route-table.ts';
import { backendOf, closeAll, onCleanup, startDataplane, tableFor } from '../dataplane/helpers.ts';
import { startH2Backend, until } from './h2-helpers.ts';

afterEach(closeAll);

const INTERVAL_MS = 100;

function checked(healthCheck: Partial<NonNullable<BackendPolicy['healthCheck']>> = {}): BackendPolicy {
  return {
    ...DEFAULT_POLICY,
    protocol: 'H2C',
    healthCheck: { path: '/healthz', intervalMs: INTERVAL_MS, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 1, ...healthCheck },
  };
}

/** An h2c-only node:http2 backend (no HTTP/1.1): /healthz is 503 while `failing`. */
async function startH2Checked(name: string): Promise<{ port: number; failing: boolean; probes: number }> {
  const state = { port: 0, failing: false, probes: 0 };
  const backend = await startH2Backend((stream, headers) => {
    if (headers[':path'] === '/healthz') {
      state.probes++;
      stream.respond({ ':status': state.failing ? 503 : 200 }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200 });
    stream.end(`backend=${name}`);
  });
  state.port = backend.port;
  return state;
}

describe('active health checks of HTTP/2-only upstreams', () => {
  it('H2C: GET path goes over HTTP/2; a failing server stops receiving traffic and comes back when it passes again', async () => {
    const a = await startH2Checked('a');
    const b = await startH2Checked('b');
    const servers = [{ host: '127.0.0.1', port: a.port }, { host: '127.0.0.1', port: b.port }];
    const { origin } = await startDataplane(tableFor('h2.test', [backendOf('pool', servers, checked())]));
    await until(() => a.probes > 0 && b.probes > 0, 5_000, 'first probes over HTTP/2');
    const spread = async (n: number) => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const res = await request(`${origin}/work`, { headers: { host: 'h2.test' } });
        const body = await res.body.text();
        seen[body] = (seen[body] ?? 0) + 1;
      }
      return seen;
    };
    expect(await spread(4)).toEqual({ 'backend=a': 2, 'backend=b': 2 });
    a.failing = true;
    const failedAt = a.probes;
    await until(() => a.probes >= failedAt + 2, 5_000, 'a probed while failing');
    expect(await spread(4)).toEqual({ 'backend=b': 4 });
    a.failing = false;
    const healedAt = a.probes;
    await until(() => a.probes >= healedAt + 2, 5_000, 'a probed after healing');
    expect(await spread(4)).toEqual({ 'backend=a': 2, 'backend=b': 2 });
  });

  it('gRPC health protocol (grpcService): a @grpc/grpc-js server is down while NOT_SERVING, up again when SERVING; an unknown service fails', async () => {
    const definition = protoLoader.loadSync(fileURLToPath(new URL('../fixtures/grpc/health.proto', import.meta.url)), { keepCase: true, enums: Number });
    const { Health } = (grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } }).grpc.health.v1;
    const statuses = new Map<string, number>([['', 1], ['pier.test.Echo', 1]]);
    const asked: string[] = [];
    const server = new grpc.Server();
    server.addService(Health.service, {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<{ status: number }>) => {
        asked.push(call.request.service);
        const status = statuses.get(call.request.service);
        if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
        else callback(null, { status });
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    onCleanup(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));

    const flips: boolean[] = [];
    const backend = (service: string): Backend => ({
      id: 'g', servers: [{ host: '127.0.0.1', port, ...DEFAULT_SERVER_LIMITS }], policy: { ...checked({ grpcService: service }), protocol: 'GRPC' },
    });
    const echo = backend('pier.test.Echo');
    const checker = new ActiveHealthChecker(echo, createBalancer(echo), { onChange: (_s, healthy) => flips.push(healthy) });
    onCleanup(() => checker.stop());
    checker.start();
    await until(() => asked.length >= 2, 5_000, 'health checks');
    expect(asked.every((s) => s === 'pier.test.Echo')).toBe(true);
    expect(checker.healthy({ host: '127.0.0.1', port })).toBe(true);
    statuses.set('pier.test.Echo', 2); // NOT_SERVING
    await until(() => flips.length === 1, 5_000, 'marked down');
    expect(flips).toEqual([false]);
    statuses.set('pier.test.Echo', 1);
    await until(() => flips.length === 2, 5_000, 'marked up');
    expect(flips).toEqual([false, true]);

    const unknown = backend('no.such.Service');
    const flipsUnknown: boolean[] = [];
    const other = new ActiveHealthChecker(unknown, createBalancer(unknown), { onChange: (_s, healthy) => flipsUnknown.push(healthy) });
    onCleanup(() => other.stop());
    other.start();
    await until(() => flipsUnknown.length === 1, 5_000, 'unknown service marked down');
    expect(flipsUnknown).toEqual([false]);
  });

  it('the gRPC messages: HealthCheckRequest framing, HealthCheckResponse status (other fields skipped, compressed refused)', () => {
    expect(healthCheckRequest('')).toEqual(Buffer.from([0, 0, 0, 0, 0]));
    expect(healthCheckRequest('a.B')).toEqual(Buffer.from([0, 0, 0, 0, 5, 0x0a, 3, 0x61, 0x2e, 0x42]));
    expect(servingStatus(Buffer.from([0, 0, 0, 0, 2, 0x08, 1]))).toBe(1);
    expect(servingStatus(Buffer.from([0, 0, 0, 0, 0]))).toBe(0); // status UNKNOWN (the default) is absent
    expect(servingStatus(Buffer.from([0, 0, 0, 0, 5, 0x12, 1, 0x78, 0x08, 2]))).toBe(2); // an unknown field first
    expect(servingStatus(Buffer.from([1, 0, 0, 0, 2, 0x08, 1]))).toBe(0); // compressed
  });
});
