/**
 * What a request's route lookup costs in a table patched by deltas, against the same table
 * compiled whole, in one run: a patched table's host maps are LayeredMaps whose overlay holds
 * the hosts changed since the last fold (routing/layered-map.ts), so a lookup reads the overlay
 * before the base. Also how long a one-backend delta takes to compile, which is what the
 * overlay saves (the alternative copies the host and backend maps on every delta).
 *
 * Run: `node bench/match-cost.ts [--ingresses 10000] [--edits 50] [--rounds 15]`. Prints a
 * markdown table; CPU time (this process), so other load on the machine counts less.
 */
import { parseArgs } from 'node:util';
import { compileDelta } from '../src/routing/compile-delta.ts';
import { compileTable, type CompiledTable } from '../src/routing/compile-table.ts';
import type { RouteTable } from '../src/routing/route-table.ts';
import { applyDelta, diffTables } from '../src/routing/table-delta.ts';
import { translate } from '../src/translate/translate.ts';
import { snapshotOf, syntheticCluster } from './lib/cluster-objects.ts';

const { values } = parseArgs({ options: { ingresses: { type: 'string', default: '10000' }, edits: { type: 'string', default: '50' }, rounds: { type: 'string', default: '15' } } });
const [count, edits, rounds] = [Number(values.ingresses), Number(values.edits), Number(values.rounds)];
const MATCHES = 1_000_000;

const cpuMs = (fn: () => unknown): number => {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { table } = translate(snapshotOf(syntheticCluster(count)), { ingressClass: 'pier', controllerName: 'pier.dev/ingress-controller', watchIngressWithoutClass: false });
const whole = compileTable(table);
let patched: CompiledTable = compileTable(table);
let current: RouteTable = table;
const deltaMs: number[] = [];
for (let e = 0; e < edits; e++) {
  // One EndpointSlice change: one backend replaced, its host compiled again.
  const backends = [...current.backends];
  const i = (e * 7919) % backends.length;
  backends[i] = { ...backends[i]!, servers: backends[i]!.servers.slice(1) };
  const next = { ...current, backends };
  const delta = diffTables(current, next);
  const applied = applyDelta(current, delta);
  deltaMs.push(cpuMs(() => (patched = compileDelta(patched, applied, delta) ?? compileTable(applied))));
  current = next;
}
const hosts = Array.from({ length: 4096 }, (_, i) => `app-${(i * 2654435761) % count}.bench.local`);
const targets = ['/', '/api/v1/users/7', '/healthz', '/api/x'];
const lookups = (compiled: CompiledTable) => () => {
  for (let i = 0; i < MATCHES; i++) compiled.match(hosts[i & 4095]!, targets[i & 3]!);
};
const samples = { whole: [] as number[], patched: [] as number[] };
for (let r = 0; r <= rounds; r++) {
  const w = cpuMs(lookups(whole));
  const p = cpuMs(lookups(patched));
  if (r === 0) continue; // warm-up
  samples.whole.push((w * 1e6) / MATCHES);
  samples.patched.push((p * 1e6) / MATCHES);
}
const [w, p] = [median(samples.whole), median(samples.patched)];
console.log([
  `| Ingresses | match ns, whole table | match ns, after ${edits} deltas | ratio | one-backend delta compile ms (median) |`,
  '|--:|--:|--:|--:|--:|',
  `| ${count} | ${w.toFixed(0)} | ${p.toFixed(0)} | ${(p / w).toFixed(2)} | ${median(deltaMs.slice(1)).toFixed(2)} |`,
].join('\n'));
