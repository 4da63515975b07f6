/**
 * `pier serve`: parses options and wires the stages together (ARCHITECTURE.md). Runs in the
 * primary process; workers start from src/supervisor/worker.ts.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { ConfigError, type StartupError } from './errors.ts';
import { helpText, parseCommandLine, type PierConfig } from './config.ts';
import { Controller } from './controller.ts';
import { createHealthServer } from './observe/health-server.ts';
import { createLogger, type Logger } from './observe/logger.ts';
import { chooseHttpLayer } from './dataplane/node-internals.ts';
import { CertificateExpiries } from './observe/certificate-expiry.ts';
import { PrimaryMetrics } from './observe/metrics.ts';
import { ReloadStatus } from './observe/reload-status.ts';
import { UpstreamUp } from './observe/upstream-up.ts';
import { RequestTotals } from './observe/request-totals.ts';
import { resolveManifestPath } from './source/manifests/manifest-path.ts';
import { ManifestSource } from './source/manifests/manifest-source.ts';
import { explainStartupFailure } from './startup-failure.ts';
import { IgnoredIngressLog } from './status/ignored-ingress-log.ts';
import { ManifestStatusLog } from './status/manifest-status-log.ts';
import type { Source } from './source/source.ts';
import { Supervisor } from './supervisor/supervisor.ts';
import { openCache, runCacheCommand } from './cache-command.ts';

/** Pier's version, from package.json (the one file that says it). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function parseOrExit(): PierConfig {
  try {
    const cli = parseCommandLine(process.argv.slice(2));
    if (cli.command === 'help') {
      process.stdout.write(helpText() + '\n');
      process.exit(0);
    }
    if (cli.command === 'version') {
      process.stdout.write(`pier ${version()}\n`);
      process.exit(0);
    }
    return cli.config;
  } catch (err) {
    if (err instanceof ConfigError) exitWith(err);
    throw err;
  }
}

/** The CLI contract for anything the user can fix: one line, exit code 2. */
function exitWith(err: ConfigError | StartupError): never {
  process.stderr.write(`pier: ${err.message}\n`);
  process.exit(2);
}

/** Manifest directory, or the cluster (in-cluster config, else KUBECONFIG). */
async function createSource(config: PierConfig, logger: Logger): Promise<Source> {
  if (config.manifests !== undefined) {
    const { dir, file } = resolveManifestPath(config.manifests);
    return new ManifestSource(dir, { file, watchNamespace: config.watchNamespace, namespaceSelector: config.watchNamespaceSelector, logger: logger.child({ component: 'manifests' }) });
  }
  const { createKubeSource } = await import('./source/kube/kube-source.ts');
  return createKubeSource(config, logger.child({ component: 'kube' }));
}

/** net.core.somaxconn (Linux), which silently caps every listen backlog; undefined elsewhere. */
function kernelSomaxconn(): number | undefined {
  try {
    const n = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** `--access-log FILE` must be a file Pier can append to: checked once, before any worker starts. */
function checkAccessLog(target: string | undefined): void {
  if (target === undefined || target === 'stdout') return;
  try {
    closeSync(openSync(target, 'a'));
  } catch (err) {
    throw new ConfigError(`cannot open --access-log ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (give a file in an existing, writable directory, or stdout)`);
  }
}

async function main(config: PierConfig): Promise<void> {
  checkAccessLog(config.accessLog);
  const root = createLogger(config.logLevel);
  const logger = root.child({ component: 'primary' });
  const somaxconn = kernelSomaxconn();
  if (somaxconn !== undefined && config.backlog > somaxconn) {
    logger.warn({ backlog: config.backlog, somaxconn }, 'the kernel caps the listen backlog at net.core.somaxconn: raise it (sysctl) for bursts of new connections');
  }
  // Decided once, here: every worker runs the same Node.
  const http = chooseHttpLayer(config.forcePublicHttp);
  if (http.warning !== undefined) logger.warn({ missing: http.missing }, http.warning);
  const cache = openCache(config);
  if (cache.loaded.entries > 0 || cache.loaded.removed > 0) logger.info({ dir: cache.dir, ...cache.loaded }, 'shared cache: entries of an earlier run loaded');
  const supervisor = new Supervisor({
    workers: config.workers,
    worker: {
      httpPort: config.httpPort,
      httpsPort: config.httpsPort,
      bindAddress: config.bindAddress,
      keepaliveTimeoutMs: config.keepaliveTimeoutMs,
      keepaliveRequests: config.keepaliveRequests,
      http2MaxConcurrentStreams: config.http2MaxConcurrentStreams,
      clientHeaderTimeoutMs: config.clientHeaderTimeoutMs,
      clientBodyTimeoutMs: config.clientBodyTimeoutMs,
      maxHeaderSize: config.maxHeaderSize,
      maxHeaders: config.maxHeaders,
      maxBodySize: config.maxBodySize === Infinity ? 0 : config.maxBodySize,
      backlog: config.backlog,
      accessLog: config.accessLog,
      logLevel: config.logLevel,
      trustedProxies: config.trustedProxies,
      ...(config.forwardedForHeader.toLowerCase() === 'x-forwarded-for' ? {} : { forwardedForHeader: config.forwardedForHeader }),
      ...(config.blockCidrs.length === 0 ? {} : { blockCidrs: config.blockCidrs }),
      ...(config.allowBackendServerHeader ? { allowBackendServerHeader: true } : {}),
      ...(config.enableUnderscoresInHeaders ? { enableUnderscoresInHeaders: true } : {}),
      ...(config.hideHeaders.length === 0 ? {} : { hideHeaders: config.hideHeaders }),
      proxyProtocol: config.proxyProtocol,
      publicPorts: { ...(config.publicHttpPort === undefined ? {} : { http: config.publicHttpPort }), ...(config.publicHttpsPort === undefined ? {} : { https: config.publicHttpsPort }) },
      workers: config.workers,
      limitReqStatusCode: config.limitReqStatusCode,
      limitConnStatusCode: config.limitConnStatusCode,
      cacheDir: cache.dir,
      cacheSize: config.cacheSize,
      publicHttp: http.publicHttp,
      hsts: config.hsts,
      sslPassthrough: config.enableSslPassthrough,
      tls: { ...config.sslProtocols, ciphers: config.sslCiphers },
    },
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    logger: root.child({ component: 'supervisor' }),
  });
  const source = await createSource(config, root);
  // Cluster mode only: Ingress/Upstream status and Events, written by the elected leader.
  const status = config.manifests === undefined
    ? (await import('./status/kube-status.ts')).startKubeStatus(config, root.child({ component: 'status' }))
    : undefined;
  // Manifest mode has no API server to write Upstream status to: it logs status changes instead.
  const statusLog = config.manifests !== undefined ? new ManifestStatusLog(root.child({ component: 'status' })) : undefined;
  const translateOptions = {
    ingressClass: config.ingressClass,
    controllerName: config.controllerName,
    watchIngressWithoutClass: config.watchIngressWithoutClass,
    defaultBackendService: config.defaultBackendService,
    defaultSslCertificate: config.defaultSslCertificate,
    proxySetHeaders: config.proxySetHeaders,
    addHeaders: config.addHeaders,
    enableSslPassthrough: config.enableSslPassthrough,
    backendDefaults: config.backendDefaults,
    annotationDefaults: config.annotationDefaults,
  };
  const ignored = new IgnoredIngressLog(root.child({ component: 'controller' }), translateOptions);
  const requests = new RequestTotals();
  const upstreamUp = new UpstreamUp();
  const reload = new ReloadStatus();
  const certificates = new CertificateExpiries();
  supervisor.on('metrics', (meters, from: { pid: number; down: readonly string[] }) => {
    requests.add(meters);
    upstreamUp.report(from.pid, from.down);
  });
  supervisor.on('ack', () => reload.acked(supervisor.readyGeneration(reload.pending)));
  supervisor.on('listening', () => reload.acked(supervisor.readyGeneration(reload.pending)));
  supervisor.on('exit', (e: { pid: number; expected: boolean; generation: number }) => {
    upstreamUp.left(e.pid);
    if (!e.expected && reload.pending > e.generation) reload.failed();
  });
  const controller = new Controller({
    source,
    translateOptions,
    publish: (table) => {
      requests.retain(table);
      upstreamUp.retain(table);
      certificates.update(table);
      const generation = supervisor.publish(table);
      reload.published(generation);
      return generation;
    },
    onFailed: () => reload.failed(),
    logger: root.child({ component: 'controller' }),
    onBuilt: (built, result) => {
      status?.onBuilt(built.snapshot(), result);
      // Each hook reads every object: skipped when nothing it reports on changed.
      if (statusLog && touches(built.changes, ['Upstream:', 'Service:', 'EndpointSlices:', 'Secret:'])) statusLog.onBuilt(built.snapshot());
      if (touches(built.changes, ['Ingress:', 'IngressClass:'])) ignored.onBuilt(built.snapshot());
    },
  });
  // Ready once every initial worker listens (start() resolved) and every serving worker acked a
  // table built after the initial sync. Later, a crash replacement still starting does not
  // count (the supervisor's rule), so one crashing worker does not take the pod out of service.
  let workersStarted = false;
  const isReady = () => workersStarted && controller.syncedGeneration !== undefined && supervisor.readyGeneration(controller.syncedGeneration);
  const metrics = new PrimaryMetrics({ supervisor, controller, isReady, cache: cache.index, requests, upstreamUp, reload, certificates });
  const health = createHealthServer({ isReady, metrics: () => metrics.collect(), purge: (pattern) => cache.index.purge(pattern) });

  await listen(health, config.healthPort, config.bindAddress);
  // The controller first: with a manifest directory the first table is published before any
  // worker exists, so workers never accept a connection with an empty table. (In cluster mode
  // sync can take longer; workers then start on the empty table and /readyz stays 503.)
  await controller.start();
  await supervisor.start();
  workersStarted = true;
  logger.info({ httpPort: config.httpPort, httpsPort: config.httpsPort, healthPort: config.healthPort, workers: config.workers, mode: config.manifests ? 'manifests' : 'kubernetes' }, 'pier serving');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, shutdownDelayMs: config.shutdownDelayMs }, 'shutting down: draining connections');
    // Hand the Lease over first: another replica can take over status while this one drains.
    await status?.stop();
    if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
    await supervisor.shutdown();
    await controller.stop();
    health.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: recycling workers one at a time');
    supervisor.recycle().catch((err: unknown) => logger.error({ err }, 'recycling workers failed'));
  });
}

if (process.argv[2] === 'migrate-check') {
  const { runMigrateCheck } = await import('./migrate/migrate-check-cli.ts');
  process.exitCode = await runMigrateCheck(process.argv.slice(3));
} else if (process.argv[2] === 'cache') {
  await runCacheCommand(process.argv.slice(3));
} else {
  await serve();
}

async function serve(): Promise<void> {
  const config = parseOrExit();
  try {
    await main(config);
  } catch (err) {
    const explained = explainStartupFailure(err, config);
    if (explained === undefined) throw err;
    exitWith(explained);
  }
}

/** Whether a dependency key of one of these kinds (prefixes) changed. */
function touches(changes: ReadonlySet<string>, prefixes: readonly string[]): boolean {
  for (const change of changes) if (prefixes.some((p) => change.startsWith(p))) return true;
  return false;
}
