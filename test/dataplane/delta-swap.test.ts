import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import type { BackendRuntime } from '../../src/dataplane/backend-runtime.ts';
import { createDataplane, type Dataplane } from '../../src/dataplane/create-dataplane.ts';
import { generateDefaultCertificate } from '../../src/dataplane/default-certificate.ts';
import type { RoutePipeline } from '../../src/dataplane/pipeline/compile-pipeline.ts';
import type { CompiledRoutes } from '../../src/routing/compiled-routes.ts';
import type { Backend, Certificate, RouteTable, VirtualHost } from '../../src/routing/route-table.ts';
import { diffTables } from '../../src/routing/table-delta.ts';
import { RawClient, backendOf, closeAll, onCleanup, prefixRoute, startBackend, startDataplane } from './helpers.ts';
import { makeCertificate } from './tls-certificates.ts';

afterEach(closeAll);

/** The compiled table in force (the request handler reads the same field). */
const compiledOf = (dp: Dataplane) => (dp as unknown as { compiled: CompiledRoutes<BackendRuntime, RoutePipeline, undefined> }).compiled;

/** What a worker does with a publish: the delta, as it arrives over IPC, applied to the table in force. */
function publish(dp: Dataplane, prev: RouteTable, next: RouteTable, generation: number) {
  return dp.swapDelta(structuredClone(diffTables(prev, next)), generation);
}

const HOSTS = 300;
const name = (i: number) => `h${String(i).padStart(3, '0')}.test`;

describe('incremental swaps (table deltas)', () => {
  it('an endpoint change of one backend re-binds it alone: every other host keeps its compiled rules, filters and pools', async () => {
    const [a, b, c] = [await startBackend('a'), await startBackend('b'), await startBackend('c')];
    const backends: Backend[] = Array.from({ length: HOSTS }, (_, i) => backendOf(`svc-${String(i).padStart(3, '0')}`, [i % 2 === 0 ? a : b]));
    const hosts: VirtualHost[] = Array.from({ length: HOSTS }, (_, i) => ({ host: name(i), routes: [prefixRoute('/', backends[i]!.id)] }));
    // h003 sends `x-canary: yes` requests to svc-007 (its policy resolves that backend too).
    hosts[3] = { host: name(3), routes: [{ ...prefixRoute('/', backends[3]!.id), policies: [{ kind: 'canary', backend: 'svc-007', header: 'x-canary', headerValue: 'yes', weight: 0, weightTotal: 100 }] }] };
    const table: RouteTable = { virtualHosts: hosts, backends };
    const { dp, port } = await startDataplane(table);
    const client = await RawClient.open(port);
    for (const i of [0, 1, 7]) expect((await client.get(name(i))).body).toBe(i % 2 === 0 ? 'backend=a' : 'backend=b');
    const warm = { a: a.connections, b: b.connections };
    const before = compiledOf(dp);

    // svc-007's EndpointSlice gains an endpoint (c): a new Backend object, every other object the same.
    const next: RouteTable = { ...table, backends: backends.map((x) => (x.id === 'svc-007' ? backendOf('svc-007', [b, c]) : x)) };
    expect(publish(dp, table, next, 2)).toMatchObject({ generation: 2, mode: 'delta' });
    const after = compiledOf(dp);
    expect(after).not.toBe(before);
    expect(hosts.filter((v) => after.rulesOf(v.host) !== before.rulesOf(v.host)).map((v) => v.host)).toEqual([name(3), name(7)]);
    expect([...after.backends].filter(([id, runtime]) => before.backends.get(id) !== runtime).map(([id]) => id)).toEqual(['svc-007']);
    expect(dp.stats).toMatchObject({ swaps: 2, deltaSwaps: 1 });
    expect(dp.pools.stats).toMatchObject({ pools: 3, retired: 0, closed: 0 });

    const seen = new Set<string>();
    for (let n = 0; n < 4; n++) seen.add((await client.get(name(7))).body);
    expect([...seen].sort()).toEqual(['backend=b', 'backend=c']);
    seen.clear();
    for (let n = 0; n < 4; n++) seen.add((await client.get(name(3), '/', 'x-canary: yes\r\n')).body);
    expect([...seen].sort()).toEqual(['backend=b', 'backend=c']);
    expect((await client.get(name(0))).body).toBe('backend=a');
    expect((await client.get(name(3))).body).toBe('backend=b');
    expect({ a: a.connections, b: b.connections }).toEqual(warm);
    expect(client.closed).toBe(false);
  });

  it('a backend leaving with its host retires its pool; a delta naming it again revives it, with its connection', async () => {
    const [a, b] = [await startBackend('a'), await startBackend('b')];
    const [svcA, svcB] = [backendOf('svc-a', [a]), backendOf('svc-b', [b])];
    const [x, y] = [{ host: 'x.test', routes: [prefixRoute('/', 'svc-a')] }, { host: 'y.test', routes: [prefixRoute('/', 'svc-b')] }];
    const both: RouteTable = { virtualHosts: [x, y], backends: [svcA, svcB] };
    const onlyX: RouteTable = { virtualHosts: [x], backends: [svcA] };
    const { dp, port } = await startDataplane(both);
    const client = await RawClient.open(port);
    expect((await client.get('y.test')).body).toBe('backend=b');
    expect(publish(dp, both, onlyX, 2).mode).toBe('delta');
    expect((await client.get('y.test')).status).toBe(404);
    expect(dp.pools.stats).toMatchObject({ pools: 1, retired: 1, closed: 0 });
    expect(publish(dp, onlyX, both, 3).mode).toBe('delta');
    expect(dp.pools.stats).toMatchObject({ pools: 2, retired: 0, revived: 1, closed: 0 });
    expect((await client.get('y.test')).body).toBe('backend=b');
    expect(b.connections).toBe(1);
  });

  it('leaves the table to a whole compile when the delta is most of it, and answers the same', async () => {
    const a = await startBackend('a');
    const table: RouteTable = { virtualHosts: [{ host: 'x.test', routes: [prefixRoute('/', 'svc')] }], backends: [backendOf('svc', [a])] };
    const { dp, port } = await startDataplane(table);
    const renamed: RouteTable = { virtualHosts: [{ host: 'z.test', routes: [prefixRoute('/', 'svc')] }], backends: table.backends };
    // A duplicate host: which of the two serves depends on their order, left to a whole compile.
    const twice: RouteTable = { ...renamed, virtualHosts: [...renamed.virtualHosts, { host: 'Z.TEST', routes: [prefixRoute('/', 'none')] }] };
    expect(publish(dp, table, renamed, 2).mode).toBe('delta');
    expect(publish(dp, renamed, twice, 3).mode).toBe('whole');
    const client = await RawClient.open(port);
    expect((await client.get('z.test')).body).toBe('backend=a');
    expect((await client.get('x.test')).status).toBe(404);
  });
});

describe('incremental swaps and TLS', () => {
  let one: Certificate;
  let two: Certificate;
  let renewed: Certificate;
  beforeAll(() => {
    one = makeCertificate('one.test');
    two = makeCertificate('two.test');
    renewed = makeCertificate('two.test', ['two.test', 'renewed.two.test']);
  });

  /** The certificate's subject CN and the ALPN protocol a handshake naming `servername` gets. */
  function handshake(port: number, servername: string): Promise<{ cn: string; alpn: string | false; san?: string }> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
        const cert = socket.getPeerCertificate();
        const result = { cn: String(cert.subject?.CN), alpn: socket.alpnProtocol ?? false, ...(cert.subjectaltname === undefined ? {} : { san: cert.subjectaltname }) };
        socket.destroy();
        resolve(result);
      });
      socket.once('error', reject);
    });
  }

  it('a host added by a delta gets its certificate and its HTTP/2 opt-out, a removed one the default, a renewed certificate is served', async () => {
    const a = await startBackend('a');
    const dp = createDataplane({ tls: { defaultCertificate: generateDefaultCertificate() } });
    onCleanup(() => dp.close());
    const svc = backendOf('svc', [a]);
    const first: RouteTable = { virtualHosts: [{ host: 'one.test', routes: [prefixRoute('/', 'svc')], tls: 'ns/one' }], backends: [svc], certificates: { 'ns/one': one, 'ns/two': two } };
    dp.swap(first, 1);
    const server = dp.httpsServer!;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    expect(await handshake(port, 'two.test')).not.toMatchObject({ cn: 'two.test' });

    const second: RouteTable = { ...first, virtualHosts: [first.virtualHosts[0]!, { host: 'two.test', routes: [prefixRoute('/', 'svc')], tls: 'ns/two', http2: false }] };
    expect(publish(dp, first, second, 2).mode).toBe('delta');
    expect(await handshake(port, 'two.test')).toMatchObject({ cn: 'two.test', alpn: 'http/1.1', san: 'DNS:two.test' });
    expect(await handshake(port, 'one.test')).toMatchObject({ cn: 'one.test', alpn: 'h2' });

    const third: RouteTable = { ...second, virtualHosts: [second.virtualHosts[1]!] };
    expect(publish(dp, second, third, 3).mode).toBe('delta');
    expect((await handshake(port, 'one.test')).cn).not.toBe('one.test');
    expect((await handshake(port, 'two.test')).cn).toBe('two.test');

    // The Secret is renewed: a delta of one certificate, served to new handshakes.
    const fourth: RouteTable = { ...third, certificates: { ...third.certificates, 'ns/two': renewed } };
    expect(diffTables(third, fourth)).toMatchObject({ virtualHosts: { upsert: [] }, certificates: { remove: [] } });
    expect(publish(dp, third, fourth, 4).mode).toBe('delta');
    expect(await handshake(port, 'two.test')).toMatchObject({ cn: 'two.test', san: 'DNS:two.test, DNS:renewed.two.test' });
  });
});
