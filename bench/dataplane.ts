/**
 * The dataplane benchmark (issue 7): Pier against the backend alone, nginx, HAProxy and two
 * Node proxies, with wrk over loopback. The proxy under test runs alone on core 0; wrk and the
 * backend share core 1, so when the load side saturates first the comparable figure is the
 * proxy's CPU time per request, read from /proc for all its processes.
 *
 * Run: `npm run bench` (or `node bench/dataplane.ts --help`). Writes bench/results/dataplane.md
 * and dataplane.png.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/free-port.ts';
import { renderBarChartSvg, type Panel } from './lib/bar-chart-svg.ts';
import { DATAPLANE_HELP, parseDataplaneOptions, type DataplaneOptions, type Variant } from './lib/dataplane-options.ts';
import { renderDataplaneReport, VARIANT_TITLES } from './lib/dataplane-report.ts';
import { runBurst } from './lib/connect-burst.ts';
import { ensureTools } from './lib/ensure-tools.ts';
import { BODY_PATHS, startBackend } from './lib/nginx.ts';
import type { PinnedProcess } from './lib/pinned-process.ts';
import { treeCpuSeconds, treeMemory, type ProcessMemory } from './lib/proc-tree.ts';
import { roundRatios, spread, summarize, type Measurement, type TargetSummary } from './lib/summary.ts';
import { allTargets, type RunningTarget, type TargetSpec } from './lib/targets.ts';
import { runWrk } from './lib/wrk.ts';

const PROXY_CPUS = '0';
const LOAD_CPUS = '1';

function optionsOrExit(): DataplaneOptions {
  if (process.argv.includes('--help')) {
    console.log(DATAPLANE_HELP);
    process.exit(0);
  }
  try {
    return parseDataplaneOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n\n${DATAPLANE_HELP}`);
    process.exit(2);
  }
}

function wrkFor(options: DataplaneOptions, port: number, variant: Variant, seconds: number) {
  // burst: warmed up with new connections (its measure is runBurst).
  const close = variant === 'close' || variant === 'burst';
  const path = close ? BODY_PATHS['100B'] : BODY_PATHS[variant as keyof typeof BODY_PATHS];
  const headers = ['Host: bench.local', ...(close ? ['Connection: close'] : [])];
  return runWrk({ url: `http://127.0.0.1:${port}${path}`, durationSeconds: seconds, connections: options.connections, threads: 1, cpus: LOAD_CPUS, headers });
}

async function measure(options: DataplaneOptions, id: string, target: RunningTarget, variant: Variant, round: number): Promise<Measurement> {
  if (variant === 'burst') {
    const b = await runBurst({ port: target.port, pid: target.pid, count: options.burstConnections, cpus: LOAD_CPUS });
    return {
      target: id, variant, round, requestsPerSecond: b.answered / (b.allMs / 1000), p50Us: b.p50Ms * 1000, p99Us: b.p99Ms * 1000,
      cpuUsPerRequest: b.cpuUsPerConnection, errors: b.errors, allMs: b.allMs, listenOverflows: b.listenOverflows, load1: loadavg()[0]!,
    };
  }
  const cpuBefore = treeCpuSeconds(target.pid);
  const wrk = await wrkFor(options, target.port, variant, options.durationSeconds);
  const cpuSeconds = treeCpuSeconds(target.pid) - cpuBefore;
  return {
    target: id, variant, round, requestsPerSecond: wrk.requestsPerSecond, p50Us: wrk.p50Us, p99Us: wrk.p99Us,
    cpuUsPerRequest: wrk.requests > 0 ? (cpuSeconds / wrk.requests) * 1e6 : NaN, errors: wrk.errors, load1: loadavg()[0]!,
  };
}

/** Unmeasured load before a target's first round of a variant: at least `warmupSeconds`, and
 * until it has served `warmupRequests` (bounded at 15 warm-ups). Returns the requests served. */
async function warmUp(options: DataplaneOptions, target: RunningTarget, variant: Variant): Promise<number> {
  let served = 0;
  for (let i = 0; i < 15 && options.warmupSeconds > 0 && (i === 0 || served < options.warmupRequests); i++) {
    served += (await wrkFor(options, target.port, variant, options.warmupSeconds)).requests;
  }
  return served;
}

const firstLine = (err: unknown) => String((err as Error).message ?? err).split('\n')[0]!;

/** Rotates the order each round, so no target always runs right after the same neighbour. */
const rotate = <T>(items: readonly T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length]!);

async function startTargets(specs: readonly TargetSpec[], backend: PinnedProcess, backendPort: number, failures: Map<string, string>): Promise<Map<string, RunningTarget>> {
  const running = new Map<string, RunningTarget>();
  for (const spec of specs) {
    try {
      running.set(spec.id, await spec.start({ port: backendPort, pid: backend.pid }));
    } catch (err) {
      failures.set(spec.id, `did not start (${firstLine(err)})`);
      console.error(`${spec.id}: ${(err as Error).message.slice(0, 2000)}`);
    }
  }
  return running;
}

async function runRounds(options: DataplaneOptions, running: Map<string, RunningTarget>, failures: Map<string, string>): Promise<Measurement[]> {
  const results: Measurement[] = [];
  for (const variant of options.variants) {
    for (let round = 1; round <= options.rounds; round++) {
      for (const id of rotate([...running.keys()], round - 1)) {
        const target = running.get(id)!;
        try {
          if (round === 1) await warmUp(options, target, variant);
          const m = await measure(options, id, target, variant, round);
          results.push(m);
          console.error(m.allMs !== undefined
            ? `${variant} round ${round} ${id}: all ${options.burstConnections} answered in ${m.allMs.toFixed(0)} ms, ListenOverflows +${m.listenOverflows}, ${m.cpuUsPerRequest.toFixed(1)} µs CPU/connection, ${m.errors} errors`
            : `${variant} round ${round} ${id}: ${m.requestsPerSecond.toFixed(0)} req/s, p99 ${(m.p99Us / 1000).toFixed(2)} ms, ${m.cpuUsPerRequest.toFixed(1)} µs CPU/req, ${m.errors} errors, load ${m.load1!.toFixed(2)}`);
        } catch (err) {
          failures.set(id, `failed during ${variant} round ${round} (${firstLine(err)})`);
          running.delete(id);
          await target.stop();
        }
      }
    }
  }
  return results;
}

function version(command: string, args: string[], pattern: RegExp): string {
  try {
    const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return pattern.exec(out)?.[1] ?? '?';
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return pattern.exec(`${e.stdout ?? ''}${e.stderr ?? ''}`)?.[1] ?? '?';
  }
}

function setupLines(options: DataplaneOptions, load: number, measurements: readonly Measurement[]): string[] {
  const during = spread(measurements.flatMap((m) => (m.load1 === undefined ? [] : [m.load1])));
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
  const nginx = execFileSync('sh', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' }).trim().replace('nginx version: ', '');
  return [
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpu}, ${availableParallelism()} cores, Node ${process.versions.node}, ${nginx}, HAProxy ${version('haproxy', ['-v'], /version (\S+)/)}, wrk ${version('wrk', ['-v'], /wrk (\S+)/)}.`,
    `Placement: each proxy pinned to core ${PROXY_CPUS} (taskset); wrk (1 thread, ${options.connections} connections) and the backend (nginx, 1 worker, \`return 200\`) on core ${LOAD_CPUS}. "Pier, N workers" is pinned to both cores and so competes with the load side.`,
    `${options.rounds} rounds × ${options.durationSeconds} s per target and variant, targets alternating within each round (before round 1, ${options.warmupSeconds} s of warm-up, repeated until ${options.warmupRequests} requests were served, at most 15 times); medians with min–max.`,
    'CPU µs/req = user + system CPU time of all the target\'s processes (from /proc/PID/stat, primary and workers) ÷ requests completed. For "direct" it is the backend\'s own cost.',
    `Load average (1 min) when the run started: ${load.toFixed(2)}; at the end of each measurement: median ${during.median.toFixed(2)} (${during.min.toFixed(2)}–${during.max.toFixed(2)}). The Node targets' CPU per request grows with the machine's load much more than nginx's (see bench/README.md), so compare runs at similar load.${options.note ? ` ${options.note}` : ''}`,
  ];
}

function chartPanels(summaries: readonly TargetSummary[], labels: Map<string, { label: string }>): Panel[] {
  const rows = summaries.filter((s) => s.variant === '100B');
  const bars = (pick: (s: TargetSummary) => { median: number; min: number; max: number }, scale = 1) =>
    rows.map((s) => {
      const v = pick(s);
      return { label: labels.get(s.target)?.label ?? s.target, median: v.median * scale, min: v.min * scale, max: v.max * scale, highlight: s.target.startsWith('pier') };
    });
  return [
    { title: 'CPU time per request on the proxy core, µs (lower is better)', format: (v) => v.toFixed(1), bars: bars((s) => s.cpuUsPerRequest) },
    { title: 'Requests per second (higher is better; load side shares one core)', format: (v) => v.toFixed(0), bars: bars((s) => s.requestsPerSecond) },
    { title: 'p99 latency, ms (lower is better)', format: (v) => v.toFixed(2), bars: bars((s) => s.p99Us, 1 / 1000) },
  ];
}

function writeChart(outDir: string, summaries: readonly TargetSummary[], labels: Map<string, { label: string }>, footer: string): void {
  const svg = renderBarChartSvg(`Pier dataplane benchmark — ${VARIANT_TITLES['100B']}`, chartPanels(summaries, labels), footer);
  const svgPath = join(outDir, 'dataplane.svg');
  writeFileSync(svgPath, svg);
  try {
    execFileSync('rsvg-convert', ['-o', join(outDir, 'dataplane.png'), svgPath], { timeout: 30_000 });
  } catch (err) {
    console.error(`no PNG (${firstLine(err)}); the SVG is at ${svgPath}`);
  }
}

async function main(): Promise<void> {
  const options = optionsOrExit();
  if (options.parseOnly) return console.log(JSON.stringify(options));
  if (options.install) ensureTools(['nginx', 'haproxy', 'wrk', 'taskset', 'rsvg-convert']);
  const load = loadavg()[0]!;
  const failures = new Map<string, string>();
  const specs = allTargets({
    proxyCpus: PROXY_CPUS, allCpus: `${PROXY_CPUS},${LOAD_CPUS}`, pierWorkers: options.pierWorkers,
    pierEnv: options.cpuProfDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${options.cpuProfDir}` } : undefined,
  }).filter((t) => options.targets.includes(t.id));
  const labels = new Map(specs.map((s) => [s.id, { label: s.label, cpus: s.cpus === 'backend' ? LOAD_CPUS : s.cpus }]));
  const backendPort = await freePort();
  const backend = await startBackend(LOAD_CPUS, backendPort);
  const running = await startTargets(specs, backend, backendPort, failures);
  const stopAll = async () => { await Promise.all([...running.values()].map((t) => t.stop())); await backend.stop(); };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  let measurements: Measurement[] = [];
  const memory = new Map<string, ProcessMemory[]>();
  try {
    measurements = await runRounds(options, running, failures);
    for (const [id, target] of running) memory.set(id, treeMemory(target.pid));
  } finally {
    await stopAll();
  }
  const summaries = summarize(measurements);
  const ids = [...new Set(measurements.map((m) => m.target))];
  const ratios = ids.filter((id) => id.startsWith('pier')).flatMap((pier) => ids.filter((id) => id !== 'direct' && !id.startsWith('pier')).flatMap((other) => roundRatios(measurements, pier, other)))
    .sort((a, b) => options.variants.indexOf(a.variant) - options.variants.indexOf(b.variant));
  const report = renderDataplaneReport({ title: 'Dataplane benchmark', setup: setupLines(options, load, measurements), labels, summaries, memory, failures, ratios }, options.variants);
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, 'dataplane.md'), report);
  if (options.variants.includes('100B')) writeChart(options.outDir, summaries, labels, `Proxy alone on core ${PROXY_CPUS}; wrk -t1 -c${options.connections} + nginx backend on core ${LOAD_CPUS}; ${options.rounds} × ${options.durationSeconds} s; bars = median, whiskers = min–max.`);
  console.log(report);
}

await main();
