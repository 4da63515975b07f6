/**
 * Installs the benchmark's external tools from Debian when one is missing (the script runs as
 * root in the dev container and in CI).
 */
import { execFileSync } from 'node:child_process';

/** Command → the Debian package that provides it. */
const PACKAGES: Readonly<Record<string, string>> = {
  nginx: 'nginx', haproxy: 'haproxy', wrk: 'wrk', taskset: 'util-linux', 'rsvg-convert': 'librsvg2-bin',
};

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs the packages of `commands` that are not on PATH; bounded to 10 minutes. */
export function ensureTools(commands: readonly string[]): void {
  const missing = commands.filter((c) => !has(c)).map((c) => PACKAGES[c] ?? c);
  if (missing.length === 0) return;
  console.error(`installing ${missing.join(', ')} with apt-get`);
  const run = (args: string[]) => execFileSync('apt-get', args, { stdio: 'inherit', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  run(['update', '-qq']);
  run(['install', '-y', '-qq', ...missing]);
}
