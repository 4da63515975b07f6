/**
 * The two proxies the reload benchmark drives: Pier (a route change is a published table) and
 * nginx (a route change is a rewritten config plus `nginx -s reload`, as ingress-nginx does for
 * changes it cannot apply through Lua). Both: 2 workers, keepalive to clients and backends.
 */
import { execFile, fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DEFAULT_POLICY, DEFAULT_SERVER_LIMITS, type RouteTable } from '../../src/routing/route-table.ts';

const run = promisify(execFile);

/** A proxy in front of backends `a` and `b`, listening on `port` once started. */
export interface Target {
  readonly name: string;
  readonly port: number;
  /** Routes `/` to backend `which` (0 = a, 1 = b). */
  change(which: number): Promise<void>;
  stop(): Promise<void>;
}

const WORKERS = 2;
/** High on both sides, so that every extra client connection counted is a change's doing. */
const KEEPALIVE_REQUESTS = 1_000_000;

/** Pier: the Supervisor in its own process; a change publishes a new table. */
export async function startPier(backendPorts: readonly number[]): Promise<Target> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./pier-primary.ts', import.meta.url)), [], {
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      PIER_BENCH_OPTIONS: JSON.stringify({
        workers: WORKERS,
        shutdownTimeoutMs: 5_000,
        worker: { httpPort: 0, bindAddress: '127.0.0.1', keepaliveTimeoutMs: 75_000, keepaliveRequests: KEEPALIVE_REQUESTS, accessLog: false, logLevel: 'warn' },
      }),
    },
  });
  const [first] = (await once(child, 'message')) as [{ listening: number }];
  const table = (which: number): RouteTable => ({
    virtualHosts: [{ host: '', routes: [{ path: '/', pathType: 'Prefix', backend: `b${which}`, origin: 'bench/route' }] }],
    // Both backends stay in the table, as in nginx's config: only the route changes.
    backends: backendPorts.map((port, i) => ({ id: `b${i}`, servers: [{ host: '127.0.0.1', port, ...DEFAULT_SERVER_LIMITS }], policy: DEFAULT_POLICY })),
  });
  const change = async (which: number) => {
    child.send({ table: table(which) });
    await once(child, 'message');
  };
  await change(0);
  return {
    name: 'pier',
    port: first.listening,
    change,
    stop: async () => {
      child.send('shutdown');
      await once(child, 'exit');
    },
  };
}

/** nginx, when installed: a change rewrites nginx.conf and runs `nginx -s reload`. */
export async function startNginx(port: number, backendPorts: readonly number[]): Promise<Target | undefined> {
  const bin = await run('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx']).then((r) => r.stdout.trim().split('\n')[0], () => '');
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'pier-bench-nginx-'));
  chmodSync(dir, 0o777); // nginx workers run as nobody when started by root
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, port, backendPorts, 0));
  const master = spawn(bin, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port);
  return {
    name: 'nginx',
    port,
    change: async (which) => {
      writeFileSync(conf, nginxConf(dir, port, backendPorts, which));
      await run(bin, ['-p', dir, '-c', conf, '-s', 'reload']);
    },
    stop: async () => {
      master.kill('SIGQUIT');
      await once(master, 'exit');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function nginxConf(dir: string, port: number, backendPorts: readonly number[], which: number): string {
  const upstreams = backendPorts.map((p, i) => `upstream b${i} { server 127.0.0.1:${p}; keepalive 64; }`).join('\n  ');
  return `worker_processes ${WORKERS};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  keepalive_timeout 75s;
  keepalive_requests ${KEEPALIVE_REQUESTS};
  ${upstreams}
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://b${which}; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`;
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
