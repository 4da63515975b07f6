import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { missingNodeFlags, PIER_NODE_FLAGS } from '../../bin/node-flags.js';
import { childPids, startPier, type PierProcess } from '../helpers/pier-process.ts';

const EXAMPLE = new URL('../../examples/basic/', import.meta.url).pathname;

function args(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

function environ(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
}

describe('missingNodeFlags', () => {
  it('names the flags the command line and NODE_OPTIONS leave out', () => {
    expect(missingNodeFlags([], '')).toEqual(PIER_NODE_FLAGS);
    expect(missingNodeFlags(['--cpu-prof'], '--report-on-signal')).toEqual(['--max-semi-space-size=16']);
  });

  it('keeps what the operator set, under either spelling', () => {
    expect(missingNodeFlags(['--max-semi-space-size=64'], '')).toEqual([]);
    expect(missingNodeFlags([], '--inspect --max_semi_space_size=4')).toEqual([]);
  });
});

describe('pier serve runs its processes with Pier\'s V8 flags', () => {
  let pier: PierProcess | undefined;
  afterEach(async () => {
    await pier?.stop();
    pier = undefined;
  });

  it('the primary (same pid, after execve) and every worker get --max-semi-space-size=16 and share the compile cache', async () => {
    pier = await startPier(['--manifests', EXAMPLE, '--workers', '2'], { env: { NODE_OPTIONS: '' } });
    const primary = pier.child.pid!;
    expect(args(primary)).toContain('--max-semi-space-size=16');
    const workers = childPids(primary);
    expect(workers).toHaveLength(2);
    for (const pid of workers) {
      expect(args(pid)).toContain('--max-semi-space-size=16');
      expect(args(pid).some((a) => a.endsWith('worker.ts'))).toBe(true);
      expect(environ(pid).find((e) => e.startsWith('NODE_COMPILE_CACHE='))).toMatch(/^NODE_COMPILE_CACHE=\/.+/);
    }
    // Still serving: the example's route answers through the re-executed process.
    const res = await fetch(`http://127.0.0.1:${pier.httpPort}/`, { headers: { host: 'nothing-routes-here.example' } });
    expect(res.status).toBe(404);
  });

  it('an operator\'s own --max-semi-space-size in NODE_OPTIONS wins: no second flag, no re-exec', async () => {
    pier = await startPier(['--manifests', EXAMPLE, '--workers', '1'], { env: { NODE_OPTIONS: '--max-semi-space-size=32' } });
    const primary = pier.child.pid!;
    expect(args(primary).some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
    const [worker] = childPids(primary);
    expect(args(worker!).some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
    expect(environ(worker!)).toContain('NODE_OPTIONS=--max-semi-space-size=32');
  });

  it('starts without the flag, and says why, when re-executing Node fails', async () => {
    // A module loaded before bin/pier.js makes execve fail as a seccomp or noexec /tmp might.
    const dir = mkdtempSync(join(tmpdir(), 'pier-execve-'));
    try {
      const preload = join(dir, 'failing-execve.mjs');
      writeFileSync(preload, "process.execve = () => { throw new Error('EACCES: execve refused by the test'); };\n");
      pier = await startPier(['--manifests', EXAMPLE, '--workers', '1'], { env: { NODE_OPTIONS: `--import=${preload}` } });
      expect(pier.output()).toContain('pier: starting without --max-semi-space-size=16 (re-executing Node failed: EACCES: execve refused by the test)');
      const primary = pier.child.pid!;
      expect(args(primary).some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
      const res = await fetch(`http://127.0.0.1:${pier.httpPort}/`, { headers: { host: 'nothing-routes-here.example' } });
      expect(res.status).toBe(404);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
