/**
 * The control plane's pure stages timed in this process: translate() of a whole snapshot and
 * compileTable() of its result, with the heap each one retains; a worker's swap of the whole
 * table, and of one edit as a delta.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createDataplane } from '../../src/dataplane/create-dataplane.ts';
import { compileTable } from '../../src/routing/compile-table.ts';
import type { RouteTable } from '../../src/routing/route-table.ts';
import { translate } from '../../src/translate/translate.ts';
import { snapshotOf, syntheticCluster, type SyntheticCluster } from './cluster-objects.ts';
import { measureDeltas, type DeltaCost } from './delta-cost.ts';
import { spread, type Spread } from './summary.ts';

/** One size's figures. */
export interface InProcessCost {
  readonly ingresses: number;
  readonly virtualHosts: number;
  readonly routes: number;
  readonly backends: number;
  readonly problems: number;
  readonly translateMs: Spread;
  readonly compileMs: Spread;
  /** A worker's real swap (compile + bind balancers and pools): first table, then re-swaps. */
  readonly firstSwapMs: number;
  readonly reswapMs: Spread;
  /** Heap retained by the generated objects, by the table, by the compiled table. */
  readonly objectsHeapBytes: number;
  readonly tableHeapBytes: number;
  readonly compiledHeapBytes: number;
  /** JSON size of the table: what publishing sends to each worker. */
  readonly tableJsonBytes: number;
  readonly jsonRoundTripMs: Spread;
  /** Incremental publish: a one-Ingress and a one-EndpointSlice edit as deltas (delta-cost.ts). */
  readonly delta: DeltaCost;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function timed<T>(runs: number, fn: () => T): { last: T; ms: Spread } {
  let last = fn(); // warm-up: first call pays for compilation of the code itself
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = fn();
    samples.push(performance.now() - t0);
  }
  return { last, ms: spread(samples) };
}

const TRANSLATE_OPTIONS = { ingressClass: 'pier', controllerName: 'pier.dev/ingress-controller', watchIngressWithoutClass: false };

/**
 * A dataplane's swap(): once from empty (every pool created), then `runs` times again with the
 * same table (every endpoint unchanged, so pools are kept: the common case of a small edit).
 */
async function measureSwap(table: RouteTable, runs: number): Promise<{ first: number; again: Spread }> {
  const dataplane = createDataplane();
  try {
    const first = dataplane.swap(table, 1).swapMs;
    const again: number[] = [];
    for (let i = 0; i < runs; i++) again.push(dataplane.swap(table, i + 2).swapMs);
    return { first, again: spread(again) };
  } finally {
    await dataplane.close();
  }
}

/** Generates `count` Ingresses and measures; returns the cluster for the end-to-end part. */
export async function measureInProcess(count: number, runs: number): Promise<{ cost: InProcessCost; cluster: SyntheticCluster }> {
  const base = heapAfterGc();
  const cluster = syntheticCluster(count);
  const afterObjects = heapAfterGc();
  const snapshot = snapshotOf(cluster);
  const translated = timed(runs, () => translate(snapshot, TRANSLATE_OPTIONS));
  const afterTable = heapAfterGc();
  const compiled = timed(runs, () => compileTable(translated.last.table));
  const afterCompiled = heapAfterGc();
  const json = JSON.stringify(translated.last.table);
  const roundTrip = timed(runs, () => JSON.parse(JSON.stringify(translated.last.table)) as unknown);
  const table = translated.last.table;
  const swap = await measureSwap(table, runs);
  const delta = await measureDeltas(table, runs);
  const cost: InProcessCost = {
    ingresses: count,
    virtualHosts: table.virtualHosts.length,
    routes: table.virtualHosts.reduce((n, vh) => n + vh.routes.length, 0),
    backends: table.backends.length,
    problems: translated.last.problems.length,
    translateMs: translated.ms,
    compileMs: compiled.ms,
    firstSwapMs: swap.first,
    reswapMs: swap.again,
    objectsHeapBytes: afterObjects - base,
    tableHeapBytes: afterTable - afterObjects,
    compiledHeapBytes: afterCompiled - afterTable,
    tableJsonBytes: Buffer.byteLength(json),
    jsonRoundTripMs: roundTrip.ms,
    delta,
  };
  void compiled.last; // kept alive until here so its heap is counted
  return { cost, cluster };
}
