/**
 * The `burst` variant of the dataplane benchmark: COUNT connections opened at once against a
 * target (burst-client.ts, pinned to the load core), each asking for the 100-byte response. What
 * it tells: how long until the target had accepted and answered all of them (the accept loop,
 * the listen backlog, per-connection set-up), how many SYNs the kernel dropped for a full accept
 * queue meanwhile (TcpExt ListenOverflows, this network namespace), and the target's CPU time
 * per connection.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BODY_PATHS } from './nginx.ts';
import { treeCpuSeconds } from './proc-tree.ts';

const CLIENT = fileURLToPath(new URL('./burst-client.ts', import.meta.url));

/** One burst against one target. */
export interface BurstResult {
  readonly count: number;
  readonly answered: number;
  readonly errors: number;
  /** When the last connection got its answer (ms after the first SYN). */
  readonly allMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** SYNs the kernel dropped because an accept queue was full, during the burst. */
  readonly listenOverflows: number;
  /** The target's CPU time per connection (user + system, all its processes), µs. */
  readonly cpuUsPerConnection: number;
}

/** TcpExt ListenOverflows from /proc/net/netstat (0 when it cannot be read). */
export function listenOverflows(netstat = readNetstat()): number {
  const lines = netstat.split('\n').filter((l) => l.startsWith('TcpExt:'));
  if (lines.length < 2) return 0;
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  const i = names.indexOf('ListenOverflows');
  return i < 0 ? 0 : Number(values[i]);
}

function readNetstat(): string {
  try {
    return readFileSync('/proc/net/netstat', 'utf8');
  } catch {
    return '';
  }
}

/** Runs one burst of `count` connections against `port` (target process tree at `pid`). */
export async function runBurst(options: { readonly port: number; readonly pid: number; readonly count: number; readonly cpus: string }): Promise<BurstResult> {
  const overflowsBefore = listenOverflows();
  const cpuBefore = treeCpuSeconds(options.pid);
  const { stdout } = await promisify(execFile)('taskset', ['-c', options.cpus, process.execPath, CLIENT, String(options.port), String(options.count), 'bench.local', BODY_PATHS['100B']], { timeout: 60_000 });
  const cpuSeconds = treeCpuSeconds(options.pid) - cpuBefore;
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<BurstResult, 'listenOverflows' | 'cpuUsPerConnection'>;
  return { ...r, listenOverflows: listenOverflows() - overflowsBefore, cpuUsPerConnection: (cpuSeconds / options.count) * 1e6 };
}
