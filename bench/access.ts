/**
 * Access control cost, Pier against nginx in the same run: CPU µs per request of a route with an
 * IP allow list + basic auth (ingress-nginx's `whitelist-source-range` + `auth-type: basic`),
 * next to the same proxy without them, for an htpasswd user hashed with SHA1 (`htpasswd -s`) and
 * with apr1 (`-m`, htpasswd's default). wrk sends the right credentials on every request.
 *
 * Run: `npm run bench:access` (`node bench/access.ts [rounds] [seconds]`). Root on Linux, as
 * bench/dataplane.ts (taskset, /proc); traffic on 127.0.0.1 only. Writes bench/results/access.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INGRESS_CLASS_YAML, serviceYaml } from '../test/e2e/manifests.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { ensureTools } from './lib/ensure-tools.ts';
import { BODY_PATHS, startBackend, startNginxAccessProxy, startNginxProxy } from './lib/nginx.ts';
import { startPier } from './lib/pier.ts';
import type { PinnedProcess } from './lib/pinned-process.ts';
import { treeCpuSeconds } from './lib/proc-tree.ts';
import { runWrk } from './lib/wrk.ts';

const PROXY_CPUS = '0';
const LOAD_CPUS = '1';
const ROUNDS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.argv[3] ?? 5);
const CONNECTIONS = 64;
const USER = 'bench';
const PASSWORD = 'bench-password';
const AUTHORIZATION = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

interface Target {
  readonly id: string;
  readonly label: string;
  readonly proc: PinnedProcess;
  readonly port: number;
  readonly host: string;
}

function htpasswd(flag: string): string {
  return execFileSync('htpasswd', [flag, '-nb', USER, PASSWORD], { encoding: 'utf8' }).trim();
}

function pierManifests(backendPort: number, hashes: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pier-bench-access-'));
  const route = (name: string, annotations: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
  annotations: {${annotations}}
spec:
  ingressClassName: pier
  rules: [{ host: ${name}.local, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: backend, port: { number: 80 } } } }] } }]
`;
  const docs = [INGRESS_CLASS_YAML, serviceYaml('backend', [{ host: '127.0.0.1', port: backendPort }]), route('bench', '')];
  for (const [scheme, line] of Object.entries(hashes)) {
    docs.push(route(`access-${scheme}`, ` nginx.ingress.kubernetes.io/whitelist-source-range: "127.0.0.1/32", nginx.ingress.kubernetes.io/auth-type: basic, nginx.ingress.kubernetes.io/auth-secret: users-${scheme} `));
    docs.push(`apiVersion: v1
kind: Secret
metadata: { name: users-${scheme}, namespace: default }
type: Opaque
data: { auth: ${Buffer.from(`${line}\n`).toString('base64')} }
`);
  }
  writeFileSync(join(dir, 'bench.yaml'), docs.join('---\n'));
  return dir;
}

async function measure(target: Target): Promise<{ cpuUs: number; rps: number; errors: number }> {
  const before = treeCpuSeconds(target.proc.pid);
  const wrk = await runWrk({
    url: `http://127.0.0.1:${target.port}${BODY_PATHS['100B']}`, durationSeconds: SECONDS, connections: CONNECTIONS, threads: 1, cpus: LOAD_CPUS,
    headers: [`Host: ${target.host}`, `Authorization: ${AUTHORIZATION}`],
  });
  const cpu = treeCpuSeconds(target.proc.pid) - before;
  return { cpuUs: (cpu / wrk.requests) * 1e6, rps: wrk.requestsPerSecond, errors: wrk.errors };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  ensureTools(['nginx', 'wrk', 'taskset']);
  try {
    execFileSync('sh', ['-c', 'command -v htpasswd || (apt-get update -qq && apt-get install -y -qq apache2-utils)'], { stdio: 'ignore' });
  } catch {
    throw new Error('htpasswd (apache2-utils) is needed for the htpasswd files');
  }
  const hashes = { sha1: htpasswd('-s'), apr1: htpasswd('-m') };
  const backendPort = await freePort();
  const backend = await startBackend(LOAD_CPUS, backendPort);
  const started: PinnedProcess[] = [backend];
  const targets: Target[] = [];
  try {
    const nginxPort = await freePort();
    const nginx = await startNginxProxy(PROXY_CPUS, nginxPort, backendPort);
    started.push(nginx);
    targets.push({ id: 'nginx', label: 'nginx, no access control', proc: nginx, port: nginxPort, host: 'bench.local' });
    for (const [scheme, line] of Object.entries(hashes)) {
      const dir = mkdtempSync(join(tmpdir(), 'pier-bench-htpasswd-'));
      const file = join(dir, 'htpasswd');
      writeFileSync(file, `${line}\n`, { mode: 0o644 });
      execFileSync('chmod', ['755', dir]);
      const port = await freePort();
      const proc = await startNginxAccessProxy(PROXY_CPUS, port, backendPort, file, '127.0.0.1');
      started.push(proc);
      targets.push({ id: `nginx-${scheme}`, label: `nginx, allow + auth_basic (${scheme})`, proc, port, host: 'bench.local' });
    }
    const pierPort = await freePort();
    const pier = await startPier({ cpus: PROXY_CPUS, port: pierPort, workers: 1, manifestDir: pierManifests(backendPort, hashes) }, backendPort);
    started.push(pier);
    targets.push({ id: 'pier', label: 'Pier, no access control', proc: pier, port: pierPort, host: 'bench.local' });
    for (const scheme of Object.keys(hashes)) targets.push({ id: `pier-${scheme}`, label: `Pier, allow list + basic auth (${scheme})`, proc: pier, port: pierPort, host: `access-${scheme}.local` });

    const results = new Map<string, { cpuUs: number[]; rps: number[]; errors: number }>();
    for (const t of targets) await measure({ ...t }); // warm-up, also checks every target answers
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        const m = await measure(t);
        const r = results.get(t.id) ?? { cpuUs: [], rps: [], errors: 0 };
        r.cpuUs.push(m.cpuUs);
        r.rps.push(m.rps);
        r.errors += m.errors;
        results.set(t.id, r);
        console.error(`round ${round + 1} ${t.id}: ${m.rps.toFixed(0)} req/s, ${m.cpuUs.toFixed(1)} µs CPU/req, ${m.errors} errors`);
      }
    }
    const lines = [
      '# Access control benchmark', '',
      `${ROUNDS} rounds × ${SECONDS} s per target, order alternating per round, one warm-up each; proxy pinned to core ${PROXY_CPUS}, wrk (1 thread, ${CONNECTIONS} connections, keepalive, the right credentials on every request) and the nginx backend (100 B \`return 200\`) on core ${LOAD_CPUS}. nginx: 1 worker, the location ingress-nginx writes (\`allow 127.0.0.1; deny all; auth_basic; auth_basic_user_file\`, Authorization cleared upstream). Pier: \`pier serve --workers 1\`, \`whitelist-source-range\` + \`auth-type: basic\` from an Opaque Secret. Same htpasswd line (made by Apache's htpasswd) for both. Medians; CPU = user + system of all the proxy's processes ÷ requests.`, '',
      '| target | CPU µs/request | requests/s | errors |', '|---|---|---|---|',
      ...targets.map((t) => {
        const r = results.get(t.id)!;
        return `| ${t.label} | ${median(r.cpuUs).toFixed(1)} (${Math.min(...r.cpuUs).toFixed(1)}–${Math.max(...r.cpuUs).toFixed(1)}) | ${median(r.rps).toFixed(0)} | ${r.errors} |`;
      }),
    ];
    const cost = (id: string, base: string) => median(results.get(id)!.cpuUs) - median(results.get(base)!.cpuUs);
    lines.push('', 'Added by access control (median minus the same proxy\'s plain median): ' + Object.keys(hashes).map((s) => `${s}: nginx +${cost(`nginx-${s}`, 'nginx').toFixed(1)} µs, Pier +${cost(`pier-${s}`, 'pier').toFixed(1)} µs`).join('; ') + '.');
    lines.push('', 'Pier checks a hash once per distinct Authorization header and remembers the SHA-256 of headers that passed (basic-auth.ts); nginx runs the hash on every request (apr1: 1000 MD5 rounds).', '');
    const out = new URL('./results/access.md', import.meta.url);
    writeFileSync(out, lines.join('\n'));
    console.log(lines.join('\n'));
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
}

await main();
