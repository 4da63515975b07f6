/**
 * HTTP/2 benchmark: h2load against Pier and nginx (HTTP/2 in the clear, prior knowledge) in the
 * same run, both proxying to the same nginx HTTP/1.1 backend (100-byte answers). For 1 and 100
 * streams per connection: requests/s, CPU µs per request (user + system of all the proxy's
 * processes, from /proc) and p99 latency (h2load's per-request log), with Pier/nginx ratios.
 *
 * Also in the same run: the floor of node:http2 (bench/peers/node-h2-floor.ts, a bare
 * node:http2 server answering 100 B itself, no upstream; once at once and once a turn later, as
 * a proxy answers: what node:http2 alone charges for that), another Pier checkout for before/after
 * figures when BENCH_PIER_BASE names one, and HTTP/1.1 keepalive clients (h2load --h1) to nginx
 * and Pier as the reference.
 *
 *   node bench/h2load.ts [--duration 5] [--rounds 3] [--connections 4] [--out bench/results/h2load.md]
 *
 * Runs as root on Linux (taskset); all traffic on 127.0.0.1. Each target runs alone on core 0,
 * h2load and the backend share core 1 (as bench/dataplane.ts). Targets alternate within each
 * round and each figure is the median over the rounds, so drift on a shared machine hits all.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/free-port.ts';
import { ensureTools } from './lib/ensure-tools.ts';
import { BODY_PATHS, startBackend, startNginxH2Proxy } from './lib/nginx.ts';
import { startPier, upstreamManifestDir } from './lib/pier.ts';
import { startPinned, type PinnedProcess } from './lib/pinned-process.ts';
import { treeCpuSeconds } from './lib/proc-tree.ts';
import { spread } from './lib/summary.ts';

interface Run {
  readonly requests: number;
  readonly failed: number;
  readonly rps: number;
  readonly cpuUsPerRequest: number;
  readonly p99Ms: number;
}

/** A started target and the port it takes load on. */
interface Target {
  readonly label: string;
  readonly proc: PinnedProcess;
  readonly port: number;
}

/** One row of the report: a target under one kind of load. */
interface Row {
  readonly target: Target;
  readonly streams: number;
  readonly h1: boolean;
  readonly runs: Run[];
}

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '4' },
    out: { type: 'string', default: 'bench/results/h2load.md' },
  },
});
const DURATION = Number(values.duration);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const BASE = process.env.BENCH_PIER_BASE;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One h2load run (pinned to core 1); returns the per-request latencies (µs) and counts. */
function h2load(port: number, streams: number, seconds: number, h1: boolean): { requests: number; failed: number; latenciesUs: number[]; rps: number } {
  const dir = mkdtempSync(join(tmpdir(), 'pier-h2load-'));
  const log = join(dir, 'log');
  try {
    const out = execFileSync('taskset', [
      '-c', '1', 'h2load', '-c', String(CONNECTIONS), '-m', String(streams), '-t', '1', '-D', String(seconds),
      '-H', ':authority: bench.local', '--log-file', log, ...(h1 ? ['--h1'] : []), `http://127.0.0.1:${port}${BODY_PATHS['100B']}`,
    ], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const done = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed/.exec(out);
    const rps = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out);
    if (!done || !rps) throw new Error(`unexpected h2load output:\n${out}`);
    const latenciesUs = readFileSync(log, 'utf8').trim().split('\n').map((l) => Number(l.split('\t')[2])).filter((n) => Number.isFinite(n)).sort((a, b) => a - b);
    return { requests: Number(done[2]), failed: Number(done[3]), latenciesUs, rps: Number(rps[1]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function measure(row: Row): void {
  const { proc, port } = row.target;
  h2load(port, row.streams, 1, row.h1); // warm-up (JIT, connections), not measured
  const before = treeCpuSeconds(proc.pid);
  const run = h2load(port, row.streams, DURATION, row.h1);
  const cpu = treeCpuSeconds(proc.pid) - before;
  row.runs.push({
    requests: run.requests, failed: run.failed, rps: run.rps,
    cpuUsPerRequest: (cpu * 1e6) / Math.max(1, run.requests),
    p99Ms: percentile(run.latenciesUs, 99) / 1000,
  });
}

/** The node:http2 floor peer, up once it printed its port. */
async function startFloor(port: number, deferred = false): Promise<PinnedProcess> {
  const file = fileURLToPath(new URL('./peers/node-h2-floor.ts', import.meta.url));
  const proc = startPinned('0', process.execPath, [file, '0', String(port), ...(deferred ? ['deferred'] : [])]);
  const deadline = Date.now() + 20_000;
  while (!proc.output().includes('"port"')) {
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      await proc.stop();
      throw new Error(`node-h2-floor did not start:\n${proc.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return proc;
}

const median = (row: Row, pick: (r: Run) => number) => spread(row.runs.map(pick)).median;

async function main(): Promise<void> {
  ensureTools(['h2load', 'nginx', 'taskset']);
  const backendPort = await freePort();
  const backend = await startBackend('1', backendPort);
  const started: PinnedProcess[] = [backend];
  const rows: Row[] = [];
  try {
    const [nginxPort, nginxH1Port, pierPort, basePort, floorPort, laterPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const nginx = await startNginxH2Proxy('0', nginxPort, backendPort, nginxH1Port);
    started.push(nginx);
    // No cap on requests per connection, as nginx's here: h2load does not reconnect after GOAWAY.
    const pierArgs = ['--keepalive-requests', '1000000'];
    // The backend as an Upstream with nginx's `keepalive 128` (the default is 64): at 100 streams
    // per connection, 400 requests are in flight and the idle cap decides how many upstream
    // connections open and close.
    const pier = await startPier({ cpus: '0', port: pierPort, workers: 1, args: pierArgs, manifestDir: upstreamManifestDir(backendPort) }, backendPort);
    started.push(pier);
    const targets: Target[] = [{ label: 'nginx', proc: nginx, port: nginxPort }, { label: 'pier', proc: pier, port: pierPort }];
    if (BASE !== undefined) {
      const base = await startPier({ cpus: '0', port: basePort, workers: 1, args: pierArgs, bin: join(BASE, 'bin/pier.js'), manifestDir: upstreamManifestDir(backendPort) }, backendPort);
      started.push(base);
      targets.push({ label: 'pier before (BENCH_PIER_BASE)', proc: base, port: basePort });
    }
    const floor = await startFloor(floorPort);
    started.push(floor);
    targets.push({ label: 'node:http2 floor', proc: floor, port: floorPort });
    const later = await startFloor(laterPort, true);
    started.push(later);
    targets.push({ label: 'node:http2 floor, answered a turn later', proc: later, port: laterPort });
    for (const streams of [1, 100]) for (const target of targets) rows.push({ target, streams, h1: false, runs: [] });
    // The same-run reference: HTTP/1.1 keepalive clients (h2load --h1), one request at a time.
    rows.push({ target: { ...targets[0]!, label: 'nginx HTTP/1.1', port: nginxH1Port }, streams: 1, h1: true, runs: [] });
    rows.push({ target: { ...targets[1]!, label: 'pier HTTP/1.1' }, streams: 1, h1: true, runs: [] });
    for (let round = 0; round < ROUNDS; round++) for (const row of rows) measure(row);
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
  const text = report(rows);
  writeFileSync(values.out!, text);
  console.log(text);
}

function report(rows: readonly Row[]): string {
  const date = new Date().toISOString();
  const command = `${BASE !== undefined ? 'BENCH_PIER_BASE=… ' : ''}node bench/h2load.ts --duration ${DURATION} --rounds ${ROUNDS} --connections ${CONNECTIONS}`;
  const line = (r: Row) => {
    const cpu = spread(r.runs.map((x) => x.cpuUsPerRequest));
    const requests = r.runs.reduce((s, x) => s + x.requests, 0);
    const failed = r.runs.reduce((s, x) => s + x.failed, 0);
    return `| ${r.target.label} | ${r.streams} | ${requests} | ${failed} | ${median(r, (x) => x.rps).toFixed(0)} | ${cpu.median.toFixed(1)} (${cpu.min.toFixed(1)}–${cpu.max.toFixed(1)}) | ${median(r, (x) => x.p99Ms).toFixed(2)} |`;
  };
  const find = (label: string, streams: number) => rows.find((r) => r.target.label === label && r.streams === streams);
  const ratios: string[] = [];
  for (const [label, ref, streams] of [
    ['pier', 'nginx', 1], ['pier', 'nginx', 100], ['pier before (BENCH_PIER_BASE)', 'nginx', 1], ['pier before (BENCH_PIER_BASE)', 'nginx', 100],
    ['node:http2 floor', 'nginx', 1], ['node:http2 floor', 'nginx', 100],
    ['node:http2 floor, answered a turn later', 'node:http2 floor', 1], ['node:http2 floor, answered a turn later', 'node:http2 floor', 100],
    ['pier HTTP/1.1', 'nginx HTTP/1.1', 1],
  ] as const) {
    const a = find(label, streams);
    const b = find(ref, streams);
    if (a === undefined || b === undefined) continue;
    const cpu = median(a, (x) => x.cpuUsPerRequest) / median(b, (x) => x.cpuUsPerRequest);
    const least = (r: Row) => Math.min(...r.runs.map((x) => x.cpuUsPerRequest));
    const p99 = median(a, (x) => x.p99Ms) / median(b, (x) => x.p99Ms);
    const rps = median(a, (x) => x.rps) / median(b, (x) => x.rps);
    ratios.push(`| ${label} ÷ ${ref} | ${streams} | ${cpu.toFixed(2)} | ${(least(a) / least(b)).toFixed(2)} | ${p99.toFixed(2)} | ${rps.toFixed(2)} |`);
  }
  return `# HTTP/2: Pier vs nginx (h2load, same run)

${date} — \`${command}\` (${process.platform}, Node ${process.version}, ${nginxVersion()}, h2load ${h2loadVersion()}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores).

Cleartext HTTP/2 with prior knowledge to each target (pinned alone to core 0: nginx 1 worker
with \`listen http2\`, Pier \`--workers 1\`), HTTP/1.1 with keepalive from each proxy to the same
nginx backend (100-byte answer; both keep at most 128 idle upstream connections: nginx
\`keepalive 128\`, Pier an Upstream with \`keepalive.connections: 128\`); the node:http2 floor
answers the 100 bytes itself, at once or a turn later (setImmediate, as a proxy answers once
its upstream did). h2load (\`-c ${CONNECTIONS} -t 1\`, ${DURATION} s after a 1 s warm-up)
and the backend share core 1. CPU µs per request = user + system CPU of all the target's
processes (/proc) ÷ requests done: median over ${ROUNDS} rounds (targets alternate within a
round), range in brackets. p99 from h2load's per-request log. The machine is shared with other
work: compare ratios within this run, not absolute figures.

| target | streams per connection | requests | failed | req/s | CPU µs/req | p99 ms |
|---|---|---|---|---|---|---|
${rows.map(line).join('\n')}

Ratios of the medians (CPU also as the ratio of the lowest round of each target: on a shared
machine, the round least disturbed by other work):

| run | streams per connection | CPU per request | CPU, lowest rounds | p99 | req/s |
|---|---|---|---|---|---|
${ratios.join('\n')}
`;
}

function nginxVersion(): string {
  return spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '');
}
function h2loadVersion(): string {
  return spawnSync('h2load', ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0]!.replace('h2load ', '');
}

await main();
