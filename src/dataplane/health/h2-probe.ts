import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type SecureClientSessionOptions } from 'node:http2';
import type { BackendPolicy, UpstreamServer } from '../../routing/route-table.ts';
import type { Probe } from './http-probe.ts';
import { upstreamTlsOptions } from '../upstream/upstream-tls.ts';

/** Whether the servers of a backend with `policy` speak only HTTP/2 (H2C, GRPC, GRPCS, HTTPS
 * with `tls.alpn: h2`): their health checks go over HTTP/2 too. */
export function checksOverHttp2(policy: BackendPolicy): boolean {
  const p = policy.protocol;
  return p === 'H2C' || p === 'GRPC' || p === 'GRPCS' || (p === 'HTTPS' && policy.tls?.alpn === 'h2');
}

/** grpc.health.v1.HealthCheckResponse.ServingStatus SERVING. */
const SERVING = 1;

/**
 * The HTTP/2 probe: one node:http2 connection per server (in the clear, or TLS with ALPN h2 and
 * the backend's SNI, CA and verification settings), kept between checks and separate from the
 * request pools, so a check never takes a proxy stream. A check is `GET path` (2xx/3xx passes)
 * or, with `healthCheck.grpcService`, the gRPC health protocol: a unary
 * `grpc.health.v1.Health/Check` for that service, which passes on grpc-status 0 with status
 * SERVING (https://github.com/grpc/grpc/blob/master/doc/health-checking.md). A connection that
 * fails or times out is dropped and made again at the next check. `close()` closes them all.
 */
export function createH2Probe(policy: BackendPolicy): { probe: Probe; close: () => Promise<void> } {
  const check = policy.healthCheck;
  const timeoutMs = check?.timeoutMs ?? 2_000;
  const grpcService = check?.grpcService;
  const path = check?.path ?? '/';
  const tls = policy.protocol === 'GRPCS' || policy.protocol === 'HTTPS';
  const sessions = new Map<string, ClientHttp2Session>();

  const sessionFor = (server: UpstreamServer): ClientHttp2Session => {
    const host = server.host.includes(':') ? `[${server.host}]` : server.host;
    const origin = `${tls ? 'https' : 'http'}://${host}:${server.port}`;
    const existing = sessions.get(origin);
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const options: SecureClientSessionOptions = tls
      ? { ...upstreamTlsOptions(policy, server.host), ALPNProtocols: ['h2'] }
      : {};
    const session = connect(origin, options);
    session.on('error', () => sessions.delete(origin));
    session.on('close', () => {
      if (sessions.get(origin) === session) sessions.delete(origin);
    });
    session.unref();
    sessions.set(origin, session);
    return session;
  };

  const probe: Probe = (server) => new Promise<boolean>((resolve) => {
    let session: ClientHttp2Session;
    try {
      session = sessionFor(server);
    } catch {
      resolve(false);
      return;
    }
    const headers = grpcService === undefined
      ? { ':method': 'GET', ':path': path, 'user-agent': 'pier-health-check' }
      : { ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers', 'user-agent': 'pier-health-check' };
    let stream;
    try {
      stream = session.request(headers, { endStream: grpcService === undefined });
    } catch {
      session.destroy();
      resolve(false);
      return;
    }
    let status = 0;
    let grpcStatus: string | undefined;
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      resolve(ok);
    };
    const timer = setTimeout(() => {
      // A server that does not answer in time: its connection may be dead too.
      session.destroy();
      finish(false);
    }, timeoutMs);
    timer.unref();
    stream.on('response', (h: IncomingHttpHeaders) => {
      status = Number(h[':status']);
      grpcStatus = headerText(h['grpc-status']);
      if (grpcService === undefined) finish(status >= 200 && status < 400);
    });
    stream.on('data', (c: Buffer) => {
      if (grpcService !== undefined && chunks.length < 4) chunks.push(c);
    });
    stream.on('trailers', (t: IncomingHttpHeaders) => {
      grpcStatus = headerText(t['grpc-status']) ?? grpcStatus;
    });
    stream.on('error', () => finish(false));
    stream.on('close', () => finish(grpcService !== undefined && status === 200 && grpcStatus === '0' && servingStatus(Buffer.concat(chunks)) === SERVING));
    if (grpcService !== undefined) stream.end(healthCheckRequest(grpcService));
  });

  const close = async (): Promise<void> => {
    const all = [...sessions.values()];
    sessions.clear();
    await Promise.all(all.map((s) => new Promise<void>((resolve) => {
      if (s.destroyed) return resolve();
      s.once('close', () => resolve());
      s.destroy();
    })));
  };
  return { probe, close };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A gRPC message (1-byte compressed flag 0, 4-byte length) holding a HealthCheckRequest:
 * field 1, `service`, a length-delimited string (protobuf wire format, written by hand: one
 * field).
 */
export function healthCheckRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  const field = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(field.length, 1);
  return Buffer.concat([frame, field]);
}

/** The `status` (field 1, varint) of a gRPC-framed HealthCheckResponse; 0 (UNKNOWN) when the
 * message is missing, compressed or not one. */
export function servingStatus(message: Buffer): number {
  if (message.length < 5 || message[0] !== 0) return 0;
  const end = Math.min(message.length, 5 + message.readUInt32BE(1));
  let i = 5;
  while (i < end) {
    const key = message[i++]!;
    if (key === 0x08) return readVarint(message, i, end);
    // Skip another field: varint (wire type 0) or length-delimited (2); anything else ends it.
    const wire = key & 7;
    if (wire === 0) {
      while (i < end && (message[i++]! & 0x80) !== 0);
    } else if (wire === 2) {
      const len = readVarint(message, i, end);
      while (i < end && (message[i++]! & 0x80) !== 0);
      i += len;
    } else {
      return 0;
    }
  }
  return 0;
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

function readVarint(buf: Buffer, at: number, end: number): number {
  let value = 0;
  let shift = 0;
  for (let i = at; i < end && shift < 35; i++, shift += 7) {
    const b = buf[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return value;
  }
  return 0;
}
