/**
 * Same-run A/B of the async-filter contract: runPipeline before it (a filter returns a boolean)
 * and after it (a filter may return a Promise; the loop tests `=== true`), on routes whose
 * filters are all synchronous, which is every route without external auth. Alternates A and B
 * within each round so neither gets a warmer machine. Run: `node bench/pipeline-async.ts`.
 */
import type { Admission, RequestFilter } from '../src/dataplane/pipeline/admission.ts';
import { runPipeline } from '../src/dataplane/pipeline/compile-pipeline.ts';

type SyncFilter = (a: Admission) => boolean;

/** runPipeline as it was before async filters (commit cc3ccee). */
function runPipelineBefore(pipeline: readonly SyncFilter[], admission: Admission): boolean {
  for (let i = 0; i < pipeline.length; i++) if (!pipeline[i]!(admission)) return false;
  return true;
}

const admission = { target: '/', n: 0 } as unknown as Admission & { n: number };
const pass: SyncFilter = (a) => ((a as typeof admission).n++, true);
const rewrite: SyncFilter = (a) => ((a as typeof admission).target = '/x', true);
const pipelines: readonly SyncFilter[][] = [[pass], [pass, rewrite], [pass, rewrite, pass]];

const ITERATIONS = 3_000_000;
const ROUNDS = Number(process.argv[2] ?? 9);

function time(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: string[] = [];
for (const pipeline of pipelines) {
  const before: number[] = [];
  const after: number[] = [];
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const a = () => { for (let i = 0; i < ITERATIONS; i++) if (runPipelineBefore(pipeline, admission)) sink++; };
    const b = () => { for (let i = 0; i < ITERATIONS; i++) if (runPipeline(pipeline as readonly RequestFilter[], admission) === true) sink++; };
    if (round % 2 === 0) { before.push(time(a)); after.push(time(b)); } else { after.push(time(b)); before.push(time(a)); }
  }
  results.push(`| ${pipeline.length} sync filter(s) | ${median(before).toFixed(2)} ns | ${median(after).toFixed(2)} ns | ${(median(after) / median(before)).toFixed(3)} |`);
  if (sink === 0) throw new Error('no call ran');
}
console.log(`runPipeline per call, median of ${ROUNDS} alternating rounds × ${ITERATIONS.toLocaleString('en')} calls (Node ${process.version})\n`);
console.log('| pipeline | before (boolean only) | after (boolean or Promise) | after/before |');
console.log('|---|---|---|---|');
for (const line of results) console.log(line);
