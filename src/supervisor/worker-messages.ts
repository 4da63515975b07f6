import type { LogLevel } from '../config.ts';
import type { LimitGrants, LimitReport } from '../dataplane/limits/limit-messages.ts';
import type { MetricsReport, MetricsRequest } from '../dataplane/metrics/metrics-report.ts';
import type { ServerTlsSettings } from '../dataplane/tls-servers.ts';
import type { RouteTable } from '../routing/route-table.ts';
import type { TableDelta } from '../routing/table-delta.ts';

/**
 * The primary ↔ worker protocol over the cluster IPC channel (`serialization: 'advanced'`, so a
 * RouteTable crosses as a structured clone). Order matters and IPC keeps it: a worker applies
 * tables in the order they were published.
 *
 *   worker  → hello                       (loaded, listener attached: the primary answers with
 *                                          the table current then, not the one at fork time)
 *   primary → table(generation, table)    the whole current table: the first message, and the
 *                                          answer to resync
 *   primary → delta(generation, base, delta)  every later publish, to a worker that was sent
 *                                          generation `base` (= generation - 1): what changed
 *                                          (routing/table-delta.ts), so an edit or an endpoint
 *                                          change is a message about that edit, not the table
 *   worker  → resync(generation)          a delta's base is not the generation it serves (it
 *                                          missed one): it ignores deltas until the primary
 *                                          answers with the whole table
 *   worker  → ack(generation, swapMs, mode)  after each swap (mode: compiled from a delta, or whole)
 *   worker  → listening(generation, port) once, after the first swap: a (re)started worker
 *                                          never accepts a connection without a table
 *   primary → drain(graceMs, timeoutMs)   stop accepting, finish, exit 0 within timeoutMs
 *   worker  → listen-error(code, message, port) then exits 1
 *   worker  → limits / primary → limit-grants: rate-limit leasing (limit-messages.ts), with
 *                                          more than one worker
 *   primary → metrics-request / worker → metrics: request counts since the last report
 *                                          (metrics-report.ts); a draining worker sends its last
 *                                          report unasked before it exits
 */
export type ToWorker =
  | { readonly type: 'table'; readonly generation: number; readonly table: RouteTable }
  | { readonly type: 'delta'; readonly generation: number; readonly base: number; readonly delta: TableDelta }
  | { readonly type: 'drain'; readonly graceMs: number; readonly timeoutMs: number }
  | LimitGrants
  | MetricsRequest;

export type FromWorker =
  | { readonly type: 'hello' }
  | { readonly type: 'ack'; readonly generation: number; readonly swapMs: number; readonly mode: 'delta' | 'whole' }
  | { readonly type: 'resync'; readonly generation: number }
  | { readonly type: 'listening'; readonly generation: number; readonly port: number }
  | { readonly type: 'listen-error'; readonly code: string; readonly message: string; readonly port: number }
  | LimitReport
  | MetricsReport;

/** What every worker needs to serve; passed once, in the environment, as JSON. */
export interface WorkerSettings {
  readonly httpPort: number;
  /** The HTTPS listener's port (TLS from the table's certificates); none when absent. */
  readonly httpsPort?: number;
  readonly bindAddress: string;
  readonly keepaliveTimeoutMs: number;
  readonly keepaliveRequests: number;
  /** --http2-max-concurrent-streams (default 128). */
  readonly http2MaxConcurrentStreams?: number;
  /** A request head must arrive within this (nginx client_header_timeout), else 408. */
  readonly clientHeaderTimeoutMs: number;
  /** A request body may pause this long between reads (nginx client_body_timeout), else 408. */
  readonly clientBodyTimeoutMs: number;
  /** Request head and body limits (431, 413; --max-header-size, --max-headers,
   * --max-body-size, where 0 is no limit: JSON has no Infinity); absent: the dataplane's defaults. */
  readonly maxHeaderSize?: number;
  readonly maxHeaders?: number;
  readonly maxBodySize?: number;
  /** Listen backlog (--backlog); absent: 4096. */
  readonly backlog?: number;
  /** `--access-log`: `stdout` or a file path; absent: off. */
  readonly accessLog?: string;
  readonly logLevel: LogLevel;
  /** `--trusted-proxies` (normalized CIDRs) and `--proxy-protocol`: the client address. */
  readonly trustedProxies?: readonly string[];
  readonly proxyProtocol?: boolean;
  /** `--forwarded-for-header` when not X-Forwarded-For (client-address.ts). */
  readonly forwardedForHeader?: string;
  /** `--block-cidrs` (normalized CIDRs): their requests get 403; absent: none. */
  readonly blockCidrs?: readonly string[];
  /** `--allow-backend-server-header`, `--hide-headers` (forward-headers.ts hideResponseHeaders). */
  readonly allowBackendServerHeader?: boolean;
  /** `--enable-underscores-in-headers` (forward-headers.ts acceptUnderscoredHeaders). */
  readonly enableUnderscoresInHeaders?: boolean;
  readonly hideHeaders?: readonly string[];
  /** `--public-http-port` / `--public-https-port` (X-Forwarded-Port). */
  readonly publicPorts?: { readonly http?: number; readonly https?: number };
  /** Workers of the pod: with more than one, rate limits are leased from the primary. */
  readonly workers?: number;
  /** `--limit-req-status-code`, `--limit-conn-status-code` (503 when absent). */
  readonly limitReqStatusCode?: number;
  readonly limitConnStatusCode?: number;
  /** The shared HTTP cache's directory and byte bound (supervisor/cache-index.ts). */
  readonly cacheDir?: string;
  readonly cacheSize?: number;
  /** HTTP/1.1 on the public-API layer (the primary's start-up check decided: node-internals.ts). */
  readonly publicHttp?: boolean;
  /** `--hsts`: the Strict-Transport-Security value for HTTPS responses ('' or absent: none). */
  readonly hsts?: string;
  /** `--enable-ssl-passthrough`: relay TLS of `ssl-passthrough` hosts undeciphered. */
  readonly sslPassthrough?: boolean;
  /** `--ssl-protocols` and `--ssl-ciphers` of the HTTPS listener; absent: Node's defaults. */
  readonly tls?: ServerTlsSettings;
}

/** Environment variable carrying the JSON WorkerSettings to each worker. */
export const WORKER_SETTINGS_ENV = 'PIER_WORKER_SETTINGS';

/** Narrows an IPC message to FromWorker (anything else, e.g. cluster internals, is ignored). */
export function isFromWorker(msg: unknown): msg is FromWorker {
  const type = (msg as { type?: unknown } | null)?.type;
  return type === 'hello' || type === 'ack' || type === 'listening' || type === 'listen-error' || type === 'limits' || type === 'metrics' || type === 'resync';
}

/** Narrows an IPC message to ToWorker. */
export function isToWorker(msg: unknown): msg is ToWorker {
  const type = (msg as { type?: unknown } | null)?.type;
  return type === 'table' || type === 'delta' || type === 'drain' || type === 'limit-grants' || type === 'metrics-request';
}
