/**
 * How Pier's work spreads over its workers (issue 7: "N workers scaling near-linearly").
 *
 * A 2-core machine cannot show throughput scaling: the load generator and the backend need the
 * cores the workers would use. What decides scaling on a bigger machine can be measured here:
 * (1) the CPU per request must not grow with the worker count (nothing shared on the request
 * path: the workers accept from one shared socket, the primary is not on the path), and (2) the
 * kernel must spread connections and so work evenly over the workers (a shared accept socket
 * can pile connections on one process). For N = 1..--max-workers, Pier serves wrk (64
 * keepalive connections, 100-byte responses) and this prints req/s, CPU µs/request of the
 * whole tree and each worker's share of the busy time.
 *
 * Run: `node bench/worker-scaling.ts [--max-workers 2] [--seconds 8] [--connections 64]`.
 */
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/free-port.ts';
import { BODY_PATHS, startBackend } from './lib/nginx.ts';
import { startPier } from './lib/pier.ts';
import { treeCpuByProcess } from './lib/proc-tree.ts';
import { runWrk } from './lib/wrk.ts';

const { values } = parseArgs({ options: { 'max-workers': { type: 'string' }, seconds: { type: 'string' }, connections: { type: 'string' }, env: { type: 'string', multiple: true } } });
/** Extra environment for Pier, `--env NAME=VALUE` (repeatable): e.g. libuv's UV_TCP_SINGLE_ACCEPT=1. */
const env = Object.fromEntries((values.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
const maxWorkers = Number(values['max-workers'] ?? 2);
const seconds = Number(values.seconds ?? 8);
const connections = Number(values.connections ?? 64);
const cpus = '0,1';

const backendPort = await freePort();
const backend = await startBackend(cpus, backendPort);
console.log(`| workers | req/s | CPU µs/req (all processes) | busy share per worker | max ÷ min |\n|--:|--:|--:|---|--:|`);
try {
  for (let n = 1; n <= maxWorkers; n++) {
    const port = await freePort();
    const pier = await startPier({ cpus, port, workers: n, env }, backendPort);
    try {
      const wrk = (s: number) => runWrk({ url: `http://127.0.0.1:${port}${BODY_PATHS['100B']}`, durationSeconds: s, connections, threads: 1, cpus, headers: ['Host: bench.local'] });
      await wrk(1);
      const before = new Map(treeCpuByProcess(pier.pid).map((p) => [p.pid, p.cpuSeconds]));
      const result = await wrk(seconds);
      const used = treeCpuByProcess(pier.pid).map((p) => ({ pid: p.pid, cpu: p.cpuSeconds - (before.get(p.pid) ?? 0) }));
      const total = used.reduce((sum, p) => sum + p.cpu, 0);
      // The root is the primary; the busy children are the workers.
      const workers = used.filter((p) => p.pid !== pier.pid).sort((a, b) => b.cpu - a.cpu).slice(0, n);
      const shares = workers.map((w) => w.cpu / total);
      const spread = Math.max(...workers.map((w) => w.cpu)) / Math.max(1e-9, Math.min(...workers.map((w) => w.cpu)));
      console.log(`| ${n} | ${result.requestsPerSecond.toFixed(0)} | ${((total / result.requests) * 1e6).toFixed(1)} | ${shares.map((s) => `${(s * 100).toFixed(0)} %`).join(' / ')} | ${spread.toFixed(2)} |`);
    } finally {
      await pier.stop();
    }
  }
} finally {
  await backend.stop();
}
