/**
 * Compares the three ways N cluster workers can share a listening port, on the two things that
 * decide Pier's choice (see the comment at the top of src/supervisor/supervisor.ts):
 *
 *   1. new-connection latency while the primary's event loop is blocked (the primary also
 *      translates tables; a 10,000-Ingress translate may hold it for hundreds of ms);
 *   2. failed connections while one worker repeatedly closes its listener and listens again
 *      (what recycling a worker does), under a `Connection: close` load from wrk;
 *   plus new-connection throughput and the spread of connections over the workers.
 *
 * Run: `node bench/listen-model.ts` (needs `wrk`). Each model runs in its own primary process
 * so cluster.schedulingPolicy can differ.
 */
import cluster from 'node:cluster';
import { execFile, spawn } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

type Model = 'rr' | 'none' | 'reuseport';
const MODELS: readonly Model[] = ['rr', 'none', 'reuseport'];
const WORKERS = 2;

if (cluster.isWorker) runWorker();
else if (process.env.LISTEN_MODEL) await runPrimary(process.env.LISTEN_MODEL as Model, Number(process.env.LISTEN_PORT));
else await runAll();

async function runAll(): Promise<void> {
  const rows: string[] = [];
  for (const [i, model] of MODELS.entries()) {
    const port = 18_400 + i;
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { env: { ...process.env, LISTEN_MODEL: model, LISTEN_PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d));
      child.on('exit', () => resolve(text.trim()));
    });
    rows.push(out);
  }
  console.log('model      conn/s(close)  spread(w1/w2)  blocked-primary max connect+response ms  errors during 10 listener cycles');
  for (const r of rows) console.log(r);
}

async function runPrimary(model: Model, port: number): Promise<void> {
  cluster.schedulingPolicy = model === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: fileURLToPath(import.meta.url) });
  const workers = Array.from({ length: WORKERS }, () => cluster.fork({ LISTEN_MODEL: model, LISTEN_PORT: String(port) }));
  // Not cluster's 'listening': a reusePort worker listens on its own and the primary never hears.
  await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));

  const wrkClose = await wrk(port, ['-c', '32', '-d', '3s', '-H', 'Connection: close']);

  const spread = new Map<string, number>();
  for (let i = 0; i < 200; i++) {
    const pid = await get(port);
    spread.set(pid, (spread.get(pid) ?? 0) + 1);
  }

  // Block the primary's loop for 500 ms (a long translate) while wrk, in its own process,
  // opens new connections; its maximum latency is the stall a new client sees.
  const probe = wrk(port, ['-c', '8', '-d', '2s', '-H', 'Connection: close']);
  await sleep(500);
  const blockedStart = Date.now();
  while (Date.now() - blockedStart < 500) { /* busy */ }
  const blockedMax = (await probe).maxMs;

  // Cycle one worker's listener 10 times under a new-connection load.
  const load = wrk(port, ['-c', '32', '-d', '3s', '-H', 'Connection: close']);
  for (let i = 0; i < 10; i++) {
    await sleep(250);
    workers[0]!.send('cycle');
  }
  const cycled = await load;
  for (const w of workers) w.process.kill();
  const errors = cycled.errors + cycled.non2xx;
  console.log(`${model.padEnd(10)} ${String(wrkClose.rps).padEnd(14)} ${[...spread.values()].join('/').padEnd(14)} ${String(blockedMax).padEnd(41)} ${errors} of ${cycled.requests}`);
  process.exit(0);
}

function runWorker(): void {
  const model = process.env.LISTEN_MODEL as Model;
  const port = Number(process.env.LISTEN_PORT);
  let server: Server = start();
  function start(): Server {
    const s = createServer((_req, res) => res.end(String(process.pid)));
    s.listen({ port, host: '127.0.0.1', reusePort: model === 'reuseport' }, () => process.send!('up'));
    return s;
  }
  process.on('message', (msg) => {
    if (msg !== 'cycle') return;
    // Stop accepting (connections in flight finish), then listen again shortly after, as a
    // recycled worker's replacement would.
    server.close();
    setTimeout(() => (server = start()), 50);
  });
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

interface WrkResult { rps: number; requests: number; errors: number; non2xx: number; maxMs: number }

function wrk(port: number, args: string[]): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t', '1', ...args, `http://127.0.0.1:${port}/`], { timeout: 20_000 }, (err, stdout) => {
      if (err) return reject(err);
      const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? 0);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      resolve({
        rps: Math.round(num(/Requests\/sec:\s+([\d.]+)/)),
        requests: num(/(\d+) requests in/),
        errors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
        non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
        maxMs: latencyMaxMs(stdout),
      });
    });
  });
}

/** wrk's "Latency avg stdev max" line, max in ms. */
function latencyMaxMs(out: string): number {
  const m = /Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(out);
  if (!m) return NaN;
  return Math.round(Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's']);
}
