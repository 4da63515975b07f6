import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { CompiledTable } from '../routing/compile-table.ts';
import type { BackendRuntime } from './backend-runtime.ts';
import type { DataplaneStats } from './dataplane-stats.ts';
import { sendError } from './error-response.ts';
import { scanRequestHeaders, upstreamRequestHeaders, type ForwardedFor, type RequestHeaderFacts } from './forward-headers.ts';
import { exchangeOf, ProxyExchange } from './proxy-exchange.ts';

/** The dataplane state a request reads when it starts. */
export interface RequestState {
  /** Requests per client connection before it is closed (nginx keepalive_requests); 0 = no limit. */
  readonly keepaliveRequests: number;
  /** The table in force; a request keeps the one it read here even if a swap follows. */
  readonly compiled: CompiledTable<BackendRuntime>;
  readonly stats: DataplaneStats;
  readonly draining: boolean;
  readonly accessLog: Logger | undefined;
}

/**
 * Per request: route (404), check the backend can serve (503), then proxy. Everything a
 * request needs is read from `state` once, at the start.
 */
export function handleRequest(state: RequestState, req: IncomingMessage, res: ServerResponse): void {
  const stats = state.stats;
  stats.requests++;
  if (state.accessLog !== undefined) {
    (res as LoggedResponse).logger = state.accessLog;
    (res as LoggedResponse).startedAt = performance.now();
    res.once('finish', logAccess);
  }
  const facts: RequestHeaderFacts = { host: undefined, connectionNames: undefined, hasBody: false };
  scanRequestHeaders(req.rawHeaders, facts);
  let target = req.url ?? '/';
  let host = facts.host;
  if (target.charCodeAt(0) !== 47 /* / */) {
    // absolute-form (RFC 9112 §3.2.2): its authority replaces Host for routing.
    const split = splitAbsoluteTarget(target);
    if (split !== undefined) ({ host, path: target } = split);
  }
  const conn = connectionOf(req.socket as KnownSocket);
  // node's maxRequestsPerSocket only advertises `Connection: close` and keeps the socket open
  // (answering 503 after); counting here makes the last response really close it.
  const last = state.keepaliveRequests > 0 && ++conn.requests >= state.keepaliveRequests;
  const match = state.compiled.match(host, target);
  if (match === undefined) return sendError(res, 404, stats, last || state.draining);
  const runtime = match.backend;
  if (runtime.unavailable) return sendError(res, 503, stats, last || state.draining);
  const headers = upstreamRequestHeaders(req.rawHeaders, facts, conn);
  new ProxyExchange(state, req, res, runtime, conn.clientAddress, target, headers, facts.hasBody, last).start();
}

/** What Pier knows about a client connection: read from the socket once, on its first request
 * (the address getters and String(port) cost ~1% of a worker's busy time when done per request). */
interface ClientConnection extends ForwardedFor {
  requests: number;
}

const kConnection = Symbol('pier.connection');
type KnownSocket = IncomingMessage['socket'] & { [kConnection]?: ClientConnection; encrypted?: boolean };

function connectionOf(socket: KnownSocket): ClientConnection {
  return socket[kConnection] ??= {
    requests: 0,
    clientAddress: plainAddress(socket.remoteAddress),
    proto: socket.encrypted ? 'https' : 'http',
    port: String(socket.localPort ?? ''),
  };
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack listener) → `10.0.0.1`. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** `http://foo.com:8080/a?b` → host `foo.com:8080`, path `/a?b`; undefined if not absolute. */
export function splitAbsoluteTarget(target: string): { host: string; path: string } | undefined {
  const scheme = target.startsWith('http://') ? 7 : target.startsWith('https://') ? 8 : -1;
  if (scheme < 0) return undefined;
  const slash = target.indexOf('/', scheme);
  const q = target.indexOf('?', scheme);
  const end = slash < 0 ? (q < 0 ? target.length : q) : q >= 0 && q < slash ? q : slash;
  const rest = target.slice(end);
  return { host: target.slice(scheme, end), path: rest.startsWith('/') ? rest : `/${rest}` };
}

type LoggedResponse = ServerResponse & { logger?: Logger; startedAt?: number };

function logAccess(this: LoggedResponse): void {
  const req = this.req;
  const ex = exchangeOf(this);
  const server = ex !== undefined && ex.server >= 0 ? ex.runtime.backend.servers[ex.server] : undefined;
  this.logger?.info({
    msg: 'access',
    method: req.method,
    host: req.headers.host,
    path: req.url,
    status: this.statusCode,
    client: plainAddress(req.socket.remoteAddress),
    backend: ex?.runtime.backend.id,
    upstream: server === undefined ? undefined : `${server.host}:${server.port}`,
    ms: Math.round((performance.now() - (this.startedAt ?? 0)) * 1000) / 1000,
  });
}
