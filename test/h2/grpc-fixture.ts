import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { onCleanup } from '../dataplane/helpers.ts';

const PROTO = fileURLToPath(new URL('../fixtures/grpc/echo.proto', import.meta.url));

export interface Msg {
  text: string;
  count?: number;
}

/** The Echo service's client constructor and service definition (test/fixtures/grpc/echo.proto). */
export function echoPackage(): { Echo: grpc.ServiceClientConstructor } {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { pier: { test: { Echo: grpc.ServiceClientConstructor } } };
  return loaded.pier.test;
}

export interface GrpcBackend {
  readonly port: number;
  readonly server: grpc.Server;
  /** Calls received per method name. */
  readonly calls: Map<string, number>;
  /** Calls whose client cancelled (the server saw 'cancelled'). */
  cancelled: number;
}

/** A @grpc/grpc-js server on 127.0.0.1:0 serving Echo (insecure: h2c). Shut down after the test. */
export async function startGrpcBackend(): Promise<GrpcBackend> {
  const { Echo } = echoPackage();
  const server = new grpc.Server();
  const backend: GrpcBackend = { port: 0, server, calls: new Map(), cancelled: 0 };
  const count = (name: string) => backend.calls.set(name, (backend.calls.get(name) ?? 0) + 1);
  server.addService(Echo.service, {
    Unary: (call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) => {
      count('Unary');
      const text = call.request.text;
      call.on('cancelled', () => backend.cancelled++);
      if (text.startsWith('fail:')) {
        const [, code, message] = text.split(':');
        callback({ code: Number(code), details: message ?? '' });
        return;
      }
      if (text.startsWith('sleep:')) {
        const timer = setTimeout(() => callback(null, { text: 'slept' }), Number(text.slice(6)));
        call.on('cancelled', () => clearTimeout(timer));
        return;
      }
      const md = new grpc.Metadata();
      md.set('x-trailer', 'from-server');
      callback(null, { text }, md);
    },
    ServerStream: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      count('ServerStream');
      call.on('cancelled', () => backend.cancelled++);
      const n = call.request.count ?? 0;
      for (let i = 0; i < n; i++) call.write({ text: `${call.request.text}-${i}` });
      call.end();
    },
    ClientStream: (call: grpc.ServerReadableStream<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) => {
      count('ClientStream');
      const texts: string[] = [];
      call.on('data', (m: Msg) => texts.push(m.text));
      call.on('end', () => callback(null, { text: texts.join(',') }));
    },
    Bidi: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      count('Bidi');
      call.on('cancelled', () => backend.cancelled++);
      call.on('data', (m: Msg) => call.write({ text: `echo:${m.text}` }));
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  (backend as { port: number }).port = port;
  onCleanup(() => server.forceShutdown());
  return backend;
}

/** One protobuf Msg (`text`: field 1, length-delimited; `count`: field 2, varint), framed as a gRPC message
 * (uncompressed flag, 4-byte length): what a raw HTTP/2 client sends. */
export function grpcFrame(text: string, count = 0): Buffer {
  const t = Buffer.from(text);
  if (t.length > 127 || count > 127) throw new Error('grpcFrame: keep texts and counts under 128');
  const msg = Buffer.concat([Buffer.from([0x0a, t.length]), t, count > 0 ? Buffer.from([0x10, count]) : Buffer.alloc(0)]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

/** The texts of the Msg frames in a gRPC response body (inverse of grpcFrame). */
export function grpcTexts(body: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at + 5 <= body.length;) {
    const len = body.readUInt32BE(at + 1);
    const msg = body.subarray(at + 5, at + 5 + len);
    if (msg[0] === 0x0a) out.push(msg.subarray(2, 2 + msg[1]!).toString());
    else out.push('');
    at += 5 + len;
  }
  return out;
}
