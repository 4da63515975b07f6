/**
 * A server process started under `taskset` in its own process group, so that stopping it also
 * stops the workers it forked, and nothing else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** A started server: its root pid (taskset execs, so this is the server itself) and a stop. */
export interface PinnedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** stdout + stderr so far, for error messages. */
  output(): string;
  /** SIGTERM to the group, SIGKILL after 5 s; resolves once the root exited. */
  stop(): Promise<void>;
}

/** Starts `command args` pinned to `cpus` (a taskset list such as "0" or "0,1"), in `cwd`
 * (default: this process's). */
export function startPinned(cpus: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv, cwd?: string): PinnedProcess {
  const child = spawn('taskset', ['-c', cpus, command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...env }, ...(cwd === undefined ? {} : { cwd }),
  });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString()).slice(-20_000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // group already gone
    }
  };
  return {
    pid, child, output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      signalGroup('SIGKILL'); // workers that outlived their primary
    },
  };
}

/**
 * Polls `url` (with `Host: host`) until it answers 200, the process exits, or `timeoutMs`
 * passes.
 */
export async function waitForHttp(proc: PinnedProcess, url: string, timeoutMs = 20_000, host = 'bench.local'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) {
      await sleep(100); // let its last output arrive
      throw new Error(`process exited with ${proc.child.exitCode}:\n${proc.output()}`);
    }
    if ((await getStatus(url, host)) === 200) return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${proc.output()}`);
}

/** GET status of `url` with a Host header (fetch() does not let a caller set Host); 0 on error. */
export function getStatus(url: string, host: string, timeoutMs = 1_000): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { headers: { host }, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}
