import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';

const PIER_BIN = fileURLToPath(new URL('../../bin/pier.js', import.meta.url));

export interface PierProcess {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly healthPort: number;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far (JSON log lines). */
  output(): string;
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `pier serve` (the real binary, on the Node running the tests) on free loopback ports with `args`, and
 * resolves once /readyz answers 200 (or rejects with its output after `readyTimeoutMs`).
 */
export async function startPier(args: readonly string[], options: { readyTimeoutMs?: number; env?: NodeJS.ProcessEnv; waitReady?: boolean } = {}): Promise<PierProcess> {
  // A free port can be taken by another test's process between freePort() and Pier's listen:
  // Pier then exits 2 naming it, and a second set of ports is tried (twice at most).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPierOnce(args, options);
    } catch (err) {
      if (attempt >= 3 || !/is already in use/.test(String((err as Error).message))) throw err;
    }
  }
}

async function startPierOnce(args: readonly string[], options: { readyTimeoutMs?: number; env?: NodeJS.ProcessEnv; waitReady?: boolean }): Promise<PierProcess> {
  // Three distinct ports: the kernel may hand out a just-closed port again.
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort());
  const [httpPort, healthPort, httpsPort] = [...ports] as [number, number, number];
  const child = spawn(process.execPath, [PIER_BIN, 'serve', '--bind-address', '127.0.0.1', '--http-port', String(httpPort), '--https-port', String(httpsPort), '--health-port', String(healthPort), '--log-level', 'info', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const pier: PierProcess = {
    httpPort, httpsPort, healthPort, child, exited,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  if (options.waitReady === false) return pier;
  // A bound against hanging, not a performance claim: a loaded 2-core machine took over 15 s.
  const deadline = Date.now() + (options.readyTimeoutMs ?? 45_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`pier exited with ${child.exitCode} before ready:\n${out}`);
    const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return pier;
    await new Promise((r) => setTimeout(r, 50));
  }
  await pier.stop('SIGKILL');
  throw new Error(`pier not ready within ${options.readyTimeoutMs ?? 45_000} ms:\n${out}`);
}

/** Polls `check` every 25 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The child processes of `pid` (Linux /proc): a Pier primary's workers. */
export function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}
