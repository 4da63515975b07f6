/**
 * The control plane's pure stages timed in this process: translate() of a whole snapshot and
 * compileTable() of its result, with the heap each one retains.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compileTable } from '../../src/routing/compile-table.ts';
import { translate } from '../../src/translate/translate.ts';
import { snapshotOf, syntheticCluster, type SyntheticCluster } from './cluster-objects.ts';
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
  /** Heap retained by the generated objects, by the table, by the compiled table. */
  readonly objectsHeapBytes: number;
  readonly tableHeapBytes: number;
  readonly compiledHeapBytes: number;
  /** JSON size of the table: what publishing sends to each worker. */
  readonly tableJsonBytes: number;
  readonly jsonRoundTripMs: Spread;
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

/** Generates `count` Ingresses and measures; returns the cluster for the end-to-end part. */
export function measureInProcess(count: number, runs: number): { cost: InProcessCost; cluster: SyntheticCluster } {
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
  const cost: InProcessCost = {
    ingresses: count,
    virtualHosts: table.virtualHosts.length,
    routes: table.virtualHosts.reduce((n, vh) => n + vh.routes.length, 0),
    backends: table.backends.length,
    problems: translated.last.problems.length,
    translateMs: translated.ms,
    compileMs: compiled.ms,
    objectsHeapBytes: afterObjects - base,
    tableHeapBytes: afterTable - afterObjects,
    compiledHeapBytes: afterCompiled - afterTable,
    tableJsonBytes: Buffer.byteLength(json),
    jsonRoundTripMs: roundTrip.ms,
  };
  void compiled.last; // kept alive until here so its heap is counted
  return { cost, cluster };
}
