import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server as NetServer } from 'node:net';
import type { Logger } from 'pino';
import { compileTable, type CompiledTable } from '../routing/compile-table.ts';
import { EMPTY_TABLE, type RouteTable } from '../routing/route-table.ts';
import { bindBackend, releaseRuntimes, type BackendRuntime, type BindContext } from './backend-runtime.ts';
import { createStats, type DataplaneStats } from './dataplane-stats.ts';
import { onClientError } from './error-response.ts';
import { handleRequest } from './request-handler.ts';
import { handleUpgrade, type UpgradeState } from './upgrade-tunnel.ts';
import { PoolRegistry } from './upstream/pool-registry.ts';

export interface DataplaneOptions {
  /** Close client connections idle this long (nginx keepalive_timeout). Default 75 s. */
  readonly keepaliveTimeoutMs?: number;
  /** Close a client connection after this many requests, with `Connection: close` on the last
   * response (nginx keepalive_requests). Default 1000; 0 = unlimited. */
  readonly keepaliveRequests?: number;
  /** Logs lifecycle events; with `accessLog`, one line per request too. */
  readonly logger?: Logger;
  readonly accessLog?: boolean;
  /** Upstream pools (injectable for tests); the dataplane closes it on close(). */
  readonly pools?: PoolRegistry;
}

export interface SwapResult {
  readonly generation: number;
  readonly swapMs: number;
}

/** One worker's HTTP/1.1 proxy. */
export interface Dataplane {
  /** Not listening: the caller listens (or hands it a cluster handle). */
  readonly server: Server;
  /** Generation of the table in force (0 until the first swap: everything answers 404). */
  readonly generation: number;
  readonly stats: DataplaneStats;
  readonly pools: PoolRegistry;
  /**
   * Compiles `table` and replaces the one reference requests read; requests in flight keep the
   * table they started with. Endpoints still present keep their pools (and keepalive
   * connections); pools of removed endpoints are retired (kept warm for a while, revived if a
   * later table names them again, then closed once their requests finish: PoolRegistry).
   * Active health checkers follow their backend: kept across swaps, stopped when it leaves.
   */
  swap(table: RouteTable, generation: number): SwapResult;
  /**
   * Graceful stop: no new connections; in-flight requests finish; every response from now on
   * carries `Connection: close` (so a keepalive client's next request is its last); connections
   * still idle after `graceMs` are closed. Resolves when no client connection is left. The
   * caller bounds the wait (`--shutdown-timeout`) and then calls close().
   */
  drain(graceMs?: number): Promise<void>;
  /** Hard stop: closes every connection and pool now, stops health checks. */
  close(): Promise<void>;
}

const DEFAULT_GRACE_MS = 1_000;
/** How often connections that went idle during a drain are swept after the grace period. */
const IDLE_SWEEP_MS = 50;

/** Creates a dataplane serving the empty table (generation 0) until the first swap. */
export function createDataplane(options: DataplaneOptions = {}): Dataplane {
  return new HttpDataplane(options);
}

class HttpDataplane implements Dataplane, UpgradeState {
  readonly server: Server;
  readonly stats = createStats();
  readonly pools: PoolRegistry;
  readonly accessLog: Logger | undefined;
  readonly tunnels = new Set<Duplex>();
  readonly keepaliveRequests: number;
  compiled: CompiledTable<BackendRuntime>;
  draining = false;
  #generation = 0;
  #drained: Promise<void> | undefined;
  readonly #logger: Logger | undefined;
  readonly #bind: BindContext;

  constructor(options: DataplaneOptions) {
    this.pools = options.pools ?? new PoolRegistry();
    this.#logger = options.logger;
    this.keepaliveRequests = options.keepaliveRequests ?? 1000;
    this.accessLog = options.accessLog ? options.logger : undefined;
    const logger = this.#logger;
    this.#bind = {
      pools: this.pools,
      onHealthChange: logger === undefined ? undefined : (backend, server, healthy) => {
        logger.info({ backend, server: `${server.host}:${server.port}`, healthy }, healthy ? 'health check: server up' : 'health check: server down');
      },
    };
    this.compiled = compileTable(EMPTY_TABLE, (b) => bindBackend(b, undefined, this.#bind));
    // requestTimeout 0: a long streaming upload must not be cut at a fixed total time; slow
    // clients are bounded by headersTimeout (60 s for the head) and the keepalive timeout.
    this.server = createServer({ requestTimeout: 0, keepAliveTimeout: options.keepaliveTimeoutMs ?? 75_000 });
    this.server.on('request', (req, res) => handleRequest(this, req, res));
    this.server.on('upgrade', (req, socket, head) => handleUpgrade(this, req, socket, head));
    this.server.on('clientError', (err, socket) => onClientError(err, socket, this.stats));
  }

  get generation(): number {
    return this.#generation;
  }

  swap(table: RouteTable, generation: number): SwapResult {
    const started = performance.now();
    const previous = this.compiled;
    this.pools.begin();
    const compiled = compileTable(table, (b) => bindBackend(b, previous.backends.get(b.id), this.#bind));
    const retiredPools = this.pools.commit();
    this.compiled = compiled;
    void releaseRuntimes(previous.backends.values(), compiled.backends.values());
    this.#generation = generation;
    const swapMs = performance.now() - started;
    this.stats.swaps++;
    this.stats.lastSwapMs = swapMs;
    this.#logger?.debug({ generation, swapMs, retiredPools }, 'routing table swapped');
    return { generation, swapMs };
  }

  drain(graceMs = DEFAULT_GRACE_MS): Promise<void> {
    this.#drained ??= new Promise<void>((resolve) => {
      this.draining = true;
      const server = this.server;
      let sweep: NodeJS.Timeout | undefined;
      // net.Server's close, not http.Server's: the latter also closes idle keepalive
      // connections at once, which is the race (a request already on the wire) drain avoids.
      NetServer.prototype.close.call(server, () => {
        clearTimeout(grace);
        clearInterval(sweep);
        resolve();
      });
      const grace = setTimeout(() => {
        server.closeIdleConnections();
        sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      }, graceMs);
    });
    return this.#drained;
  }

  async close(): Promise<void> {
    this.draining = true;
    this.server.closeAllConnections();
    for (const tunnel of this.tunnels) tunnel.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([releaseRuntimes(this.compiled.backends.values(), []), this.pools.close({ destroy: true })]);
  }
}
