/**
 * The control-plane benchmark (issue 7): at 100, 1,000 and 10,000 Ingresses (each with two
 * Services, two EndpointSlices and four paths), the cost of translate() and compileTable(), the
 * heap they retain, and end to end with a manifest-mode Pier the time from editing one Ingress
 * to traffic using the new route.
 *
 * Run: `node bench/control-plane.ts [--sizes 100,1000,10000] [--edits 5] [--runs 5]
 * [--workers 2] [--no-e2e] [--note TEXT] [--out DIR]`. Writes bench/results/control-plane.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderControlPlaneReport } from './lib/control-plane-report.ts';
import { measureEditLatency, type EditLatency } from './lib/edit-latency.ts';
import { measureInProcess, type InProcessCost } from './lib/in-process-cost.ts';
import { measureIncremental, type IncrementalCost } from './lib/incremental-cost.ts';

/** Options of the control-plane benchmark. */
export interface ControlPlaneOptions {
  readonly sizes: readonly number[];
  readonly edits: number;
  readonly runs: number;
  readonly workers: number;
  readonly endToEnd: boolean;
  readonly note: string;
  readonly outDir: string;
}

function parseOptions(argv: readonly string[]): ControlPlaneOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sizes: { type: 'string', default: '100,1000,10000,50000' }, edits: { type: 'string', default: '50' }, runs: { type: 'string', default: '5' },
      workers: { type: 'string', default: String(availableParallelism()) }, 'no-e2e': { type: 'boolean' }, note: { type: 'string', default: '' },
      out: { type: 'string', default: new URL('./results', import.meta.url).pathname },
    },
  });
  const int = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
    return n;
  };
  return {
    sizes: values.sizes.split(',').map((s) => int('sizes', s)),
    edits: int('edits', values.edits), runs: int('runs', values.runs), workers: int('workers', values.workers),
    endToEnd: values['no-e2e'] !== true, note: values.note, outDir: values.out,
  };
}

function setupLines(options: ControlPlaneOptions, load: number): string[] {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
  return [
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpu}, ${availableParallelism()} cores, Node ${process.versions.node}.`,
    'Each Ingress: its own host, 4 paths (3 Prefix, 1 Exact) over 2 Services; each Service has 1 EndpointSlice with 3 ready endpoints; 10 namespaces.',
    `In process: median (min–max) of ${options.runs} runs after one warm-up run; heap retained measured after forced GC.`,
    `End to end: \`pier serve --manifests\` with ${options.workers} workers, manifests in files of 500 Ingresses (JSON documents, which Pier reads with JSON.parse; the same objects as YAML take the YAML parser, roughly 30× slower to read at start-up); ${options.edits} edits of one probe Ingress (atomic rename of its file, 300 ms apart), each timed from the rename to the first 200 on the new path (polled every ~2 ms). Includes the directory watch debounce (50 ms) and the store's holdoff (100 ms). Meanwhile 8 keepalive clients send requests back to back to another path of the edited Ingress; every answer that is not 200 counts as failed.`,
    `Load average when the run started: ${load.toFixed(2)}.${options.note ? ` ${options.note}` : ''}`,
  ];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const load = loadavg()[0]!;
  const costs: InProcessCost[] = [];
  const incremental: IncrementalCost[] = [];
  const endToEnd: { ingresses: number; result: EditLatency }[] = [];
  const failures: string[] = [];
  for (const size of options.sizes) {
    const { cost, cluster } = await measureInProcess(size, options.runs);
    costs.push(cost);
    incremental.push(measureIncremental(cluster, options.edits));
    const inc = incremental.at(-1)!;
    console.error(`${size} Ingresses incremental: first build ${inc.firstBuildMs.toFixed(0)} ms, Ingress edit ${inc.ingressEditMs.median.toFixed(2)} ms, EndpointSlice edit ${inc.sliceEditMs.median.toFixed(2)} ms`);
    console.error(`${size} Ingresses: translate ${cost.translateMs.median.toFixed(1)} ms, compile ${cost.compileMs.median.toFixed(2)} ms, worker swap ${cost.firstSwapMs.toFixed(0)} ms first / ${cost.reswapMs.median.toFixed(0)} ms again, table ${(cost.tableJsonBytes / 1024).toFixed(0)} KiB`);
    if (!options.endToEnd) continue;
    try {
      const result = await measureEditLatency(cluster, { workers: options.workers, edits: options.edits, cpus: `0-${availableParallelism() - 1}`, readyTimeoutMs: 300_000 });
      endToEnd.push({ ingresses: size, result });
      console.error(`${size} Ingresses end to end: ready in ${(result.startupMs / 1000).toFixed(1)} s, edits ${result.editMs.map((m) => m.toFixed(0)).join(', ')} ms`);
    } catch (err) {
      failures.push(`end to end at ${size} Ingresses: ${String((err as Error).message).split('\n')[0]}`);
      console.error(err);
    }
  }
  const report = renderControlPlaneReport(setupLines(options, load), costs, incremental, endToEnd, failures);
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, 'control-plane.md'), report);
  console.log(report);
}

await main();
