import { compileDelta } from '../routing/compile-delta.ts';
import { compileTable, type CompiledTable, type RouteBinder, type RouteMeterBinder } from '../routing/compile-table.ts';
import type { RouteTable } from '../routing/route-table.ts';
import { applyDelta, type TableDelta } from '../routing/table-delta.ts';
import { bindBackend, releasePools, releaseRuntimes, type BackendRuntime, type BindContext } from './backend-runtime.ts';
import type { H2HostPolicy } from './front/h2/h2-host-policy.ts';
import type { PassthroughHosts } from './passthrough/passthrough-hosts.ts';
import type { RoutePipeline } from './pipeline/compile-pipeline.ts';
import { compileGlobalHeaders, type GlobalHeaders } from './pipeline/filters/global-headers.ts';
import type { RequestMeters } from './metrics/request-meters.ts';
import type { RouteMeter } from './metrics/route-meter.ts';
import type { SelfAddress } from './self-address.ts';
import type { SniCertificates, SniUpdate } from './sni-certificates.ts';
import type { TlsListener } from './tls-listener.ts';
import type { PoolRegistry } from './upstream/pool-registry.ts';

export type DataplaneTable = CompiledTable<BackendRuntime, RoutePipeline, RouteMeter>;

/** What a table swap updates besides the compiled table. */
export interface SwapParts {
  readonly pools: PoolRegistry;
  readonly bind: BindContext;
  /** Each route's filters, for a table with these `--proxy-set-headers` / `--add-headers`. */
  readonly bindRoute: (globalHeaders: GlobalHeaders | undefined) => RouteBinder<BackendRuntime, RoutePipeline>;
  readonly self: SelfAddress | undefined;
  readonly certificates: SniCertificates | undefined;
  /** The HTTPS listener: client certificate requests and the hosts' cipher policies. */
  readonly tls: Pick<TlsListener, 'ciphers' | 'setRequestCert' | 'retainCipherServers'> | undefined;
  readonly h2Hosts: H2HostPolicy;
  /** ssl-passthrough hosts (only with --enable-ssl-passthrough). */
  readonly passthrough: PassthroughHosts | undefined;
  /** Per-route request counters: a whole swap rebinds (and sweeps) them, a delta adds to them. */
  readonly meters: RequestMeters;
}

const meterOf = (meters: RequestMeters): RouteMeterBinder<BackendRuntime, RouteMeter> => (route, backend) => meters.meterFor(route, backend.backend.id);
const deltaMeterOf = (meters: RequestMeters): RouteMeterBinder<BackendRuntime, RouteMeter> => (route, backend) => meters.meterForDelta(route, backend.backend.id);

/** A table compiled and the worker's other per-table state updated; `compiled` is not yet in
 * force: the caller puts it in force, then calls `settle`. */
export interface Swapped {
  readonly compiled: DataplaneTable;
  /** `delta`: only what the delta changed was compiled; `whole`: everything. */
  readonly mode: 'delta' | 'whole';
  readonly retiredPools: number;
  /** What the TLS certificates did (undefined: no TLS, or nothing TLS depends on changed). */
  readonly certificates: SniUpdate | undefined;
  /** The table's header lists, compiled (the previous object when they did not change). */
  readonly globalHeaders: GlobalHeaders | undefined;
  /** Stops the health checkers of backends that left (resolves when their probes settled). */
  settle(): Promise<void>;
}

/**
 * Compiles `table` whole: every backend bound again (carrying balancer and health state over
 * from `previous`), every pool the table does not name retired. `previousHeaders`: the header
 * lists of the table in force, reused when the new table's are equal.
 */
export function swapWhole(parts: SwapParts, previous: DataplaneTable, table: RouteTable, previousHeaders: GlobalHeaders | undefined): Swapped {
  parts.pools.begin();
  parts.self?.serve(table);
  parts.meters.begin();
  const globalHeaders = compileGlobalHeaders(table, previousHeaders);
  const compiled = compileTable(table, (b) => bindBackend(b, previous.backends.get(b.id), parts.bind), parts.bindRoute(globalHeaders), meterOf(parts.meters));
  parts.meters.commit();
  const retiredPools = parts.pools.commit();
  const certificates = applyCertificates(parts, parts.certificates?.update(table));
  parts.tls?.ciphers.update(table);
  parts.tls?.retainCipherServers();
  parts.h2Hosts.update(table);
  parts.passthrough?.update(table);
  return { compiled, mode: 'whole', retiredPools, certificates, globalHeaders, settle: () => releaseRuntimes(previous.backends.values(), compiled.backends.values()) };
}

/**
 * Applies `delta` to the table in force (`previous`): only the hosts it changed, and those
 * using a backend it changed, are compiled again; only its backends are bound again, and the
 * pools they no longer name lose a binding. A delta that cannot be patched in (see compileDelta;
 * one that changes the header lists every route holds) is compiled whole.
 */
export function swapDelta(parts: SwapParts, previous: DataplaneTable, delta: TableDelta, previousHeaders: GlobalHeaders | undefined): Swapped {
  const table = applyDelta(previous.table, delta);
  const globalHeaders = compileGlobalHeaders(table, previousHeaders);
  const compiled = compileDelta(previous, table, delta, (b) => bindBackend(b, previous.backends.get(b.id), parts.bind), parts.bindRoute(globalHeaders), deltaMeterOf(parts.meters));
  if (compiled === undefined) return swapWhole(parts, previous, table, previousHeaders);
  const replaced: BackendRuntime[] = [];
  const current: BackendRuntime[] = [];
  for (const id of new Set([...delta.backends.remove, ...delta.backends.upsert.map((b) => b.id)])) {
    const old = previous.backends.get(id);
    const now = compiled.backends.get(id);
    if (old === undefined || old === now) continue;
    replaced.push(old);
    if (now !== undefined) current.push(now);
  }
  let retiredPools = 0;
  for (const runtime of replaced) retiredPools += releasePools(runtime, parts.pools);
  parts.self?.change(delta);
  const certificates = applyCertificates(parts, parts.certificates?.change(table, delta));
  parts.tls?.ciphers.change(table, delta);
  parts.tls?.retainCipherServers();
  parts.h2Hosts.change(delta);
  parts.passthrough?.change(delta);
  return { compiled, mode: 'delta', retiredPools, certificates, globalHeaders, settle: () => releaseRuntimes(replaced, current) };
}

function applyCertificates(parts: SwapParts, update: SniUpdate | undefined): SniUpdate | undefined {
  // Client certificates are asked for only while some host checks them (auth-tls-secret);
  // each such host's context carries its CA, and its route filters judge the outcome, so
  // the handshake itself never fails for it (rejectUnauthorized false), as nginx's.
  if (update !== undefined) parts.tls?.setRequestCert(update.requestCert);
  return update;
}
