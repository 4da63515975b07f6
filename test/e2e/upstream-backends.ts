/**
 * Backends and manifests for the Upstream end-to-end tests (test/e2e/upstream-*.test.ts):
 * backends that tell which TCP connection carried each request, and raw `net` backends that
 * misbehave on purpose (close idle connections silently, reset once, never answer).
 */
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { stringify } from 'yaml';

/** One request as a backend saw it. */
export interface Seen {
  /** 1-based number of the TCP connection that carried it. */
  readonly conn: number;
  readonly at: number;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface TrackingBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly seen: Seen[];
  /** Accept time (ms) of each connection, index = conn - 1. */
  readonly acceptedAt: number[];
  close(): Promise<void>;
}

/** Listens on host:port (0 = any), closing every socket on close(); counts connections. */
function listenTracked(server: Server, host: string, port: number, onSocket: (s: Socket, conn: number) => void) {
  const sockets = new Set<Socket>();
  const acceptedAt: number[] = [];
  server.on('connection', (socket: Socket) => {
    acceptedAt.push(Date.now());
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket, acceptedAt.length);
  });
  const close = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return new Promise<{ port: number; acceptedAt: number[]; close: () => Promise<void> }>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ port: (server.address() as { port: number }).port, acceptedAt, close }));
  });
}

const connOf = new WeakMap<Socket, number>();

/**
 * A node:http backend answering 200 with `x-backend: <name>` and `x-conn: <connection number>`,
 * recording which connection carried each request. Node's server advertises
 * `Keep-Alive: timeout=5`.
 */
export async function startTrackingBackend(name: string, host = '127.0.0.1', port = 0): Promise<TrackingBackend> {
  const seen: Seen[] = [];
  const server = createHttpServer((req, res) => {
    const conn = connOf.get(req.socket) ?? 0;
    req.resume();
    req.on('end', () => {
      seen.push({ conn, at: Date.now(), method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      // `/slow...` answers after 300 ms, so concurrent requests need concurrent connections.
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name, 'x-conn': String(conn) });
        res.end(name);
      }, req.url?.startsWith('/slow') ? 300 : 0);
    });
  });
  const l = await listenTracked(server as unknown as Server, host, port, (s, conn) => connOf.set(s, conn));
  return { name, host, port: l.port, seen, acceptedAt: l.acceptedAt, close: l.close };
}

export interface RawBackend {
  readonly host: string;
  readonly port: number;
  readonly acceptedAt: number[];
  /** Request heads received (whole requests for the backends below, which expect no body). */
  requests: number;
  close(): Promise<void>;
}

/** A `net` server calling `onHead(socket, head)` for each request head (`\r\n\r\n`-terminated). */
async function startRawBackend(onHead: (socket: Socket, head: string, backend: RawBackend) => void, onIdle?: (socket: Socket) => void, host = '127.0.0.1'): Promise<RawBackend> {
  const server = createNetServer();
  const backend: RawBackend = { host, port: 0, acceptedAt: [], requests: 0, close: async () => {} };
  const l = await listenTracked(server, host, 0, (socket) => {
    let buffered = '';
    onIdle?.(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        backend.requests++;
        onHead(socket, head, backend);
      }
    });
  });
  return Object.assign(backend, { port: l.port, acceptedAt: l.acceptedAt, close: l.close });
}

/**
 * Minimal HTTP/1.1 that closes a connection after `idleMs` without a request — and never says
 * so (no `Keep-Alive` header, no `Connection: close`): a Tomcat with a short keep-alive timeout.
 */
export function startIdleClosingBackend(idleMs: number): Promise<RawBackend> {
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  const arm = (socket: Socket) => timers.set(socket, setTimeout(() => socket.destroy(), idleMs));
  return startRawBackend((socket) => {
    clearTimeout(timers.get(socket));
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok');
    arm(socket);
  }, (socket) => {
    arm(socket);
    socket.on('close', () => clearTimeout(timers.get(socket)));
  });
}

/**
 * The harshest form of the same backend: a connection idle `idleMs` or longer is reset (RST,
 * no answer) by the next request that arrives on it, so every request after such a pause meets
 * a connection closing "at that instant". `resets` counts them.
 */
export async function startResetOnReuseBackend(idleMs: number): Promise<RawBackend & { resets: number }> {
  const lastActive = new WeakMap<Socket, number>();
  const backend = Object.assign(await startRawBackend((socket) => {
    if (Date.now() - lastActive.get(socket)! >= idleMs) {
      backend.resets++;
      socket.resetAndDestroy();
      return;
    }
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok', () => lastActive.set(socket, Date.now()));
  }, (socket) => lastActive.set(socket, Date.now())), { resets: 0 });
  return backend;
}

/**
 * Resets the connection (RST) after reading a request whose `x-request-id` it has not seen
 * before, and answers 200 the second time: a retry is visible as a 200, no retry as a 502.
 * `ids` counts how often each id arrived.
 */
export async function startResetOnceBackend(): Promise<RawBackend & { readonly ids: Map<string, number> }> {
  const ids = new Map<string, number>();
  const backend = await startRawBackend((socket, head) => {
    const id = /^x-request-id:\s*(\S+)/im.exec(head)?.[1] ?? '';
    const count = (ids.get(id) ?? 0) + 1;
    ids.set(id, count);
    if (count === 1) socket.resetAndDestroy();
    else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  return Object.assign(backend, { ids });
}

/** Answers 200 with a 1000-byte Content-Length, sends 100 bytes of it, then resets. */
export function startCuttingBackend(): Promise<RawBackend> {
  return startRawBackend((socket) => {
    socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(100)}`, () => setTimeout(() => socket.resetAndDestroy(), 50));
  });
}

/** Reads requests and never answers. */
export function startSilentBackend(): Promise<RawBackend> {
  return startRawBackend(() => {});
}

/** An Upstream manifest (pier.dev/v1alpha1). */
export function upstreamYaml(name: string, spec: unknown, namespace = 'default'): string {
  return stringify({ apiVersion: 'pier.dev/v1alpha1', kind: 'Upstream', metadata: { name, namespace }, spec });
}

/** An Ingress for host `<name>.example` whose only backend is the Upstream `upstream`. */
export function upstreamIngressYaml(name: string, upstream = name, namespace = 'default'): string {
  return stringify({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace },
    spec: {
      ingressClassName: 'pier',
      rules: [{ host: `${name}.example`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { resource: { apiGroup: 'pier.dev', kind: 'Upstream', name: upstream } } }] } }],
    },
  });
}

/** Upstream `name` plus the Ingress routing `<name>.example` to it. */
export function siteYaml(name: string, spec: unknown): string {
  return `${upstreamYaml(name, spec)}---\n${upstreamIngressYaml(name)}`;
}

/** Pier's log, one parsed JSON object per line (non-JSON lines skipped). */
export function logLines(output: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const text of output.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      // a line cut mid-write: not one of ours to judge
    }
  }
  return lines;
}

/** Sleeps `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
