/**
 * Quick profile of one or more dataplane targets (issue 7, "then make it fast"): the nginx
 * backend on core 1, each target alone on core 0 with `--cpu-prof`, wrk (64 keepalive
 * connections, 100-byte responses) for a few seconds, then its CPU µs/request and the busy
 * time of its busiest process per layer (Pier's code, undici, node:http, write syscalls...).
 * Much faster than `npm run bench`, for before/after checks of one change; the CPU figures are
 * only comparable within one run (the machine is shared).
 *
 * Run: `node bench/profile-dataplane.ts [--targets pier-1,undici,lean] [--seconds 10] [--top 15] [--close]`
 * (targets: any of bench/dataplane.ts's; profiles are kept under /tmp/pier-profile-*).
 */
import { copyFileSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/free-port.ts';
import { readProfiles, selfTimeByLayer, topSelfTime } from './lib/cpu-profile-top.ts';
import { BODY_PATHS, startBackend } from './lib/nginx.ts';
import { treeCpuSeconds } from './lib/proc-tree.ts';
import { allTargets } from './lib/targets.ts';
import { runWrk } from './lib/wrk.ts';

const { values } = parseArgs({ options: { targets: { type: 'string' }, seconds: { type: 'string' }, top: { type: 'string' }, close: { type: 'boolean' } } });
/** --close: a new connection per request (`Connection: close`), to profile per-connection set-up. */
const headers = ['Host: bench.local', ...(values.close === true ? ['Connection: close'] : [])];
const ids = (values.targets ?? 'pier-1,undici').split(',');
const seconds = Number(values.seconds ?? 10);
const top = Number(values.top ?? 15);

/** A directory holding only the largest profile of `dir`: the busiest process (Pier's worker
 * rather than its primary). */
function busiestOnly(dir: string): { dir: string; file: string } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size);
  if (files[0] === undefined) throw new Error(`no profile written in ${dir}`);
  const only = mkdtempSync(join(tmpdir(), 'pier-profile-busiest-'));
  copyFileSync(join(dir, files[0]), join(only, files[0]));
  return { dir: only, file: join(dir, files[0]) };
}

const backendPort = await freePort();
const backend = await startBackend('1', backendPort);
try {
  for (const id of ids) {
    const dir = mkdtempSync(join(tmpdir(), `pier-profile-${id}-`));
    const env = { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` };
    const spec = allTargets({ proxyCpus: '0', allCpus: '0,1', pierWorkers: 2, pierEnv: env, peerEnv: env }).find((t) => t.id === id);
    if (spec === undefined) throw new Error(`unknown target ${id}`);
    const target = await spec.start({ port: backendPort, pid: backend.pid });
    const wrk = (s: number) => runWrk({ url: `http://127.0.0.1:${target.port}${BODY_PATHS['100B']}`, durationSeconds: s, connections: 64, threads: 1, cpus: '1', headers });
    await wrk(1);
    const cpu0 = treeCpuSeconds(target.pid);
    const result = await wrk(seconds);
    const cpuUs = ((treeCpuSeconds(target.pid) - cpu0) / result.requests) * 1e6;
    await target.stop();
    const busiest = busiestOnly(dir);
    const profiles = readProfiles(busiest.dir);
    console.log(`\n## ${spec.label}: ${result.requestsPerSecond.toFixed(0)} req/s, ${cpuUs.toFixed(1)} µs CPU/req (profile: ${busiest.file})\n`);
    console.log('| layer | self ms | share of busy time |\n|---|--:|--:|');
    for (const l of selfTimeByLayer(profiles).slice(0, 14)) console.log(`| ${l.layer} | ${l.selfMs.toFixed(0)} | ${(l.share * 100).toFixed(1)}% |`);
    console.log('\n| # | function | location | self ms | share |\n|--:|---|---|--:|--:|');
    topSelfTime(profiles, top).forEach((e, i) => console.log(`| ${i + 1} | \`${e.name}\` | ${e.location} | ${e.selfMs.toFixed(0)} | ${(e.share * 100).toFixed(1)}% |`));
  }
} finally {
  await backend.stop();
}
