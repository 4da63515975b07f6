import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll } from '../dataplane/helpers.ts';
import { grpcFrame, grpcTexts, startGrpcBackend } from './grpc-fixture.ts';
import { h2Pool, Recorder, send, until } from './h2-helpers.ts';

afterEach(closeAll);

const GRPC_HEADERS = ['host', 'grpc.test', 'content-type', 'application/grpc', 'te', 'trailers'];
const field = (fields: string[] | null, name: string) => {
  const i = (fields ?? []).findIndex((v, j) => j % 2 === 0 && v === name);
  return i < 0 ? undefined : fields![i + 1];
};

/** The HTTP/2 upstream pool against a real @grpc/grpc-js server, each gRPC call kind framed by hand. */
describe('H2Pool → @grpc/grpc-js server', () => {
  it('unary: the message, then grpc-status 0 and the server metadata in trailers', async () => {
    const grpc = await startGrpcBackend();
    const out = await send(h2Pool(grpc.port), { method: 'POST', path: '/pier.test.Echo/Unary', headers: GRPC_HEADERS, body: grpcFrame('hello') });
    expect(out.error).toBeNull();
    expect(out.status).toBe(200);
    expect(field(out.headers, 'content-type')).toBe('application/grpc+proto');
    expect(grpcTexts(out.body)).toEqual(['hello']);
    expect(field(out.trailers, 'grpc-status')).toBe('0');
    expect(field(out.trailers, 'x-trailer')).toBe('from-server');
  });

  it('an error status (trailers-only response) is relayed as the server sent it', async () => {
    const grpc = await startGrpcBackend();
    const out = await send(h2Pool(grpc.port), { method: 'POST', path: '/pier.test.Echo/Unary', headers: GRPC_HEADERS, body: grpcFrame('fail:5:no such thing') });
    expect(out.status).toBe(200);
    const status = field(out.trailers, 'grpc-status') ?? field(out.headers, 'grpc-status');
    const message = field(out.trailers, 'grpc-message') ?? field(out.headers, 'grpc-message');
    expect([status, message]).toEqual(['5', 'no%20such%20thing']); // percent-encoded, as gRPC's spec says
  });

  it('server streaming: every message, then the status', async () => {
    const grpc = await startGrpcBackend();
    const out = await send(h2Pool(grpc.port), { method: 'POST', path: '/pier.test.Echo/ServerStream', headers: GRPC_HEADERS, body: grpcFrame('m', 5) });
    expect(grpcTexts(out.body)).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-4']);
    expect(field(out.trailers, 'grpc-status')).toBe('0');
  });

  it('client streaming: a streamed request body, one answer', async () => {
    const grpc = await startGrpcBackend();
    const body = new PassThrough();
    const done = send(h2Pool(grpc.port), { method: 'POST', path: '/pier.test.Echo/ClientStream', headers: GRPC_HEADERS, body });
    for (const t of ['a', 'b', 'c']) body.write(grpcFrame(t));
    body.end();
    const out = await done;
    expect(grpcTexts(out.body)).toEqual(['a,b,c']);
    expect(field(out.trailers, 'grpc-status')).toBe('0');
  });

  it('bidirectional streaming: each answer arrives before the next request message is sent', async () => {
    const grpc = await startGrpcBackend();
    const body = new PassThrough();
    const rec = new Recorder();
    const got: string[] = [];
    let waiting: (() => void) | null = null;
    rec.hold = (chunk) => {
      got.push(...grpcTexts(chunk));
      waiting?.();
      return true;
    };
    const done = send(h2Pool(grpc.port), { method: 'POST', path: '/pier.test.Echo/Bidi', headers: GRPC_HEADERS, body }, rec);
    for (const t of ['one', 'two', 'three']) {
      const before = got.length;
      body.write(grpcFrame(t));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no echo for ${t}`)), 3_000);
        waiting = () => {
          if (got.length > before) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
    }
    body.end();
    const out = await done;
    expect(got).toEqual(['echo:one', 'echo:two', 'echo:three']);
    expect(field(out.trailers, 'grpc-status')).toBe('0');
  });

  it('abort (the client went away) cancels the call on the server', async () => {
    const grpc = await startGrpcBackend();
    const rec = new Recorder();
    const done = send(h2Pool(grpc.port), { method: 'POST', path: '/pier.test.Echo/Unary', headers: GRPC_HEADERS, body: grpcFrame('sleep:10000') }, rec);
    await until(() => grpc.calls.get('Unary') === 1, 3_000, 'call started');
    rec.abort!(new Error('client gone'));
    await done;
    await until(() => grpc.cancelled === 1, 3_000, 'server saw the cancellation');
  });

  it('grpc-timeout is passed on: the server ends the call with DEADLINE_EXCEEDED', async () => {
    const grpc = await startGrpcBackend();
    const out = await send(h2Pool(grpc.port), { method: 'POST', path: '/pier.test.Echo/Unary', headers: [...GRPC_HEADERS, 'grpc-timeout', '100m'], body: grpcFrame('sleep:5000') });
    expect(field(out.trailers, 'grpc-status') ?? field(out.headers, 'grpc-status')).toBe('4');
  });
});
