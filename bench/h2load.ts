/**
 * HTTP/2 benchmark: h2load against Pier and nginx (HTTP/2 in the clear, prior knowledge) in the
 * same run, both proxying to the same nginx HTTP/1.1 backend (100-byte answers). For 1 and 100
 * streams per connection: requests/s, CPU µs per request (user + system of all the proxy's
 * processes, from /proc) and p99 latency (h2load's per-request log), with Pier/nginx ratios.
 *
 *   node bench/h2load.ts [--duration 5] [--connections 4] [--out bench/results/h2load.md]
 *
 * Runs as root on Linux (taskset); all traffic on 127.0.0.1. The proxy runs alone on core 0,
 * h2load and the backend share core 1 (as bench/dataplane.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/free-port.ts';
import { ensureTools } from './lib/ensure-tools.ts';
import { BODY_PATHS, startBackend, startNginxH2Proxy } from './lib/nginx.ts';
import { startPier } from './lib/pier.ts';
import type { PinnedProcess } from './lib/pinned-process.ts';
import { treeCpuSeconds } from './lib/proc-tree.ts';

interface Result {
  readonly target: string;
  readonly streams: number;
  readonly requests: number;
  readonly failed: number;
  readonly rps: number;
  readonly cpuUsPerRequest: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '4' },
    out: { type: 'string', default: 'bench/results/h2load.md' },
  },
});
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One h2load run (pinned to core 1); returns the per-request latencies (µs) and counts. */
function h2load(port: number, streams: number, seconds: number, h1 = false): { requests: number; failed: number; latenciesUs: number[]; rps: number } {
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

async function measure(target: string, proc: PinnedProcess, port: number, streams: number, h1 = false): Promise<Result> {
  h2load(port, streams, 1, h1); // warm-up (JIT, connections), not measured
  const before = treeCpuSeconds(proc.pid);
  const run = h2load(port, streams, DURATION, h1);
  const cpu = treeCpuSeconds(proc.pid) - before;
  return {
    target, streams, requests: run.requests, failed: run.failed, rps: run.rps,
    cpuUsPerRequest: (cpu * 1e6) / Math.max(1, run.requests),
    p50Ms: percentile(run.latenciesUs, 50) / 1000,
    p99Ms: percentile(run.latenciesUs, 99) / 1000,
  };
}

async function main(): Promise<void> {
  ensureTools(['h2load', 'nginx', 'taskset']);
  const [backendPort, nginxPort, pierPort] = [await freePort(), await freePort(), await freePort()];
  const backend = await startBackend('1', backendPort);
  const started: PinnedProcess[] = [backend];
  const results: Result[] = [];
  try {
    const nginxH1Port = await freePort();
    const nginx = await startNginxH2Proxy('0', nginxPort, backendPort, nginxH1Port);
    started.push(nginx);
    // No cap on requests per connection, as nginx's here: h2load does not reconnect after GOAWAY.
    const pier = await startPier({ cpus: '0', port: pierPort, workers: 1, args: ['--keepalive-requests', '1000000'] }, backendPort);
    started.push(pier);
    // Targets alternate within each streams setting, so drift on the shared machine hits both.
    for (const streams of [1, 100]) {
      results.push(await measure('nginx', nginx, nginxPort, streams));
      results.push(await measure('pier', pier, pierPort, streams));
    }
    // The same-run reference: HTTP/1.1 keepalive clients (h2load --h1), one request at a time.
    results.push(await measure('nginx HTTP/1.1', nginx, nginxH1Port, 1, true));
    results.push(await measure('pier HTTP/1.1', pier, pierPort, 1, true));
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
  const date = new Date().toISOString();
  const command = `node bench/h2load.ts --duration ${DURATION} --connections ${CONNECTIONS}`;
  const row = (r: Result) => `| ${r.target} | ${r.streams} | ${r.requests} | ${r.failed} | ${r.rps.toFixed(0)} | ${r.cpuUsPerRequest.toFixed(1)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} |`;
  const ratio = (label: string, nginxTarget: string, pierTarget: string, m: number) => {
    const n = results.find((r) => r.target === nginxTarget && r.streams === m)!;
    const p = results.find((r) => r.target === pierTarget && r.streams === m)!;
    return `| ${label} | ${(p.cpuUsPerRequest / n.cpuUsPerRequest).toFixed(2)} | ${(p.p99Ms / n.p99Ms).toFixed(2)} | ${(p.rps / n.rps).toFixed(2)} |`;
  };
  const ratios = [ratio('HTTP/2, 1 stream per connection', 'nginx', 'pier', 1), ratio('HTTP/2, 100 streams per connection', 'nginx', 'pier', 100), ratio('HTTP/1.1 (reference)', 'nginx HTTP/1.1', 'pier HTTP/1.1', 1)];
  const text = `# HTTP/2: Pier vs nginx (h2load, same run)

${date} — \`${command}\` (${process.platform}, Node ${process.version}, ${nginxVersion()}, h2load ${h2loadVersion()}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores).

Cleartext HTTP/2 with prior knowledge to each proxy (pinned alone to core 0: nginx 1 worker
with \`listen http2\`, Pier \`--workers 1\`), HTTP/1.1 with keepalive from each to the same nginx
backend (100-byte answer); h2load (\`-c ${CONNECTIONS} -t 1\`, ${DURATION} s after a 1 s warm-up)
and the backend share core 1. CPU µs per request = user + system CPU of all the proxy's
processes (/proc) ÷ requests done. Latency percentiles from h2load's per-request log. The
machine is shared with other work: compare ratios within this run, not absolute figures.

| target | streams per connection | requests | failed | req/s | CPU µs/req | p50 ms | p99 ms |
|---|---|---|---|---|---|---|---|
${results.map(row).join('\n')}

Pier ÷ nginx:

| run | CPU per request | p99 | req/s |
|---|---|---|---|
${ratios.join('\n')}
`;
  writeFileSync(values.out!, text);
  console.log(text);
}

function nginxVersion(): string {
  return spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '');
}
function h2loadVersion(): string {
  return spawnSync('h2load', ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0]!.replace('h2load ', '');
}

await main();
