/**
 * The control-plane benchmark's results as markdown, with growth between consecutive sizes
 * (time ratio ÷ size ratio: 1.0 is linear).
 */
import type { EditLatency } from './edit-latency.ts';
import type { InProcessCost } from './in-process-cost.ts';
import type { IncrementalCost } from './incremental-cost.ts';
import type { ProcessMemory } from './proc-tree.ts';
import { spread, type Spread } from './summary.ts';

// Heap deltas after GC can dip below zero by noise when the true figure is tiny.
const mib = (bytes: number) => (bytes < 0.05 * 2 ** 20 ? '≈0' : (bytes / 2 ** 20).toFixed(1));
const ms = (s: Spread, digits = 1) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
const perIngressUs = (msValue: number, count: number) => ((msValue * 1000) / count).toFixed(1);

/** "×k.kk" growth of `values[i]` over `values[i-1]` relative to the size growth; '–' for the first. */
function growth(values: readonly number[], sizes: readonly number[], i: number): string {
  if (i === 0) return '–';
  return `${((values[i]! / values[i - 1]!) / (sizes[i]! / sizes[i - 1]!)).toFixed(2)}`;
}

function inProcessTable(costs: readonly InProcessCost[]): string[] {
  const sizes = costs.map((c) => c.ingresses);
  const translate = costs.map((c) => c.translateMs.median);
  const compile = costs.map((c) => c.compileMs.median);
  const swap = costs.map((c) => c.firstSwapMs);
  const reswap = costs.map((c) => c.reswapMs.median);
  return [
    '### translate(), compileTable() and a worker\'s swap() in one process', '',
    '| Ingresses | hosts | routes | backends | problems | translate ms median (min–max) | µs/Ingress | growth | compile ms median (min–max) | µs/Ingress | growth | table JSON KiB | JSON round trip ms | heap MiB: objects / table / compiled |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...costs.map((c, i) => `| ${c.ingresses} | ${c.virtualHosts} | ${c.routes} | ${c.backends} | ${c.problems} | ${ms(c.translateMs)} | ${perIngressUs(c.translateMs.median, c.ingresses)} | ${growth(translate, sizes, i)} | ${ms(c.compileMs, 2)} | ${perIngressUs(c.compileMs.median, c.ingresses)} | ${growth(compile, sizes, i)} | ${(c.tableJsonBytes / 1024).toFixed(0)} | ${c.jsonRoundTripMs.median.toFixed(1)} | ${mib(c.objectsHeapBytes)} / ${mib(c.tableHeapBytes)} / ${mib(c.compiledHeapBytes)} |`),
    '',
    'Worker swap = `createDataplane().swap(table)`: compile plus binding each backend (balancer, upstream pools). "first" starts from the empty table (all pools created, as a starting worker does); "again" re-swaps an equal table (every pool kept, as after a one-Ingress edit).', '',
    '| Ingresses | swap ms, first | growth | swap ms, again median (min–max) | µs/Ingress | growth |',
    '|--:|--:|--:|--:|--:|--:|',
    ...costs.map((c, i) => `| ${c.ingresses} | ${c.firstSwapMs.toFixed(1)} | ${growth(swap, sizes, i)} | ${ms(c.reswapMs)} | ${perIngressUs(c.reswapMs.median, c.ingresses)} | ${growth(reswap, sizes, i)} |`),
    '',
    ...deltaTable(costs),
  ];
}

const kib = (bytes: number) => (bytes < 10 * 1024 ? (bytes / 1024).toFixed(1) : (bytes / 1024).toFixed(0));

/** Incremental publish: what one edit costs the supervisor (diff), the IPC channel and a worker. */
function deltaTable(costs: readonly InProcessCost[]): string[] {
  const cell = (e: InProcessCost['delta']['ingressEdit']) => `${ms(e.diffMs, 2)} | ${kib(e.ipcBytes)} | ${ms(e.swapMs, 2)}${e.allDelta ? '' : ' (some whole)'}`;
  return [
    'Incremental publish: one edit as the controller hands it over (every other host and backend the same object), diffed by the supervisor (`diffTables`), sent as a delta (size as IPC serializes it), applied by a worker (`swapDelta`: compiles the changed host, or the hosts using the changed backend; re-binds only the changed backend). One-Ingress edit: a path added to one host. One-EndpointSlice edit: one endpoint of one backend replaced.', '',
    '| Ingresses | table over IPC KiB | Ingress edit: diff ms | delta KiB | delta swap ms median (min–max) | EndpointSlice edit: diff ms | delta KiB | delta swap ms median (min–max) |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...costs.map((c) => `| ${c.ingresses} | ${kib(c.delta.tableIpcBytes)} | ${cell(c.delta.ingressEdit)} | ${cell(c.delta.endpointEdit)} |`),
    '',
  ];
}

/** "p50 / p99 (min–max)" of edit latencies, ms. */
function percentiles(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return `${at(0.5).toFixed(0)} / ${at(0.99).toFixed(0)} (${sorted[0]?.toFixed(0) ?? '–'}–${sorted.at(-1)?.toFixed(0) ?? '–'})`;
}

function incrementalTable(costs: readonly IncrementalCost[]): string[] {
  return [
    '### What the controller runs: incremental translation (store + IncrementalTranslator)', '',
    'First build = filling the store and the first update (start-up). Then, alternately, one Ingress edited (a path renamed) and one EndpointSlice edited (an endpoint removed), each followed by an update; median and max over the edits. "New objects" counts the virtual hosts and backends of the next table that are not the previous table\'s objects: what the dataplane has to recompile.', '',
    '| Ingresses | first build ms | Ingress edit ms median (max) | new objects: hosts / backends | EndpointSlice edit ms median (max) | new objects: hosts / backends |',
    '|--:|--:|--:|--:|--:|--:|',
    ...costs.map((c) => `| ${c.ingresses} | ${c.firstBuildMs.toFixed(0)} | ${c.ingressEditMs.median.toFixed(2)} (${c.ingressEditMs.max.toFixed(1)}) | ${c.changedByIngressEdit.hosts} / ${c.changedByIngressEdit.backends} | ${c.sliceEditMs.median.toFixed(2)} (${c.sliceEditMs.max.toFixed(1)}) | ${c.changedBySliceEdit.hosts} / ${c.changedBySliceEdit.backends} |`),
    '',
  ];
}

function memoryCell(memory: readonly ProcessMemory[]): string {
  const [primary, ...workers] = memory;
  if (!primary) return '–';
  return `${mib(primary.rssBytes)} / ${workers.map((w) => mib(w.rssBytes)).join(', ') || '–'}`;
}

function endToEndTable(rows: readonly { ingresses: number; result: EditLatency }[]): string[] {
  const sizes = rows.map((r) => r.ingresses);
  const edits = rows.map((r) => spread(r.result.editMs).median);
  return [
    '### End to end: manifest-mode Pier', '',
    '| Ingresses | start → first route served, s | edit → served, ms p50 / p99 (min–max) | growth (p50) | translate ms (Pier metric) | swap ms per worker (last) | RSS MiB: primary / workers | requests under keepalive load during the edits: failed / sent |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...rows.map((r, i) => `| ${r.ingresses} | ${(r.result.startupMs / 1000).toFixed(1)} | ${percentiles(r.result.editMs)} | ${growth(edits, sizes, i)} | ${r.result.translateMs?.toFixed(1) ?? '–'} | ${r.result.swapMsPerWorker.map((s) => s.toFixed(1)).join(', ') || '–'} | ${memoryCell(r.result.memory)} | ${r.result.load.failed} / ${r.result.load.requests}${r.result.load.failures.length > 0 ? ` (${r.result.load.failures.join('; ')})` : ''} |`),
    '',
  ];
}

/** Renders the whole report. */
export function renderControlPlaneReport(setup: readonly string[], costs: readonly InProcessCost[], incremental: readonly IncrementalCost[], endToEnd: readonly { ingresses: number; result: EditLatency }[], failures: readonly string[]): string {
  return [
    '# Control-plane benchmark', '',
    ...setup.map((l) => `- ${l}`), '',
    ...failures.map((f) => `- **not measured:** ${f}`), ...(failures.length > 0 ? [''] : []),
    ...inProcessTable(costs),
    ...incrementalTable(incremental),
    ...(endToEnd.length > 0 ? endToEndTable(endToEnd) : []),
    'growth = (time at this size ÷ time at the previous size) ÷ (size ratio): 1.00 is linear, below 1 sublinear.', '',
  ].join('\n');
}
