import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { compileTable, type CompiledTable, type RouteBinder } from '../routing/compile-table.ts';
import { EMPTY_TABLE, type Certificate, type Route, type RouteTable } from '../routing/route-table.ts';
import type { TableDelta } from '../routing/table-delta.ts';
import { bindBackend, releaseRuntimes, type BackendRuntime, type BindContext } from './backend-runtime.ts';
import { swapDelta, swapWhole, type SwapParts, type Swapped } from './table-swap.ts';
import { createStats, type DataplaneStats } from './dataplane-stats.ts';
import type { ClientErrorStatus } from './error-response.ts';
import type { DownstreamRequest, DownstreamResponse } from './front/downstream.ts';
import { H2Front, type H2FrontOptions, type H2Handler } from './front/h2/h2-front.ts';
import { H2HostPolicy } from './front/h2/h2-host-policy.ts';
import type { Http1Front, Http1Handler, RequestLimits } from './front/http1/http1-handler.ts';
import { Http1Server } from './front/http1/http1-server.ts';
import { PublicHttp1Front } from './front/public-http1/public-http1-front.ts';
import { advertisePort, listenerPort } from './front/listener-port.ts';
import { acceptUnderscoredHeaders, hideResponseHeaders } from './forward-headers.ts';
import { setForwardedForHeader } from './client-address.ts';
import { probeNodeInternals } from './node-internals.ts';
import { compilePipeline, type RoutePipeline } from './pipeline/compile-pipeline.ts';
import type { GlobalHeaders } from './pipeline/filters/global-headers.ts';
import type { AnswerHeaders } from './pipeline/admission.ts';
import type { Limiter } from './limits/limiter.ts';
import { LocalLimiter } from './limits/local-limiter.ts';
import { handleRequest } from './request-handler.ts';
import { blockedClients } from './blocked-clients.ts';
import { AccessLog, type AccessLogDestination } from './access-log.ts';
import { RequestMeters } from './metrics/request-meters.ts';
import { RequestRecorder } from './metrics/request-recorder.ts';
import type { RouteMeter } from './metrics/route-meter.ts';
import type { SniCertificates } from './sni-certificates.ts';
import { createTlsListener, type TlsListener } from './tls-listener.ts';
import type { ServerTlsSettings } from './tls-servers.ts';
import { SelfAddress } from './self-address.ts';
import { handleUpgrade, type UpgradeState } from './upgrade-tunnel.ts';
import { PoolRegistry } from './upstream/pool-registry.ts';
import { PassthroughFront } from './passthrough/passthrough-front.ts';
import { PassthroughHosts } from './passthrough/passthrough-hosts.ts';
import type { WorkerCache } from './cache/cache-store.ts';

export interface DataplaneOptions {
  /** Close client connections idle this long (nginx keepalive_timeout). Default 75 s. */
  readonly keepaliveTimeoutMs?: number;
  /** Close a client connection after this many requests, with `Connection: close` on the last
   * response (nginx keepalive_requests). Default 1000; 0 = unlimited. */
  readonly keepaliveRequests?: number;
  /** Logs lifecycle events. */
  readonly logger?: Logger;
  /** Where access lines go (`--access-log`; access-log.ts), whatever the log level; absent:
   * no access log. */
  readonly accessLog?: AccessLogDestination;
  /** Answer 408 and close when a request head takes longer than this. Default 60 s (node:http's). */
  readonly headersTimeoutMs?: number;
  /** Answer 408 and close when a request body stops arriving for this long (nginx
   * client_body_timeout). Default 60 s. */
  readonly bodyTimeoutMs?: number;
  /** Request head and body limits (431, 413) the HTTP/1.1 server enforces. */
  readonly requestLimits?: Partial<RequestLimits>;
  /** Upstream pools (injectable for tests); the dataplane closes it on close(). */
  readonly pools?: PoolRegistry;
  /** Creates `httpsServer` too (TLS by SNI from the table's certificates; tls-listener.ts),
   * serving `defaultCertificate` to clients whose server name has none, with `settings`
   * (`--ssl-protocols`, `--ssl-ciphers`; absent: Node's defaults). */
  readonly tls?: { readonly defaultCertificate: Certificate; readonly settings?: ServerTlsSettings };
  /** `--trusted-proxies`: peers whose X-Forwarded-For names the client (client-address.ts). */
  readonly trustedProxies?: readonly string[];
  /** `--public-http-port` / `--public-https-port`: the ports clients reach the listeners on
   * (X-Forwarded-Port; listener-port.ts); absent: the ports listened on. */
  readonly publicPorts?: { readonly http?: number; readonly https?: number };
  /** `--proxy-protocol`: connections start with a PROXY protocol header (http1/proxy-protocol.ts). */
  readonly proxyProtocol?: boolean;
  /** `--block-cidrs`: requests from these client addresses get 403, matched or not (blocked-clients.ts). */
  readonly blockCidrs?: readonly string[];
  /** `--allow-backend-server-header` / `--hide-headers`: which upstream response headers reach
   * clients (forward-headers.ts hideResponseHeaders; process-wide). Absent: ingress-nginx's
   * defaults, no Server. */
  readonly allowBackendServerHeader?: boolean;
  /** `--enable-underscores-in-headers`: forward request headers named with `_` (forward-headers.ts
   * acceptUnderscoredHeaders; process-wide). Absent: dropped, as by nginx. */
  readonly enableUnderscoresInHeaders?: boolean;
  /** `--forwarded-for-header`: where `trustedProxies` name the client (client-address.ts;
   * process-wide). Absent: X-Forwarded-For. */
  readonly forwardedForHeader?: string;
  readonly hideHeaders?: readonly string[];
  /** Where the worker's listeners are: auth subrequests to hosts Pier serves go there
   * (self-address.ts). Not with proxyProtocol (the hairpin would lack the header). */
  readonly self?: { readonly bindAddress: string; readonly httpPort: number; readonly httpsPort?: number };
  /** HTTP/2 to clients (front/h2/): ALPN `h2` on the HTTPS server, prior knowledge (h2c) on the
   * HTTP one. On by default with these limits; `false` serves HTTP/1.1 only. */
  readonly http2?: H2FrontOptions | false;
  /** Where rate-limit state lives: default, this process (exact nginx arithmetic); a worker
   * of several gets a LeasedLimiter (budgets leased from the primary). */
  readonly limiter?: Limiter;
  /** The pod's shared HTTP cache (routes with `pier.dev/cache: "on"`); none: those routes are
   * proxied uncached. */
  readonly cache?: WorkerCache;
  /** HTTP/1.1 on public APIs only: clients served by node:http (front/public-http1/), HTTP/1.1
   * upstreams reached with undici's Pool. Default: only when this Node lacks the internals of
   * the lean layer (node-internals.ts; the process's start-up check decides and warns). */
  readonly publicHttp?: boolean;
  /** `--hsts`: the Strict-Transport-Security value every response over TLS carries, replacing
   * an upstream's; absent or '': none (responses over plain HTTP never get one). */
  readonly hsts?: string;
  /** `--enable-ssl-passthrough`: TLS connections naming a host with `ssl-passthrough` are
   * relayed undeciphered to its backend (passthrough/passthrough-front.ts). */
  readonly sslPassthrough?: boolean;
}

export interface SwapResult {
  readonly generation: number;
  readonly swapMs: number;
  /** `delta`: only what a delta changed was compiled; `whole`: the whole table. */
  readonly mode: 'delta' | 'whole';
}

/** One worker's HTTP/1.1 proxy. */
export interface Dataplane {
  /** Not listening: the caller listens (or hands it a cluster handle). Its connections are
   * served by Pier's own HTTP/1.1 layer (front/http1/), or with `publicHttp` by node:http (front/public-http1/). */
  readonly server: Server;
  /** The HTTPS server, with `options.tls` (not listening either); same handler, same drain.
   * With `proxyProtocol` a TCP server that reads PROXY headers in front of the TLS server. */
  readonly httpsServer: Server | TlsServer | undefined;
  /** Generation of the table in force (0 until the first swap: everything answers 404). */
  readonly generation: number;
  readonly stats: DataplaneStats;
  readonly pools: PoolRegistry;
  /** HTTP/1.1 runs on the public-API layer (DataplaneOptions.publicHttp). */
  readonly publicHttp: boolean;
  /** Per-route request counters (reported to the primary: metrics-report.ts). */
  readonly meters: RequestMeters;
  /** The servers of the table in force that do not take requests now (health, or their backend
   * unavailable), as `${backend id}\n${host}:${port}`. */
  downServers(): string[];
  /**
   * Compiles `table` and replaces the one reference requests read; requests in flight keep the
   * table they started with. Endpoints still present keep their pools (and keepalive
   * connections); pools of removed endpoints are retired (kept warm for a while, revived if a
   * later table names them again, then closed once their requests finish: PoolRegistry).
   * Active health checkers follow their backend: kept across swaps, stopped when it leaves.
   */
  swap(table: RouteTable, generation: number): SwapResult;
  /**
   * The same for the table `delta` (routing/table-delta.ts) leads to from the table in force:
   * only the virtual hosts it changed, and those using a backend it changed, are compiled
   * again; the other hosts keep their compiled rules and filters, the other backends their
   * balancers. Atomic as swap(): the new table is built aside and put in force at once.
   */
  swapDelta(delta: TableDelta, generation: number): SwapResult;
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

/** Each route's filters, compiled once per swap (a route without policies gets none, unless
 * the table has header lists for every route). */
const routeBinder = (self: SelfAddress | undefined, limiter: Limiter, cache: WorkerCache | undefined) => (globalHeaders: GlobalHeaders | undefined): RouteBinder<BackendRuntime, RoutePipeline> =>
  (route, _vhost, _backend, resolve) => (route?.policies === undefined ? globalHeaders?.pipeline : compilePipeline(route, {
    resolve, limiter, ...(self === undefined ? {} : { self }), ...(cache === undefined ? {} : { cache }), ...(globalHeaders === undefined ? {} : { globalHeaders }),
  }));
/** How often connections that went idle during a drain are swept after the grace period. */
const IDLE_SWEEP_MS = 50;

/** Creates a dataplane serving the empty table (generation 0) until the first swap. */
export function createDataplane(options: DataplaneOptions = {}): Dataplane {
  return new HttpDataplane(options);
}

class HttpDataplane implements Dataplane, UpgradeState, Http1Handler, H2Handler {
  readonly server: Server;
  readonly httpsServer: Server | TlsServer | undefined;
  readonly #http1: Http1Front;
  readonly publicHttp: boolean;
  readonly #h2: H2Front | undefined;
  readonly #h2Hosts = new H2HostPolicy();
  readonly #certificates: SniCertificates | undefined;
  readonly #tls: TlsListener | undefined;
  readonly #self: SelfAddress | undefined;
  readonly #bindRoute: (globalHeaders: GlobalHeaders | undefined) => RouteBinder<BackendRuntime, RoutePipeline>;
  readonly #closeHandshaking: (() => void) | undefined;
  readonly #passthrough: PassthroughHosts | undefined;
  readonly stats = createStats();
  readonly pools: PoolRegistry;
  readonly meters = new RequestMeters();
  readonly recorder: RequestRecorder;
  readonly tunnels = new Set<Duplex>();
  readonly keepaliveRequests: number;
  readonly blocked: ((req: DownstreamRequest) => boolean) | undefined;
  compiled: CompiledTable<BackendRuntime, RoutePipeline, RouteMeter>;
  /** The header lists of the table in force (`--proxy-set-headers` / `--add-headers`). */
  #globalHeaders: GlobalHeaders | undefined = undefined;
  /** `--add-headers` for Pier's answers to requests no rule matched (RequestState). */
  answerHeaders: AnswerHeaders | undefined = undefined;
  draining = false;
  #generation = 0;
  #drained: Promise<void> | undefined;
  readonly #logger: Logger | undefined;
  readonly #bind: BindContext;
  readonly #parts: SwapParts;
  /** Each route's filters, compiled once per swap (a route without policies gets none). */

  constructor(options: DataplaneOptions) {
    const self = options.self;
    this.#self = self === undefined || options.proxyProtocol === true ? undefined : new SelfAddress(self.bindAddress, self.httpPort, self.httpsPort);
    this.#bindRoute = routeBinder(this.#self, options.limiter ?? new LocalLimiter(), options.cache);
    hideResponseHeaders(options.allowBackendServerHeader === true, options.hideHeaders ?? []);
    acceptUnderscoredHeaders(options.enableUnderscoresInHeaders === true);
    setForwardedForHeader(options.forwardedForHeader ?? 'x-forwarded-for');
    this.publicHttp = options.publicHttp ?? !probeNodeInternals().parser;
    this.pools = options.pools ?? new PoolRegistry({ publicHttp: this.publicHttp });
    this.#logger = options.logger;
    this.keepaliveRequests = options.keepaliveRequests ?? 1000;
    this.blocked = blockedClients(options.blockCidrs);
    this.recorder = new RequestRecorder(this.meters, options.accessLog === undefined ? undefined : new AccessLog(options.accessLog));
    const logger = this.#logger;
    this.#bind = {
      pools: this.pools,
      onHealthChange: logger === undefined ? undefined : (backend, server, healthy) => {
        logger.info({ backend, server: `${server.host}:${server.port}`, healthy }, healthy ? 'health check: server up' : 'health check: server down');
      },
    };
    this.compiled = compileTable(EMPTY_TABLE, (b) => bindBackend(b, undefined, this.#bind), undefined, this.#meterOf);
    // No total request time (a long streaming upload must not be cut at a fixed time): slow
    // clients are bounded by the headers timeout and the keepalive timeout.
    const http1Options = {
      keepaliveTimeoutMs: options.keepaliveTimeoutMs, headersTimeoutMs: options.headersTimeoutMs, bodyTimeoutMs: options.bodyTimeoutMs, ...options.requestLimits,
      trustedProxies: options.trustedProxies, proxyProtocol: options.proxyProtocol, hsts: options.hsts,
    };
    this.#http1 = this.publicHttp ? new PublicHttp1Front(this, http1Options) : new Http1Server(this, http1Options);
    // allowHalfOpen: a client's FIN is the connection's to interpret (ClientConnection aborts
    // what is in flight; an upgraded tunnel relays it), not an automatic end of our side.
    this.server = createServer({ allowHalfOpen: true, noDelay: true });
    advertisePort(this.server, options.publicPorts?.http);
    this.#http1.listenOn(this.server);
    const h2 = options.http2 === false ? undefined : new H2Front(this, {
      idleTimeoutMs: options.keepaliveTimeoutMs, maxBodySize: options.requestLimits?.maxBodySize, trustedProxies: options.trustedProxies, hsts: options.hsts, ...options.http2,
    });
    this.#h2 = h2;
    this.#passthrough = options.tls && options.sslPassthrough === true ? new PassthroughHosts() : undefined;
    const passthrough = this.#passthrough === undefined ? undefined : new PassthroughFront(this.#passthrough, this, options.headersTimeoutMs ?? 60_000);
    if (options.tls) {
      const tls = createTlsListener({
        ...(passthrough === undefined ? {} : { front: passthrough.front }),
        defaultCertificate: options.tls.defaultCertificate,
        ...(options.tls.settings === undefined ? {} : { settings: options.tls.settings }),
        helloTimeoutMs: options.headersTimeoutMs ?? 60_000,
        ...(options.proxyProtocol === true ? { proxyProtocolTimeoutMs: options.headersTimeoutMs ?? 60_000 } : {}),
        ...(h2 === undefined ? {} : { http2: (servername: string) => this.#h2Hosts.allowed(servername) }),
      });
      this.httpsServer = tls.listener;
      advertisePort(tls.listener, options.publicPorts?.https);
      this.#tls = tls;
      this.#certificates = tls.certificates;
      this.#closeHandshaking = passthrough === undefined ? tls.closeHandshaking : () => {
        tls.closeHandshaking();
        passthrough.closePeeking();
      };
      if (h2 === undefined) this.#http1.listenOnTls(tls.server, tls.sourceOf, tls.listener);
      else {
        // ALPN decided the protocol during the handshake; a PROXY header's source is the
        // client address for either protocol.
        const server = tls.server;
        const listening = tls.listener;
        let port: string | undefined;
        server.on('secureConnection', (socket: TLSSocket) => {
          port ??= listenerPort(listening, socket);
          if (socket.alpnProtocol === 'h2') h2.accept(socket, port, undefined, tls.sourceOf(socket));
          else this.#http1.accept(socket, port, tls.sourceOf(socket));
        });
      }
    }
    this.#parts = {
      pools: this.pools, bind: this.#bind, bindRoute: this.#bindRoute, self: this.#self,
      certificates: this.#certificates, tls: this.#tls, h2Hosts: this.#h2Hosts, passthrough: this.#passthrough, meters: this.meters,
    };
  }

  request(req: DownstreamRequest, res: DownstreamResponse): void {
    handleRequest(this, req, res);
  }

  preface(socket: Socket, head: Buffer, port: string, source?: string): void {
    if (this.#h2 === undefined) socket.destroy();
    else this.#h2.accept(socket, port, head, source);
  }

  /** H2Handler: the host opted out of HTTP/2, or this TLS connection's certificate or cipher
   * policy is not the one Pier uses for the host (the client coalesced it onto another host's
   * connection: its handshake did not run under the host's ssl-ciphers). */
  misdirected(host: string, servername: string | null): boolean {
    if (!this.#h2Hosts.allowed(host)) return true;
    const certificates = this.#certificates;
    if (servername === null || certificates === undefined || host === servername) return false;
    if (certificates.contextFor(host) !== certificates.contextFor(servername)) return true;
    const ciphers = this.#tls!.ciphers;
    return ciphers.size > 0 && ciphers.policyFor(host) !== ciphers.policyFor(servername);
  }

  upgrade(req: DownstreamRequest, socket: Socket, head: Buffer): void {
    handleUpgrade(this, req, socket, head);
  }

  rejected(status: ClientErrorStatus): void {
    this.stats.errors[status]++;
  }

  #servers(): (Server | TlsServer)[] {
    return this.httpsServer ? [this.server, this.httpsServer] : [this.server];
  }

  get generation(): number {
    return this.#generation;
  }

  /** Each route's meter, by its labels (RequestMeters). */
  readonly #meterOf = (route: Route | undefined, backend: BackendRuntime): RouteMeter => this.meters.meterFor(route, backend.backend.id);

  downServers(): string[] {
    const out: string[] = [];
    for (const runtime of this.compiled.backends.values()) {
      const { id, servers } = runtime.backend;
      for (let i = 0; i < servers.length; i++) {
        if (runtime.unavailable || !runtime.balancer.available(i)) out.push(`${id}\n${servers[i]!.host}:${servers[i]!.port}`);
      }
    }
    return out;
  }

  swap(table: RouteTable, generation: number): SwapResult {
    const started = performance.now();
    return this.#commit(swapWhole(this.#parts, this.compiled, table, this.#globalHeaders), generation, started);
  }

  swapDelta(delta: TableDelta, generation: number): SwapResult {
    const started = performance.now();
    return this.#commit(swapDelta(this.#parts, this.compiled, delta, this.#globalHeaders), generation, started);
  }

  /** Puts a swapped table in force: one reference, replaced in the same turn it was built. */
  #commit(swapped: Swapped, generation: number, started: number): SwapResult {
    this.compiled = swapped.compiled;
    this.#globalHeaders = swapped.globalHeaders;
    this.answerHeaders = swapped.globalHeaders?.answer;
    void swapped.settle();
    this.#generation = generation;
    const swapMs = performance.now() - started;
    const { mode, retiredPools, certificates } = swapped;
    this.stats.swaps++;
    this.stats.lastSwapMs = swapMs;
    if (mode === 'delta') this.stats.deltaSwaps++;
    this.#logger?.debug({ generation, swapMs, mode, retiredPools, certificates }, 'routing table swapped');
    if (certificates && certificates.failed.length > 0) {
      this.#logger?.warn({ generation, certificates: certificates.failed }, 'TLS certificates refused; their hosts get the default certificate');
    }
    return { generation, swapMs, mode };
  }

  drain(graceMs = DEFAULT_GRACE_MS): Promise<void> {
    this.#drained ??= new Promise<void>((resolve) => {
      this.draining = true;
      this.#http1.draining = true;
      // HTTP/2: GOAWAY with the last stream id now; streams in flight finish.
      this.#h2?.drain();
      const servers = this.#servers();
      let open = servers.length;
      let sweep: NodeJS.Timeout | undefined;
      // Idle keepalive connections are not closed at once: a request may already be on the
      // wire. They are closed after the grace period (and swept until none is left).
      for (const server of servers) {
        server.close(() => {
          if (--open > 0) return;
          clearTimeout(grace);
          clearInterval(sweep);
          resolve();
        });
      }
      const closeIdle = () => {
        this.#http1.closeIdle();
        this.#h2?.closeIdle();
        this.#closeHandshaking?.();
      };
      const grace = setTimeout(() => {
        closeIdle();
        sweep = setInterval(closeIdle, IDLE_SWEEP_MS);
      }, graceMs);
    });
    return this.#drained;
  }

  async close(): Promise<void> {
    this.draining = true;
    this.#http1.draining = true;
    this.#http1.closeAll();
    this.#h2?.closeAll();
    this.#closeHandshaking?.();
    for (const tunnel of this.tunnels) tunnel.destroy();
    await Promise.all(this.#servers().filter((s) => s.listening).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await Promise.all([releaseRuntimes(this.compiled.backends.values(), []), this.pools.close({ destroy: true })]);
  }
}

