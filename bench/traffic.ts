/**
 * The traffic-policy benchmark: rate-limit accuracy at 1 and N workers (a client at 2× the limit
 * over one keepalive connection and over 50), the CPU cost per request of a rate-limited route,
 * and the CPU cost per request of gzip against nginx doing the same, in the same run.
 *
 * Placement as bench/dataplane.ts: the proxy under test on core 0, wrk and the nginx backend on
 * core 1 (N workers: both cores). CPU µs/req = user + system CPU of all the target's processes
 * (primary included) ÷ requests completed.
 *
 * Run: `npm run bench:traffic` (`node bench/traffic.ts --seconds 4 --rounds 2 --rate 100`).
 * Writes bench/results/traffic.md.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/free-port.ts';
import { ensureTools } from './lib/ensure-tools.ts';
import { BODY_PATHS, startBackend, startNginx } from './lib/nginx.ts';
import type { PinnedProcess } from './lib/pinned-process.ts';
import { startPier } from './lib/pier.ts';
import { treeCpuSeconds } from './lib/proc-tree.ts';
import { pacedLoad, type PacedResult } from './lib/traffic-load.ts';
import { runWrk } from './lib/wrk.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '2' },
    rate: { type: 'string', default: '100' },
    workers: { type: 'string', default: String(availableParallelism()) },
    only: { type: 'string', default: 'limits,cost,gzip' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);
const N = Number(values.workers);
const ONLY = new Set(values.only!.split(','));
const PROXY_CPUS = '0';
const LOAD_CPUS = '1';
const ALL_CPUS = '0,1';

/** Service + EndpointSlice for the backend and one Ingress per host, with annotations. */
function manifests(backendPort: number, rate: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'pier-bench-traffic-'));
  const ingress = (name: string, host: string, annotations: Record<string, string>) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
  annotations: ${JSON.stringify(annotations)}
spec:
  ingressClassName: pier
  rules: [{ host: ${host}, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: backend, port: { number: 80 } } } }] } }]
`;
  writeFileSync(join(dir, 'all.yaml'), [
    'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: { name: pier }\nspec: { controller: pier.dev/ingress-controller }\n',
    `apiVersion: v1\nkind: Service\nmetadata: { name: backend, namespace: default }\nspec: { ports: [{ name: http, port: 80 }] }\n`,
    `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: { name: backend-0, namespace: default, labels: { kubernetes.io/service-name: backend } }\naddressType: IPv4\nports: [{ name: http, port: ${backendPort} }]\nendpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }]\n`,
    ingress('plain', 'bench.local', {}),
    ingress('limited', 'rl.local', { 'nginx.ingress.kubernetes.io/limit-rps': String(rate), 'nginx.ingress.kubernetes.io/limit-burst-multiplier': '1' }),
    ingress('unreached', 'rlhigh.local', { 'nginx.ingress.kubernetes.io/limit-rps': '1000000' }),
    ingress('gzip', 'gz.local', { 'pier.dev/compression': 'gzip', 'pier.dev/compression-types': 'text/plain' }),
  ].join('---\n'));
  return dir;
}

/** nginx as the proxy: `bench.local` plain, `gz.local` with ingress-nginx's gzip settings. */
function startNginxGzip(port: number, backendPort: number): Promise<PinnedProcess> {
  return startNginx('gzip-proxy', PROXY_CPUS, port, `
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    server_name bench.local;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {
    listen 127.0.0.1:${port};
    server_name gz.local;
    gzip on; gzip_comp_level 1; gzip_http_version 1.1; gzip_min_length 256; gzip_types text/plain; gzip_proxied any; gzip_vary on;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`, BODY_PATHS['100B']);
}

interface Cost {
  readonly label: string;
  readonly cpuUs: number[];
  readonly rps: number[];
  readonly bytes?: number;
}

let errorsSeen = 0;

async function cpuPerRequest(pid: number, port: number, host: string, path: string, headers: string[], cpus: string): Promise<{ cpuUs: number; rps: number }> {
  const before = treeCpuSeconds(pid);
  const wrk = await runWrk({ url: `http://127.0.0.1:${port}${path}`, durationSeconds: SECONDS, connections: 64, threads: 1, cpus, headers: [`Host: ${host}`, ...headers] });
  // Errors (timeouts on a loaded machine, non-2xx) are reported, not fatal: the figure is per
  // completed request either way.
  if (wrk.errors > 0) console.error(`${host}${path}: ${wrk.errors} wrk errors of ${wrk.requests}`);
  errorsSeen += wrk.errors;
  return { cpuUs: ((treeCpuSeconds(pid) - before) / wrk.requests) * 1e6, rps: wrk.requestsPerSecond };
}

/** Response body size for one request (to show both proxies compress alike). */
function bodyBytes(port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers: { host, 'accept-encoding': 'gzip' }, agent: false }, (res) => {
      let n = 0;
      res.on('data', (d: Buffer) => (n += d.length));
      res.on('end', () => resolve(n));
    }).on('error', reject);
  });
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (xs: readonly number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;

async function main(): Promise<void> {
  ensureTools(['nginx', 'wrk', 'taskset']);
  const load = loadavg()[0]!;
  const backendPort = await freePort();
  const backend = await startBackend(LOAD_CPUS, backendPort);
  const dir = manifests(backendPort, RATE);
  const lines: string[] = ['# Traffic policies: rate-limit accuracy, and what rate limiting and gzip cost', ''];
  lines.push(`${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${availableParallelism()} cores (shared with other jobs; load average ${load.toFixed(2)} at start), Node ${process.versions.node}. \`node bench/traffic.ts --seconds ${SECONDS} --rounds ${ROUNDS} --rate ${RATE} --workers ${N}\`.`, '');
  try {
    if (ONLY.has('limits')) lines.push(...(await limitsSection(backendPort, dir)));
    if (ONLY.has('cost')) lines.push(...(await limitCostSection(backendPort, dir)));
    if (ONLY.has('gzip')) lines.push(...(await gzipSection(backendPort, dir)));
  } finally {
    await backend.stop();
  }
  lines.push(`wrk errors over the whole run (socket timeouts at 2 s, non-2xx): ${errorsSeen}.`);
  const out = new URL('./results/traffic.md', import.meta.url);
  writeFileSync(out, `${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
}

async function limitsSection(backendPort: number, dir: string): Promise<string[]> {
  const burst = RATE; // multiplier 1
  const rows: string[] = [];
  let client = 10;
  for (const workers of [1, N]) {
    const port = await freePort();
    const pier = await startPier({ cpus: workers === 1 ? PROXY_CPUS : ALL_CPUS, port, workers, manifestDir: dir }, backendPort);
    try {
      for (const connections of [1, 50]) {
        for (let round = 1; round <= ROUNDS; round++) {
          // Each run is a new client (its own loopback address): a full bucket to start from.
          const r: PacedResult = await pacedLoad(port, 'rl.local', `127.0.0.${client++}`, RATE * 2, SECONDS, connections);
          const expected = Math.min(r.sent, burst + 1 + RATE * r.seconds);
          const ratio = r.admitted / expected;
          rows.push(`| ${workers} | ${connections} | ${round} | ${r.sent} | ${r.admitted} | ${expected.toFixed(0)} | ${(ratio * 100).toFixed(1)} % | ${r.refused} | ${r.other} |`);
          console.error(rows.at(-1));
        }
      }
    } finally {
      await pier.stop();
    }
  }
  return [
    '## Rate-limit accuracy', '',
    `\`limit-rps: "${RATE}"\`, \`limit-burst-multiplier: "1"\` (burst ${burst}, nodelay, as ingress-nginx). One client address sends at 2× the limit (${RATE * 2}/s, paced) for ${SECONDS} s, over one keepalive connection or round-robin over 50 (spread across the workers by the shared accept socket). Expected = nginx's answer for that arrival pattern: burst + 1 at once, then the rate (${burst} + 1 + ${RATE} × elapsed s). Refusals answer 503.`, '',
    '| workers | connections | round | sent | admitted | expected (nginx) | admitted / expected | refused (503) | other |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows, '',
  ];
}

async function limitCostSection(backendPort: number, dir: string): Promise<string[]> {
  const costs: Cost[] = [];
  for (const workers of [1, N]) {
    const port = await freePort();
    const cpus = workers === 1 ? PROXY_CPUS : ALL_CPUS;
    const pier = await startPier({ cpus, port, workers, manifestDir: dir }, backendPort);
    try {
      const plain: Cost = { label: `Pier, ${workers} worker${workers > 1 ? 's' : ''}: no policy`, cpuUs: [], rps: [] };
      const limited: Cost = { label: `Pier, ${workers} worker${workers > 1 ? 's' : ''}: limit-rps (never reached)`, cpuUs: [], rps: [] };
      await cpuPerRequest(pier.pid, port, 'bench.local', BODY_PATHS['100B'], [], LOAD_CPUS); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        for (const [cost, host] of (round % 2 === 0 ? [[plain, 'bench.local'], [limited, 'rlhigh.local']] : [[limited, 'rlhigh.local'], [plain, 'bench.local']]) as [Cost, string][]) {
          const m = await cpuPerRequest(pier.pid, port, host, BODY_PATHS['100B'], [], LOAD_CPUS);
          cost.cpuUs.push(m.cpuUs);
          cost.rps.push(m.rps);
          console.error(`${cost.label}: ${m.cpuUs.toFixed(1)} µs/req, ${m.rps.toFixed(0)} req/s`);
        }
      }
      costs.push(plain, limited);
    } finally {
      await pier.stop();
    }
  }
  return [
    '## What a rate-limited route costs', '',
    `wrk (1 thread, 64 keepalive connections, one client address) for ${SECONDS} s per run, ${ROUNDS} runs per row alternating; 100 B responses. \`limit-rps: "1000000"\` is never reached, so every request takes the whole path: the filter, a leased token, and (with ${N} workers) the IPC to the primary once per lease (a lease is at least 64 requests here, more for a busy worker). CPU of all Pier's processes, primary included. Medians (min–max).`, '',
    '| route | CPU µs/req | req/s |', '|---|---:|---:|',
    ...costs.map((c) => `| ${c.label} | ${fmt(c.cpuUs)} | ${median(c.rps).toFixed(0)} |`), '',
  ];
}

async function gzipSection(backendPort: number, dir: string): Promise<string[]> {
  const nginxPort = await freePort();
  const nginx = await startNginxGzip(nginxPort, backendPort);
  const pierPort = await freePort();
  const pier = await startPier({ cpus: PROXY_CPUS, port: pierPort, workers: 1, manifestDir: dir }, backendPort);
  const rows: string[] = [];
  try {
    for (const [variant, path] of [['1 KiB', BODY_PATHS['1KiB']], ['100 KiB', BODY_PATHS['100KiB']]] as const) {
      const targets: [string, PinnedProcess, number, string][] = [
        ['nginx', nginx, nginxPort, 'bench.local'], ['nginx gzip', nginx, nginxPort, 'gz.local'],
        ['Pier', pier, pierPort, 'bench.local'], ['Pier gzip', pier, pierPort, 'gz.local'],
      ];
      const results = new Map<string, Cost>();
      for (const [label, , port, host] of targets) results.set(label, { label, cpuUs: [], rps: [], bytes: await bodyBytes(port, host, path) });
      for (const [, proc, port, host] of targets) await cpuPerRequest(proc.pid, port, host, path, ['Accept-Encoding: gzip'], LOAD_CPUS); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < targets.length; i++) {
          const [label, proc, port, host] = targets[(i + round) % targets.length]!;
          const m = await cpuPerRequest(proc.pid, port, host, path, ['Accept-Encoding: gzip'], LOAD_CPUS);
          results.get(label)!.cpuUs.push(m.cpuUs);
          results.get(label)!.rps.push(m.rps);
          console.error(`${variant} ${label}: ${m.cpuUs.toFixed(1)} µs/req, ${m.rps.toFixed(0)} req/s`);
        }
      }
      const of = (label: string) => median(results.get(label)!.cpuUs);
      for (const c of results.values()) rows.push(`| ${variant} | ${c.label} | ${c.bytes} | ${fmt(c.cpuUs)} | ${median(c.rps).toFixed(0)} |`);
      rows.push(`| ${variant} | **gzip's own cost** | | nginx +${(of('nginx gzip') - of('nginx')).toFixed(1)}, Pier +${(of('Pier gzip') - of('Pier')).toFixed(1)} (${((of('Pier gzip') - of('Pier')) / (of('nginx gzip') - of('nginx'))).toFixed(2)}× nginx's) | |`);
    }
  } finally {
    await pier.stop();
    await nginx.stop();
  }
  return [
    '## gzip: CPU per request against nginx', '',
    `Both proxies on core 0 (Pier 1 worker), each with a plain host and a gzip host in front of the same nginx backend (static text/plain files); \`Accept-Encoding: gzip\` on every request. nginx: ingress-nginx's settings (\`gzip_comp_level 1\`, \`gzip_min_length 256\`, \`gzip_proxied any\`, \`gzip_vary on\`); Pier: \`pier.dev/compression: gzip\` (level 1; both bodies have a known length ≤ 128 KiB, so Pier compresses each in one node:zlib call when it is complete; longer or unknown-length bodies stream through a zlib stream on the libuv thread pool, which this table does not measure). wrk 64 connections, ${SECONDS} s per run, ${ROUNDS} runs per row, rotating. Medians (min–max).`, '',
    '| body | target | bytes sent | CPU µs/req | req/s |', '|---|---|---:|---:|---:|',
    ...rows, '',
  ];
}

await main();
