import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { backendOf, closeAll, deadPort, onCleanup, policy, startDataplane, tableFor } from '../dataplane/helpers.ts';
import { echoPackage, startGrpcBackend, type Msg } from './grpc-fixture.ts';
import { until } from './h2-helpers.ts';

afterEach(closeAll);

type Echo = grpc.Client & {
  Unary(msg: Msg, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Msg) => void): grpc.ClientUnaryCall;
  Unary(msg: Msg, md: grpc.Metadata, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Msg) => void): grpc.ClientUnaryCall;
  ServerStream(msg: Msg): grpc.ClientReadableStream<Msg>;
  ClientStream(cb: (err: grpc.ServiceError | null, res?: Msg) => void): grpc.ClientWritableStream<Msg>;
  Bidi(): grpc.ClientDuplexStream<Msg, Msg>;
};

/** A grpc-js client of Echo through Pier's plain port (h2c, prior knowledge) as `authority`. */
function client(port: number, authority = 'grpc.test'): Echo {
  const { Echo } = echoPackage();
  const c = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': authority }) as unknown as Echo;
  onCleanup(() => c.close());
  return c;
}

const unary = (c: Echo, text: string, options: grpc.CallOptions = {}, md = new grpc.Metadata()) =>
  new Promise<{ err: grpc.ServiceError | null; res?: Msg; trailers?: grpc.Metadata }>((resolve) => {
    let trailers: grpc.Metadata | undefined;
    const call = c.Unary({ text }, md, options, (err, res) => setImmediate(() => resolve({ err, res, trailers })));
    call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
  });

async function throughPier(kind: 'GRPC' | 'H2C' = 'GRPC') {
  const backend = await startGrpcBackend();
  const { port } = await startDataplane(tableFor('grpc.test', [backendOf('g', [{ host: '127.0.0.1', port: backend.port }], policy({ protocol: kind }))]));
  return { backend, port };
}

/** @grpc/grpc-js client → Pier (HTTP/2 front, gRPC upstream) → @grpc/grpc-js server. */
describe('gRPC through Pier (grpc-js client and server)', () => {
  it('unary: the answer and the server trailers (metadata) arrive', async () => {
    const { port } = await throughPier();
    const r = await unary(client(port), 'hello');
    expect(r.err).toBeNull();
    expect(r.res?.text).toBe('hello');
    expect(r.trailers?.get('x-trailer')).toEqual(['from-server']);
  });

  it('an error status and its message are relayed', async () => {
    const { port } = await throughPier();
    const r = await unary(client(port), 'fail:5:no such thing');
    expect(r.err?.code).toBe(grpc.status.NOT_FOUND);
    expect(r.err?.details).toBe('no such thing');
  });

  it('server streaming, client streaming and bidirectional streaming', async () => {
    const { port } = await throughPier();
    const c = client(port);
    const streamed: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = c.ServerStream({ text: 's', count: 4 });
      call.on('data', (m: Msg) => streamed.push(m.text));
      call.on('error', reject);
      call.on('end', resolve);
    });
    expect(streamed).toEqual(['s-0', 's-1', 's-2', 's-3']);
    const joined = await new Promise<string>((resolve, reject) => {
      const call = c.ClientStream((err, res) => (err ? reject(err) : resolve(res!.text)));
      for (const t of ['a', 'b', 'c']) call.write({ text: t });
      call.end();
    });
    expect(joined).toBe('a,b,c');
    const echoed: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = c.Bidi();
      const texts = ['x', 'y', 'z'];
      call.on('data', (m: Msg) => {
        echoed.push(m.text);
        const next = texts[echoed.length];
        if (next === undefined) call.end();
        else call.write({ text: next });
      });
      call.on('error', reject);
      call.on('end', resolve);
      call.write({ text: texts[0]! });
    });
    expect(echoed).toEqual(['echo:x', 'echo:y', 'echo:z']);
  });

  it('a client cancel reaches the server (RST_STREAM through Pier cancels the upstream stream)', async () => {
    const { backend, port } = await throughPier();
    const call = client(port).Bidi();
    call.on('error', () => {});
    call.write({ text: 'first' });
    await new Promise((resolve) => call.once('data', resolve));
    call.cancel();
    await until(() => backend.cancelled === 1, 3_000, 'server saw the cancel');
  });

  it('a deadline is respected: DEADLINE_EXCEEDED for the client, the server call is cancelled', async () => {
    const { backend, port } = await throughPier();
    const r = await unary(client(port), 'sleep:5000', { deadline: Date.now() + 200 });
    expect(r.err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await until(() => backend.cancelled === 1, 3_000, 'server call cancelled');
  });

  it('also through an H2C backend policy (Upstream protocol: H2C)', async () => {
    const { port } = await throughPier('H2C');
    expect((await unary(client(port), 'via h2c')).res?.text).toBe('via h2c');
  });

  it("Pier's own errors are gRPC statuses: no route → UNIMPLEMENTED, endpoint down → UNAVAILABLE", async () => {
    const dead = await deadPort();
    const { port } = await startDataplane(tableFor('down.test', [backendOf('d', [{ host: '127.0.0.1', port: dead }], policy({ protocol: 'GRPC' }))]));
    const noRoute = await unary(client(port, 'nowhere.test'), 'x');
    expect(noRoute.err?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(noRoute.err?.details).toBe('404 Not Found');
    const down = await unary(client(port, 'down.test'), 'x');
    expect(down.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(down.err?.details).toBe('502 Bad Gateway');
  });
});
