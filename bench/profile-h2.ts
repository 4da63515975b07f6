/**
 * Quick profile of Pier's HTTP/2 front: the nginx backend on core 1, Pier (`--workers 1`,
 * `--cpu-prof`, the backend as an Upstream with nginx's `keepalive 128`) alone on core 0, h2load (h2c, 4 connections, `--streams` per connection) on
 * core 1 for a few seconds; then Pier's CPU µs/request and the busiest process's self time per
 * layer and per function. For before/after checks of one change (figures comparable within one
 * run only: the machine is shared).
 *
 * Run: `node bench/profile-h2.ts [--streams 1] [--seconds 5] [--top 25] [--h1]`
 * (`PROFILE_KEEPALIVE=N`: the Upstream's keepalive.connections, default 128; 0 opens an upstream
 * connection per request, to profile connection set-up)
 * (profiles are kept under /tmp/pier-profile-h2-*).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/free-port.ts';
import { readProfiles, selfTimeByLayer, topSelfTime } from './lib/cpu-profile-top.ts';
import { BODY_PATHS, startBackend } from './lib/nginx.ts';
import { startPier, upstreamManifestDir } from './lib/pier.ts';
import { treeCpuSeconds } from './lib/proc-tree.ts';

const { values } = parseArgs({ options: { streams: { type: 'string' }, seconds: { type: 'string' }, top: { type: 'string' }, h1: { type: 'boolean' } } });
const streams = Number(values.streams ?? 1);
const seconds = Number(values.seconds ?? 5);
const top = Number(values.top ?? 25);
/** --h1: HTTP/1.1 keepalive clients instead (h2load --h1), the same-run reference. */
const h1 = values.h1 === true;

/** Microseconds on the monotonic clock V8's profiler stamps samples with. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** `profile` with only the samples taken between `fromUs` and `toUs` (monotonic clock). */
function samplesBetween<P extends { startTime?: number; samples: readonly number[]; timeDeltas: readonly number[] }>(profile: P, fromUs: number, toUs: number): P {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let t = profile.startTime ?? 0;
  profile.timeDeltas.forEach((d, i) => {
    t += d;
    if (t >= fromUs && t <= toUs) {
      samples.push(profile.samples[i]!);
      timeDeltas.push(d);
    }
  });
  return { ...profile, samples, timeDeltas };
}

function h2load(port: number, s: number): number {
  const out = execFileSync('taskset', ['-c', '1', 'h2load', '-c', '4', '-m', String(streams), '-t', '1', '-D', String(s),
    '-H', ':authority: bench.local', ...(h1 ? ['--h1'] : []), `http://127.0.0.1:${port}${BODY_PATHS['100B']}`], { encoding: 'utf8' });
  const done = /(\d+) succeeded/.exec(out);
  if (!done) throw new Error(`unexpected h2load output:\n${out}`);
  return Number(done[1]);
}

const backendPort = await freePort();
const backend = await startBackend('1', backendPort);
try {
  const dir = mkdtempSync(join(tmpdir(), 'pier-profile-h2-'));
  const port = await freePort();
  const pier = await startPier({ cpus: '0', port, workers: 1, env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` }, manifestDir: upstreamManifestDir(backendPort, Number(process.env.PROFILE_KEEPALIVE ?? 128)), args: ['--keepalive-requests', '1000000'] }, backendPort);
  let requests = 0;
  let cpuUs = 0;
  let fromUs = 0;
  let toUs = 0;
  try {
    h2load(port, 1);
    fromUs = monotonicUs();
    const cpu0 = treeCpuSeconds(pier.pid);
    requests = h2load(port, seconds);
    toUs = monotonicUs();
    cpuUs = ((treeCpuSeconds(pier.pid) - cpu0) / requests) * 1e6;
  } finally {
    await pier.stop();
  }
  // The worker's profile: the one with the most busy time in the measured run (not the primary's).
  const trimmed = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((file) => {
    const only = mkdtempSync(join(tmpdir(), 'pier-profile-h2-one-'));
    copyFileSync(join(dir, file), join(only, file));
    const profile = samplesBetween(readProfiles(only)[0]!, fromUs, toUs);
    return { file, profile, busy: selfTimeByLayer([profile]).reduce((sum, l) => sum + l.selfMs, 0) };
  }).sort((a, b) => b.busy - a.busy);
  const busiest = trimmed[0]!;
  const profiles = [busiest.profile];
  const files = [busiest.file];
  console.log(`\n## Pier ${h1 ? 'HTTP/1.1' : 'HTTP/2'}, ${streams} stream(s) per connection: ${(requests / seconds).toFixed(0)} req/s, ${cpuUs.toFixed(1)} µs CPU/req (profile: ${join(dir, files[0]!)})\n`);
  console.log('| layer | self ms | share of busy time |\n|---|--:|--:|');
  for (const l of selfTimeByLayer(profiles).slice(0, 14)) console.log(`| ${l.layer} | ${l.selfMs.toFixed(0)} | ${(l.share * 100).toFixed(1)}% |`);
  console.log('\n| # | function | location | self ms | share |\n|--:|---|---|--:|--:|');
  topSelfTime(profiles, top).forEach((e, i) => console.log(`| ${i + 1} | \`${e.name}\` | ${e.location} | ${e.selfMs.toFixed(0)} | ${(e.share * 100).toFixed(1)}% |`));
} finally {
  await backend.stop();
}
