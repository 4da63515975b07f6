import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createDataplane, type Dataplane, type DataplaneOptions, type SwapResult } from '../../src/dataplane/create-dataplane.ts';
import { diffTables } from '../../src/routing/table-delta.ts';
import { DEFAULT_POLICY, DEFAULT_SERVER_LIMITS, type Backend, type BackendPolicy, type Route, type RouteTable } from '../../src/routing/route-table.ts';

/** Everything a test opened, closed in afterEach by `closeAll`. */
const opened: (() => Promise<unknown> | void)[] = [];
export function onCleanup(fn: () => Promise<unknown> | void): void {
  opened.push(fn);
}
export async function closeAll(): Promise<void> {
  while (opened.length > 0) await opened.pop()!();
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: string[];
}

export interface TestBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  readonly seen: SeenRequest[];
  /** TCP connections accepted so far. */
  connections: number;
}

/** A real node:http backend answering `backend=<name>` (or via `handler`), recording requests. */
export async function startBackend(
  name: string,
  handler?: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
): Promise<TestBackend> {
  const seen: SeenRequest[] = [];
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders });
    if (handler) return handler(req, res);
    req.resume();
    req.on('end', () => {
      res.setHeader('server', `backend-${name}`);
      res.end(`backend=${name}`);
    });
  });
  const backend = { name, host, port: 0, server, seen, connections: 0 };
  server.on('connection', () => backend.connections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  backend.port = (server.address() as AddressInfo).port;
  onCleanup(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return backend;
}

export function policy(overrides: Partial<BackendPolicy> = {}): BackendPolicy {
  return { ...DEFAULT_POLICY, ...overrides };
}

/** A backend entry of a table, serving `servers` (`host:port` of test backends). */
export function backendOf(id: string, servers: readonly { host: string; port: number }[], p: BackendPolicy = DEFAULT_POLICY, unavailable?: string): Backend {
  return { id, servers: servers.map((s) => ({ host: s.host, port: s.port, ...DEFAULT_SERVER_LIMITS })), policy: p, unavailable };
}

export function prefixRoute(path: string, backend: string): Route {
  return { path, pathType: 'Prefix', backend, origin: 'default/test' };
}

/** One host, `/` → the first backend, plus any extra routes. */
export function tableFor(host: string, backends: Backend[], routes?: Route[]): RouteTable {
  return { virtualHosts: [{ host, routes: routes ?? [prefixRoute('/', backends[0]!.id)] }], backends };
}

export interface RunningDataplane {
  readonly dp: Dataplane;
  readonly port: number;
  readonly origin: string;
}

/** A dataplane listening on 127.0.0.1 port 0, serving `table` as generation 1. */
/**
 * PIER_FORCE_PUBLIC_HTTP=1 runs in-process dataplanes on the public-API HTTP/1.1 layer, as it
 * makes `pier serve` use it: the `public-http` project of vitest.config.ts runs the HTTP/1.1
 * front's own tests that way. (Not every test holds there: some assert the lean layer's own
 * upstream client, e.g. its timer precision or nginx's idle-connection cap.)
 */
export function layerFromEnv(): { publicHttp?: boolean } {
  return process.env.PIER_FORCE_PUBLIC_HTTP === '1' ? { publicHttp: true } : {};
}

export async function startDataplane(table: RouteTable, options: DataplaneOptions = {}): Promise<RunningDataplane> {
  const dp = createDataplane({ ...layerFromEnv(), ...options });
  dp.swap(table, 1);
  await new Promise<void>((resolve) => dp.server.listen(0, '127.0.0.1', resolve));
  const port = (dp.server.address() as AddressInfo).port;
  onCleanup(() => dp.close());
  return { dp, port, origin: `http://127.0.0.1:${port}` };
}

/** How a test hands a dataplane its next table: whole, or as the delta from the table in force
 * (as a worker gets a publish: after IPC, applied to its own copy). */
export type SwapMode = 'whole' | 'delta';
export function swapTo(dp: Dataplane, mode: SwapMode, current: RouteTable, next: RouteTable, generation: number): SwapResult {
  return mode === 'whole' ? dp.swap(next, generation) : dp.swapDelta(structuredClone(diffTables(current, next)), generation);
}

/** A port nothing listens on (bound, then closed). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

export interface RawResponse {
  readonly status: number;
  readonly head: string;
  /** Lower-case header names → values (repeated ones joined with `, `). */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A raw HTTP/1.1 client on one TCP connection: sends exactly the bytes given, parses one
 * response at a time (Content-Length or chunked bodies, or none for HEAD/204/304).
 */
export class RawClient {
  readonly socket: Socket;
  closed = false;
  #buffer = Buffer.alloc(0);
  #waiter: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d) => {
      this.#buffer = Buffer.concat([this.#buffer, d]);
      this.#waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#waiter?.();
    });
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawClient(socket);
    onCleanup(() => {
      socket.destroy();
    });
    return client;
  }

  send(raw: string): void {
    this.socket.write(raw);
  }

  /** GET `path` with Host `host` (plus extra header lines), then the response. */
  get(host: string, path = '/', extra = ''): Promise<RawResponse> {
    this.send(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`);
    return this.response();
  }

  /** The next response; `noBody` for answers to HEAD. */
  async response(timeoutMs = 5_000, noBody = false): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.#buffer, noBody);
      if (parsed !== undefined) {
        this.#buffer = this.#buffer.subarray(parsed.used);
        return parsed.response;
      }
      if (this.closed) throw new Error(`connection closed before a complete response (${this.#buffer.length} bytes buffered)`);
      if (Date.now() > deadline) throw new Error('timed out waiting for a response');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.#waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Resolves true when the server closes the connection within `ms`. */
  async waitClosed(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }
}

function parseResponse(buf: Buffer, noBody: boolean): { response: RawResponse; used: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = buf.subarray(0, end).toString('latin1');
  const [statusLine, ...lines] = head.split('\r\n');
  const status = Number(statusLine!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  let pos = end + 4;
  if (noBody || (status >= 100 && status < 200) || status === 204 || status === 304) return { response: { status, head, headers, body: '' }, used: pos };
  if (headers['transfer-encoding'] === 'chunked') {
    let body = '';
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd < 0) return undefined;
      const size = parseInt(buf.subarray(pos, lineEnd).toString('latin1'), 16);
      if (buf.length < lineEnd + 2 + size + 2) return undefined;
      body += buf.subarray(lineEnd + 2, lineEnd + 2 + size).toString('latin1');
      pos = lineEnd + 2 + size + 2;
      if (size === 0) return { response: { status, head, headers, body }, used: pos };
    }
  }
  const length = Number(headers['content-length'] ?? 0);
  if (buf.length < pos + length) return undefined;
  return { response: { status, head, headers, body: buf.subarray(pos, pos + length).toString('latin1') }, used: pos + length };
}

/** Closes a net server and its sockets (for raw backends). */
export function closeNet(server: NetServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
