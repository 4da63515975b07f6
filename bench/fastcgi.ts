/**
 * The FastCGI benchmark: Pier → php-fpm against nginx → the same php-fpm (`fastcgi_pass` with
 * `fastcgi_keep_conn on` and upstream `keepalive`), with wrk over loopback, in ONE run with the
 * targets alternating per round. The proxy under test runs alone on core 0; wrk and php-fpm share
 * core 1, so php-fpm's own cost is excluded: the figure compared is the CPU time of the proxy's
 * processes (from /proc) per request, plus p99, as ratios Pier ÷ nginx.
 *
 * Run: `npm run bench:fastcgi -- [--rounds N] [--duration S] [--connections C]`. Writes
 * bench/results/fastcgi.md.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { INGRESS_CLASS_YAML } from '../test/e2e/manifests.ts';
import { upstreamIngressYaml } from '../test/e2e/upstream-backends.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { ensureTools } from './lib/ensure-tools.ts';
import { startPier } from './lib/pier.ts';
import { startPinned, waitForHttp, type PinnedProcess } from './lib/pinned-process.ts';
import { treeCpuSeconds } from './lib/proc-tree.ts';
import { runWrk } from './lib/wrk.ts';

const PROXY_CPUS = '0';
const LOAD_CPUS = '1';
const HOST = 'bench.local';
const PATH = '/hello.php';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '16' },
    children: { type: 'string', default: '32' },
    out: { type: 'string', default: new URL('./results/', import.meta.url).pathname },
    /** Profile Pier's processes (written when they exit; `node bench/profile-top.ts DIR`). */
    'cpu-prof': { type: 'string' },
    targets: { type: 'string', default: 'nginx,pier' },
  },
});
const rounds = Number(args.rounds);
const seconds = Number(args.duration);
const connections = Number(args.connections);

/** php-fpm pinned to the load core; static children, more than wrk's connections (see FcgiPool on pinning). */
async function startFpm(dir: string, port: number): Promise<PinnedProcess> {
  const fpm = ['php-fpm', 'php-fpm8.4', 'php-fpm8.3', 'php-fpm8.2'].find((b) => {
    try {
      execFileSync('sh', ['-c', `command -v ${b}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (fpm === undefined) throw new Error('php-fpm not found (apt-get install php-fpm)');
  const root = process.getuid?.() === 0;
  writeFileSync(join(dir, 'www', 'hello.php'), '<?php\necho str_repeat("x", 99), "\\n";\n');
  writeFileSync(join(dir, 'php-fpm.conf'), [
    '[global]', `pid = ${dir}/fpm.pid`, `error_log = ${dir}/fpm.log`, 'daemonize = no',
    '[bench]', ...(root ? ['user = root', 'group = root'] : []), `listen = 127.0.0.1:${port}`, 'listen.backlog = 1024',
    'pm = static', `pm.max_children = ${args.children}`, 'pm.max_requests = 0', '',
  ].join('\n'));
  return startPinned(LOAD_CPUS, fpm, ['--nodaemonize', '--fpm-config', join(dir, 'php-fpm.conf'), ...(root ? ['-R'] : [])]);
}

async function startNginx(dir: string, port: number, fpmPort: number): Promise<PinnedProcess> {
  const prefix = join(dir, 'nginx');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  writeFileSync(join(prefix, 'nginx.conf'), `daemon off;
master_process on;
worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body; fastcgi_temp_path ${prefix}/fastcgi; proxy_temp_path ${prefix}/proxy;
  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  keepalive_requests 100000000;
  upstream php { server 127.0.0.1:${fpmPort}; keepalive 64; keepalive_requests 100000000; }
  server {
    listen 127.0.0.1:${port};
    server_name ${HOST};
    root ${dir}/www;
    location ~ [^/]\\.php(/|$) {
      fastcgi_split_path_info ^(.+?\\.php)(/.*)$;
      set $path_info $fastcgi_path_info;
      fastcgi_param PATH_INFO $path_info;
      fastcgi_index index.php;
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_keep_conn on;
      fastcgi_pass php;
    }
  }
}
`);
  const proc = startPinned(PROXY_CPUS, 'nginx', ['-p', prefix, '-e', `${prefix}/logs/error.log`, '-c', join(prefix, 'nginx.conf')]);
  await waitForHttp(proc, `http://127.0.0.1:${port}${PATH}`, 20_000, HOST);
  return proc;
}

async function startPierTarget(dir: string, port: number, fpmPort: number): Promise<PinnedProcess> {
  const manifests = join(dir, 'manifests');
  mkdirSync(manifests);
  const upstream = stringify({
    apiVersion: 'pier.dev/v1alpha1', kind: 'Upstream', metadata: { name: 'bench', namespace: 'default' },
    spec: { servers: [{ address: '127.0.0.1', port: fpmPort }], protocol: 'FastCGI', fastcgi: { documentRoot: join(dir, 'www') }, keepalive: { connections: 64, requests: 0 } },
  });
  const ingress = upstreamIngressYaml('bench').replace('bench.example', HOST);
  writeFileSync(join(manifests, 'bench.yaml'), [INGRESS_CLASS_YAML, upstream, ingress].join('---\n'));
  const env = args['cpu-prof'] === undefined ? undefined : { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${args['cpu-prof']}` };
  return startPier({ cpus: PROXY_CPUS, port, workers: 1, manifestDir: manifests, probe: { host: HOST, path: PATH }, ...(env ? { env } : {}) }, 0);
}

interface Row { target: string; round: number; rps: number; p50Us: number; p99Us: number; cpuUs: number; errors: number }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  ensureTools(['nginx', 'wrk', 'taskset']);
  const load = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'pier-bench-fastcgi-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'www'), { mode: 0o755 });
  const [fpmPort, nginxPort, pierPort] = [await freePort(), await freePort(), await freePort()];
  const fpm = await startFpm(dir, fpmPort);
  const targets = new Map<string, { proc: PinnedProcess; port: number }>();
  try {
    const wanted = args.targets!.split(',');
    if (wanted.includes('nginx')) targets.set('nginx', { proc: await startNginx(dir, nginxPort, fpmPort), port: nginxPort });
    if (wanted.includes('pier')) targets.set('pier', { proc: await startPierTarget(dir, pierPort, fpmPort), port: pierPort });
    const rows: Row[] = [];
    for (let round = 1; round <= rounds; round++) {
      const ids = [...targets.keys()];
      const order = round % 2 === 1 ? ids : ids.reverse();
      for (const id of order) {
        const t = targets.get(id)!;
        const wrk = (s: number) => runWrk({ url: `http://127.0.0.1:${t.port}${PATH}`, durationSeconds: s, connections, threads: 1, cpus: LOAD_CPUS, headers: [`Host: ${HOST}`] });
        if (round === 1) await wrk(Number(args.warmup));
        const before = treeCpuSeconds(t.proc.pid);
        const r = await wrk(seconds);
        const cpu = treeCpuSeconds(t.proc.pid) - before;
        const row = { target: id, round, rps: r.requestsPerSecond, p50Us: r.p50Us, p99Us: r.p99Us, cpuUs: r.requests > 0 ? (cpu / r.requests) * 1e6 : NaN, errors: r.errors };
        rows.push(row);
        console.error(`round ${round} ${id}: ${row.rps.toFixed(0)} req/s, p99 ${(row.p99Us / 1000).toFixed(2)} ms, ${row.cpuUs.toFixed(1)} µs CPU/req, ${row.errors} errors`);
      }
    }
    if (targets.size === 2) writeReport(rows, load);
  } finally {
    await Promise.all([...targets.values()].map((t) => t.proc.stop()));
    await fpm.stop();
  }
}

function writeReport(rows: Row[], load: number): void {
  const of = (id: string, pick: (r: Row) => number) => rows.filter((r) => r.target === id).map(pick);
  const line = (id: string, label: string) => {
    const m = (pick: (r: Row) => number) => median(of(id, pick));
    const range = (pick: (r: Row) => number, f: (v: number) => string) => `${f(m(pick))} (${f(Math.min(...of(id, pick)))}–${f(Math.max(...of(id, pick)))})`;
    return `| ${label} | ${range((r) => r.cpuUs, (v) => v.toFixed(1))} | ${range((r) => r.rps, (v) => v.toFixed(0))} | ${(m((r) => r.p50Us) / 1000).toFixed(2)} | ${range((r) => r.p99Us / 1000, (v) => v.toFixed(2))} | ${of(id, (r) => r.errors).reduce((a, b) => a + b, 0)} |`;
  };
  const ratio = (pick: (r: Row) => number) => (median(of('pier', pick)) / median(of('nginx', pick))).toFixed(2);
  const cpu = /model name\s*:\s*(.+)/.exec(execFileSync('cat', ['/proc/cpuinfo'], { encoding: 'utf8' }))?.[1] ?? '?';
  const nginxVersion = execFileSync('sh', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' }).trim().replace('nginx version: ', '');
  const report = `# FastCGI benchmark: Pier → php-fpm vs nginx → the same php-fpm

${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpu}, ${availableParallelism()} cores, Node ${process.versions.node}, ${nginxVersion}, load average at start ${load.toFixed(2)}.

Command: \`npm run bench:fastcgi -- --rounds ${rounds} --duration ${seconds} --connections ${connections}\`

Placement: the proxy alone on core ${PROXY_CPUS} (nginx: 1 worker, \`fastcgi_keep_conn on\`, \`keepalive 64\`;
Pier: \`--workers 1\`, Upstream \`protocol: FastCGI\`, keepalive 64); wrk (1 thread, ${connections} connections) and
php-fpm (pm static, ${args.children} children) on core ${LOAD_CPUS}. \`GET ${PATH}\` answers 100 bytes from PHP. Targets
alternate within each round; ${rounds} rounds × ${seconds} s, medians with min–max. CPU µs/req = user + system CPU of
the proxy's processes ÷ requests (php-fpm's cost is on the other core and not counted).

| target | CPU µs/req (proxy core) | req/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|---|
${line('nginx', 'nginx → php-fpm')}
${line('pier', 'Pier → php-fpm')}

**Ratios Pier ÷ nginx (same run):** CPU per request ${ratio((r) => r.cpuUs)}×, p99 ${ratio((r) => r.p99Us)}×, requests/s ${ratio((r) => r.rps)}×.
Target: CPU per request at most 1.5×.
`;
  mkdirSync(args.out!, { recursive: true });
  writeFileSync(join(args.out!, 'fastcgi.md'), report);
  console.log(report);
}

await main();
