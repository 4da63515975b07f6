/**
 * Route changes under keepalive load: Pier (table hot swap) against nginx (`nginx -s reload`
 * per change), side by side. Not part of the test suite.
 *
 *   node bench/reload/run.ts [--changes 100] [--clients 32] [--interval 200]
 *
 * Each of `clients` keepalive connections (undici Client, one connection each) sends GET
 * requests back to back while the route of `/` flips between two backends `changes` times,
 * one change every `interval` ms. Prints failed requests (errors and non-200 answers) per 100
 * changes, and how many extra connections clients had to open.
 */
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Client } from 'undici';
import { startNginx, startPier, type Target } from './targets.ts';

const { values } = parseArgs({ options: { changes: { type: 'string', default: '100' }, clients: { type: 'string', default: '32' }, interval: { type: 'string', default: '200' } } });
const CHANGES = Number(values.changes);
const CLIENTS = Number(values.clients);
const INTERVAL_MS = Number(values.interval);

interface Result {
  readonly target: string;
  readonly requests: number;
  readonly failed: number;
  readonly reconnects: number;
  readonly errors: Record<string, number>;
}

const backends = await Promise.all(['a', 'b'].map(startBackend));
const ports = backends.map((s) => (s.address() as AddressInfo).port);
const results: Result[] = [];

const pier = await startPier(ports);
results.push(await measure(pier));
await pier.stop();

const nginx = await startNginx(await freePort(), ports);
if (nginx) {
  results.push(await measure(nginx));
  await nginx.stop();
} else {
  console.log('nginx not installed (apt-get install -y nginx): Pier only');
}
for (const b of backends) {
  b.closeAllConnections();
  b.close();
}

console.log(`\n${CHANGES} route changes every ${INTERVAL_MS} ms, ${CLIENTS} keepalive clients back to back\n`);
console.log('target   requests   failed   failed per 100 changes   extra connections   errors');
for (const r of results) {
  const per100 = ((r.failed * 100) / CHANGES).toFixed(1);
  console.log(`${r.target.padEnd(8)} ${String(r.requests).padStart(8)}   ${String(r.failed).padStart(6)}   ${per100.padStart(22)}   ${String(r.reconnects).padStart(17)}   ${JSON.stringify(r.errors)}`);
}

async function measure(target: Target): Promise<Result> {
  const errors: Record<string, number> = {};
  let requests = 0;
  let failed = 0;
  let connects = 0;
  let stop = false;
  const clients = Array.from({ length: CLIENTS }, () => {
    const c = new Client(`http://127.0.0.1:${target.port}`, { pipelining: 1, keepAliveTimeout: 60_000 });
    c.on('connect', () => connects++);
    return c;
  });
  const loop = async (client: Client) => {
    while (!stop) {
      requests++;
      try {
        const res = await client.request({ method: 'GET', path: '/' });
        await res.body.dump();
        if (res.statusCode !== 200) fail(`HTTP ${res.statusCode}`);
      } catch (err) {
        fail((err as { code?: string }).code ?? (err as Error).message);
      }
    }
  };
  const fail = (why: string) => {
    failed++;
    errors[why] = (errors[why] ?? 0) + 1;
  };
  const load = Promise.all(clients.map(loop));
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 1; i <= CHANGES; i++) {
    const started = Date.now();
    await target.change(i % 2);
    await new Promise((r) => setTimeout(r, Math.max(0, INTERVAL_MS - (Date.now() - started))));
  }
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  await load;
  await Promise.all(clients.map((c) => c.close()));
  return { target: target.name, requests, failed, reconnects: connects - CLIENTS, errors };
}

async function startBackend(name: string): Promise<Server> {
  const server = createServer((_req, res) => res.end(name));
  server.keepAliveTimeout = 120_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function freePort(): Promise<number> {
  const s = createNetServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
