/**
 * Entry of a dataplane worker process (forked by the Supervisor through node:cluster). Runs one
 * dataplane, applies every table (or table delta) the primary publishes, and drains on the
 * primary's word.
 * Protocol: worker-messages.ts.
 *
 * Signals: SIGTERM/SIGINT are ignored here on purpose. Kubernetes signals only the primary
 * (PID 1), but a terminal's Ctrl-C hits the whole process group; a worker dying on it would
 * drop its connections before the primary could drain them. The primary decides; if it dies,
 * the IPC channel closes and the worker drains by itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from 'node:net';
import { WorkerCache } from '../dataplane/cache/cache-store.ts';
import { IpcCoordinator } from '../dataplane/cache/ipc-coordinator.ts';
import { createDataplane, type SwapResult } from '../dataplane/create-dataplane.ts';
import { generateDefaultCertificate } from '../dataplane/default-certificate.ts';
import { LeasedLimiter } from '../dataplane/limits/leased-limiter.ts';
import { LocalLimiter } from '../dataplane/limits/local-limiter.ts';
import { openAccessLog } from '../observe/access-log-destination.ts';
import { createLogger } from '../observe/logger.ts';
import { registerCacheMetrics, registerWorkerMetrics } from '../observe/worker-metrics.ts';
import type { RouteTable } from '../routing/route-table.ts';
import type { TableDelta } from '../routing/table-delta.ts';
import { isToWorker, WORKER_SETTINGS_ENV, type FromWorker, type ToWorker, type WorkerSettings } from './worker-messages.ts';

/** Drain parameters used when the primary vanished without saying how. */
const ORPHAN_DRAIN = { graceMs: 1_000, timeoutMs: 10_000 } as const;
/** Listen backlog when the settings name none (--backlog's default). */
const DEFAULT_BACKLOG = 4096;
/** Bound on closing upstream pools after the client side drained. */
const CLOSE_BOUND_MS = 2_000;

const settings = JSON.parse(process.env[WORKER_SETTINGS_ENV] ?? 'null') as WorkerSettings | null;
if (settings === null || typeof process.send !== 'function') {
  console.error(`pier worker: must be started by the supervisor (${WORKER_SETTINGS_ENV} and an IPC channel)`);
  process.exit(2);
}

const logger = createLogger(settings.logLevel, { component: 'worker', pid: process.pid });
// One worker keeps rate-limit state itself; several lease it from the primary (pod-wide).
const limitStatus = { reqStatus: settings.limitReqStatusCode, connStatus: settings.limitConnStatusCode };
const leased = (settings.workers ?? 1) > 1 ? new LeasedLimiter((msg) => send(msg), settings.workers!, limitStatus) : undefined;
const workerCache = settings.cacheDir === undefined ? undefined : new WorkerCache(settings.cacheDir, settings.cacheSize ?? 256 * 1024 * 1024, new IpcCoordinator());
const accessLog = settings.accessLog === undefined ? undefined : openAccessLog(settings.accessLog);
const dataplane = createDataplane({
  limiter: leased ?? new LocalLimiter(limitStatus),
  keepaliveTimeoutMs: settings.keepaliveTimeoutMs,
  keepaliveRequests: settings.keepaliveRequests,
  http2: { maxConcurrentStreams: settings.http2MaxConcurrentStreams },
  headersTimeoutMs: settings.clientHeaderTimeoutMs,
  bodyTimeoutMs: settings.clientBodyTimeoutMs,
  requestLimits: { maxHeaderSize: settings.maxHeaderSize, maxHeaders: settings.maxHeaders, maxBodySize: settings.maxBodySize },
  accessLog,
  trustedProxies: settings.trustedProxies,
  proxyProtocol: settings.proxyProtocol,
  forwardedForHeader: settings.forwardedForHeader,
  blockCidrs: settings.blockCidrs,
  allowBackendServerHeader: settings.allowBackendServerHeader,
  enableUnderscoresInHeaders: settings.enableUnderscoresInHeaders,
  hideHeaders: settings.hideHeaders,
  ...(settings.publicPorts === undefined ? {} : { publicPorts: settings.publicPorts }),
  self: { bindAddress: settings.bindAddress, httpPort: settings.httpPort, ...(settings.httpsPort === undefined ? {} : { httpsPort: settings.httpsPort }) },
  logger,
  // Each worker makes its own fallback certificate (a few ms): it is untrusted by design, so
  // nothing gains from sharing one, and its key never has to cross a process boundary.
  tls: settings.httpsPort === undefined ? undefined : { defaultCertificate: generateDefaultCertificate(), ...(settings.tls === undefined ? {} : { settings: settings.tls }) },
  cache: workerCache,
  publicHttp: settings.publicHttp,
  hsts: settings.hsts,
  sslPassthrough: settings.sslPassthrough,
});
registerWorkerMetrics(dataplane);
if (workerCache !== undefined) registerCacheMetrics(() => workerCache.counters);
let listening = false;
let draining = false;
/** Asked the primary for the whole table: deltas are ignored until it comes. */
let resyncing = false;

process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
process.on('disconnect', () => void drain(ORPHAN_DRAIN.graceMs, ORPHAN_DRAIN.timeoutMs));
process.on('message', (msg) => {
  if (isToWorker(msg)) onMessage(msg);
});
send({ type: 'hello' });

function onMessage(msg: ToWorker): void {
  if (msg.type === 'drain') {
    void drain(msg.graceMs, msg.timeoutMs);
    return;
  }
  if (msg.type === 'limit-grants') {
    leased?.receive(msg);
    return;
  }
  if (msg.type === 'metrics-request') {
    send({ type: 'metrics', id: msg.id, meters: dataplane.meters.report(), down: dataplane.downServers() });
    return;
  }
  if (draining) return;
  const swapped = msg.type === 'table' ? swapTable(msg.table, msg.generation) : swapDelta(msg.delta, msg.generation, msg.base);
  if (swapped === undefined) return;
  send({ type: 'ack', generation: swapped.generation, swapMs: swapped.swapMs, mode: swapped.mode });
  if (!listening) listen();
}

function swapTable(table: RouteTable, generation: number): SwapResult {
  resyncing = false;
  return dataplane.swap(table, generation);
}

/** Applies a delta on top of the generation it was made from; otherwise asks for the table. */
function swapDelta(delta: TableDelta, generation: number, base: number): SwapResult | undefined {
  if (resyncing) return undefined;
  if (base !== dataplane.generation) {
    logger.warn({ generation, base, serving: dataplane.generation }, 'table delta for another generation; asking for the whole table');
    return resync();
  }
  try {
    return dataplane.swapDelta(delta, generation);
  } catch (err) {
    // Nothing is in force yet (the new table is put in force last); the whole table rebuilds
    // whatever the failed attempt left behind.
    logger.error({ err, generation }, 'applying a table delta failed; asking for the whole table');
    return resync();
  }
}

function resync(): undefined {
  resyncing = true;
  send({ type: 'resync', generation: dataplane.generation });
  return undefined;
}

/** Listens on the HTTP port and, with TLS, the HTTPS port; says `listening` once both do. */
function listen(): void {
  listening = true;
  const https = dataplane.httpsServer;
  const pending = [listenOn(dataplane.server, settings!.httpPort)];
  if (https !== undefined) pending.push(listenOn(https, settings!.httpsPort!));
  void Promise.all(pending).then(([port]) => send({ type: 'listening', generation: dataplane.generation, port: port! }), () => {});
}

function listenOn(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      // No stack: the primary explains the failure in one line (startup-failure.ts).
      logger.error({ code: err.code, port, address: settings!.bindAddress }, 'cannot listen');
      send({ type: 'listen-error', code: err.code ?? 'UNKNOWN', message: err.message, port });
      // Let the message leave before exiting: process.exit would cut the IPC write short.
      setTimeout(() => process.exit(1), 100);
      reject(err);
    };
    server.once('error', onError);
    // An explicit backlog: node's default (511) overflowed on connection bursts (clients then
    // get in only on SYN retries, a second later); the kernel caps it at net.core.somaxconn.
    server.listen({ port, host: settings!.bindAddress, backlog: settings!.backlog ?? DEFAULT_BACKLOG }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** Stop accepting, let the dataplane finish its connections (bounded), exit 0. */
async function drain(graceMs: number, timeoutMs: number): Promise<void> {
  if (draining) return;
  draining = true;
  if (listening) {
    const started = Date.now();
    const drained = await Promise.race([dataplane.drain(graceMs).then(() => true), sleep(timeoutMs, false, { ref: false })]);
    logger.info({ drained, ms: Date.now() - started }, drained ? 'drained' : 'drain timed out; closing remaining connections');
  }
  await Promise.race([dataplane.close(), sleep(CLOSE_BOUND_MS, undefined, { ref: false })]);
  // The counts since the last scrape go to the primary, which keeps them; the access lines
  // still buffered go out.
  await Promise.race([sendAndWait({ type: 'metrics', id: -1, meters: dataplane.meters.report(), down: [] }), sleep(CLOSE_BOUND_MS, undefined, { ref: false })]);
  try {
    accessLog?.flushSync();
  } catch {
    // stdout closed or the file gone: nothing left to write them to.
  }
  process.exit(0);
}

/** Sends `msg` and resolves once it was handed to the IPC channel (process.exit would cut it). */
function sendAndWait(msg: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(msg, undefined, undefined, () => resolve());
  });
}

function send(msg: FromWorker): void {
  if (process.connected) process.send!(msg);
}
