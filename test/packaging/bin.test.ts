import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/helm.ts';

const BIN = join(ROOT, 'bin', 'pier.js');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** PATH without any node_modules/.bin: what a shell has outside npm scripts and npx. */
const SYSTEM_PATH = (process.env.PATH ?? '').split(delimiter).filter((d) => !d.includes('node_modules')).join(delimiter);

/** A Node older than 24 on the system PATH (the README's "only Node 20 and npm"), if any. */
function oldNode(): string | undefined {
  const found = spawnSync('node', ['-p', 'process.versions.node.split(".")[0] + " " + process.execPath'], { env: { PATH: SYSTEM_PATH }, encoding: 'utf8' });
  if (found.status !== 0) return undefined;
  const [major, path] = found.stdout.trim().split(' ');
  return Number(major) < 24 ? path : undefined;
}

describe('the pier command', () => {
  it('--version prints package.json\'s version; -h prints the usage', () => {
    expect(execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })).toBe(`pier ${VERSION}\n`);
    expect(execFileSync(process.execPath, [BIN, '-h'], { encoding: 'utf8' })).toMatch(/^Usage: pier serve \[options\]/);
  });

  const old = oldNode();
  it.skipIf(old === undefined)('started by an older Node, runs itself with the Node 24 npm ci installed, exit code included', () => {
    expect(execFileSync(old!, [BIN, '--version'], { encoding: 'utf8' })).toBe(`pier ${VERSION}\n`);
    const bad = spawnSync(old!, [BIN, 'serve', '--http-port', 'x'], { encoding: 'utf8' });
    expect([bad.status, bad.stderr]).toEqual([2, 'pier: invalid value for --http-port: "x" (expected a port number 0-65535)\n']);
  });

  describe('after npm link (the README\'s `pier --help` on PATH)', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'pier-link-'));
    afterAll(() => rmSync(prefix, { recursive: true, force: true }));

    it('`pier --help` runs from a shell PATH without node_modules/.bin', () => {
      execFileSync('npm', ['link', '--no-audit', '--no-fund'], { cwd: ROOT, env: { ...process.env, NPM_CONFIG_PREFIX: prefix }, stdio: 'ignore' });
      const env = { HOME: prefix, PATH: [join(prefix, 'bin'), SYSTEM_PATH].join(delimiter) };
      expect(execFileSync('pier', ['--help'], { env, encoding: 'utf8' })).toMatch(/^Usage: pier serve \[options\]/);
      expect(execFileSync('pier', ['--version'], { env, encoding: 'utf8' })).toBe(`pier ${VERSION}\n`);
    });
  });
});
