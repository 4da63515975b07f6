/**
 * Helpers for the supervisor tests: the fixture primary as a child process, counting backends,
 * keepalive load clients (one undici Client = one connection each), and which client addresses
 * a worker process holds connections from (read from /proc).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { DEFAULT_POLICY, DEFAULT_SERVER_LIMITS, type Backend, type RouteTable } from '../../src/routing/route-table.ts';
import type { WorkerStats } from '../../src/supervisor/supervisor.ts';

const PRIMARY = fileURLToPath(new URL('./fixtures/primary.ts', import.meta.url));

type Reply = Record<string, unknown> & { error?: { code?: string; message: string } };

/** The fixture primary (a Supervisor in its own process), driven over IPC. */
export class Primary {
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[] = [];
  readonly exited: Promise<{ code: number | null; signal: string | null; at: number }>;
  #next = 0;
  readonly #pending = new Map<number, (r: Reply) => void>();

  constructor() {
    this.child = fork(PRIMARY, [], { execPath: process.execPath, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code, signal, at: Date.now() }));
    this.child.on('message', (msg: Reply & { id?: number }) => {
      if (msg.id === undefined) this.events.push(msg);
      else this.#pending.get(msg.id)?.(msg);
    });
  }

  /** Sends a command and waits (bounded) for its answer; rejects on an error answer. */
  async call(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 40_000): Promise<Reply> { // a hang guard: starts are slow under load
    if (!this.child.connected) throw new Error(`${cmd}: the primary has exited`);
    const id = this.#next++;
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${cmd}: no answer within ${timeoutMs} ms`)), timeoutMs);
      this.#pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    this.child.send({ id, cmd, ...args });
    const r = await reply;
    if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r;
  }

  async stats(): Promise<WorkerStats[]> {
    return (await this.call('stats')).stats as WorkerStats[];
  }

  /** Kills the whole tree if a test left it running. */
  async kill(): Promise<void> {
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 1_000))]);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    for (const w of await this.stats().catch(() => [])) process.kill(w.pid, 'SIGKILL');
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Starts a fixture primary with a Supervisor on a port chosen by the system. */
export async function startPrimary(options: { workers?: number; shutdownTimeoutMs?: number; drainGraceMs?: number; httpPort?: number; startTimeoutMs?: number; exec?: string } = {}): Promise<{ primary: Primary; port: number }> {
  const primary = new Primary();
  const { port } = await primary.call('start', {
    options: {
      workers: options.workers ?? 2,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 5_000,
      drainGraceMs: options.drainGraceMs ?? 500,
      ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
      ...(options.exec === undefined ? {} : { exec: options.exec }),
      worker: { httpPort: options.httpPort ?? 0, bindAddress: '127.0.0.1', keepaliveTimeoutMs: 30_000, keepaliveRequests: 100_000, clientHeaderTimeoutMs: 60_000, clientBodyTimeoutMs: 60_000, logLevel: 'warn' },
    },
  });
  return { primary, port: port as number };
}

/**
 * A backend answering its name; counts the TCP connections it accepted. `/slow` waits 1 s;
 * every answer waits `delayMs` (a warm-up uses it to have every client in flight at once).
 */
export interface TestBackend {
  readonly name: string;
  readonly port: number;
  delayMs: number;
  connections: number;
  requests: number;
  close(): Promise<void>;
}

export async function startBackend(name: string): Promise<TestBackend> {
  const server: Server = createServer((req, res) => {
    backend.requests++;
    const reply = () => res.end(name);
    const delay = req.url === '/slow' ? 1_000 : backend.delayMs;
    if (delay > 0) setTimeout(reply, delay);
    else reply();
  });
  // Longer than any test: connections Pier pools must not be closed by the backend.
  server.keepAliveTimeout = 120_000;
  server.on('connection', () => backend.connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const backend: TestBackend = {
    name,
    port: (server.address() as AddressInfo).port,
    delayMs: 0,
    connections: 0,
    requests: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  return backend;
}

function backendOf(b: TestBackend): Backend {
  return { id: `service:test/${b.name}:80`, servers: [{ host: '127.0.0.1', port: b.port, ...DEFAULT_SERVER_LIMITS }], policy: DEFAULT_POLICY };
}

/**
 * Host `flip.test` routes to `active`. Both backends stay in the table through another host
 * (as when other Ingresses keep using both Services), so flipping changes a route, not the set
 * of endpoints: their pools, and the upstream connections, must survive the swap.
 */
export function flipTable(active: TestBackend, all: readonly TestBackend[]): RouteTable {
  return {
    virtualHosts: [
      { host: 'flip.test', routes: [{ path: '/', pathType: 'Prefix', backend: backendOf(active).id, origin: 'test/flip' }] },
      { host: 'stable.test', routes: all.map((b) => ({ path: `/${b.name}`, pathType: 'Prefix' as const, backend: backendOf(b).id, origin: 'test/stable' })) },
    ],
    backends: all.map(backendOf),
  };
}

/** One keepalive connection (undici Client, pipelining 1) from its own loopback address. */
export class LoadClient {
  readonly address: string;
  readonly client: Client;
  connects = 0;
  ok = 0;
  readonly failures: string[] = [];
  /** [start time, body] of each response. */
  readonly seen: [number, string][] = [];
  closeSeen = false;
  /** Error codes of the connection's ends (undici 'disconnect'). */
  readonly disconnects: string[] = [];

  constructor(port: number, index: number) {
    this.address = `127.0.0.${10 + index}`;
    this.client = new Client(`http://127.0.0.1:${port}`, { localAddress: this.address, pipelining: 1, keepAliveTimeout: 60_000 });
    this.client.on('connect', () => this.connects++);
    this.client.on('disconnect', (_origin, _targets, err) => this.disconnects.push((err as { code?: string }).code ?? err.message));
  }

  /** One GET; records the outcome instead of throwing. */
  async request(path = '/', host = 'flip.test'): Promise<void> {
    const start = Date.now();
    try {
      const res = await this.client.request({ method: 'GET', path, headers: { host } });
      const body = await res.body.text();
      if (res.statusCode !== 200) this.failures.push(`status ${res.statusCode}`);
      else {
        this.ok++;
        this.seen.push([start, body]);
      }
      if (res.headers.connection === 'close') this.closeSeen = true;
    } catch (err) {
      this.failures.push((err as { code?: string }).code ?? String(err));
    }
  }

  /** Requests back to back until `stop()` returns true or `deadline` passes. */
  async loop(stop: () => boolean, deadline: number): Promise<void> {
    while (!stop() && Date.now() < deadline) await this.request();
  }

  close(): Promise<void> {
    return this.client.destroy();
  }
}

/** Remote addresses of the TCP connections process `pid` holds (IPv4, from /proc). */
export function peerAddresses(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // fd closed meanwhile
    }
  }
  const peers = new Set<string>();
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10 || !inodes.has(cols[9]!)) continue;
    const hex = cols[2]!.split(':')[0]!;
    peers.add([3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.'));
  }
  return peers;
}

/** Polls `check` every 20 ms until it is true; throws after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
