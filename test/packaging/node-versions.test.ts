import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem, TESTED_NODE_MAJORS } from '../../bin/node-version.js';
import { ROOT } from '../../scripts/helm.ts';
import { pinnedNodeVersion, readPackage } from './node-versions.ts';

/**
 * The Node versions Pier claims, kept in step: the majors bin/pier.js accepts, package.json
 * `engines`, the release each CI run pins (Node 24: the root devDependency; Node 26:
 * .ci/node26), and the Node this suite is running on right now.
 */
const PINS: Record<number, string> = { 24: 'package.json', 26: '.ci/node26/package.json' };

describe('Node versions', () => {
  it('each tested major has a CI run pinned to an exact release of it', () => {
    expect(Object.keys(PINS).map(Number)).toEqual(TESTED_NODE_MAJORS);
    for (const [major, path] of Object.entries(PINS)) expect(pinnedNodeVersion(path).split('.')[0], path).toBe(major);
    // The Node 26 copy is installed from its own lockfile (npm ci --prefix .ci/node26).
    const lock = JSON.parse(readFileSync(join(ROOT, '.ci/node26/package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; integrity?: string }> };
    const locked = Object.values(lock.packages).find((p) => p.version === pinnedNodeVersion(PINS[26]));
    expect(locked?.integrity).toMatch(/^sha512-/);
  });

  it('package.json engines names exactly the tested majors', () => {
    const engines = readPackage('package.json').engines?.node ?? '';
    const majors = engines.split('||').map((range) => Number(/^\s*\^(\d+)\.0\.0\s*$/.exec(range)?.[1]));
    expect(majors, `engines.node "${engines}"`).toEqual(TESTED_NODE_MAJORS);
  });

  it('this run is on the release its CI run pins (PIER_TEST_NODE says which; 24 by default)', () => {
    // Catches a suite silently running on another Node: a second `node` bin shadowing Node 24's
    // in node_modules/.bin, or vitest started by a system Node.
    const major = Number(process.env.PIER_TEST_NODE ?? 24);
    expect(PINS[major], `PIER_TEST_NODE=${process.env.PIER_TEST_NODE}`).toBeDefined();
    expect(process.version).toBe(`v${pinnedNodeVersion(PINS[major])}`);
    expect(existsSync(process.execPath)).toBe(true);
  });
});

describe('bin/pier.js refuses an untested Node major', () => {
  it.each([
    { version: 'v24.21.0', ok: true },
    { version: 'v26.0.0', ok: true },
    { version: 'v20.20.2', ok: false },
    { version: 'v22.22.0', ok: false },
    { version: 'v25.9.0', ok: false },
    { version: 'v27.0.0', ok: false },
  ])('$version: accepted $ok', ({ version, ok }) => {
    const problem = nodeVersionProblem(version, {});
    if (ok) expect(problem).toBeUndefined();
    else expect(problem).toBe(`pier: Node.js ${version} is not a version Pier is tested on (Node.js 24 and 26). Install Node.js 24 or 26, or run Pier through npm (npm start / npx pier), which puts the bundled Node 24 first on PATH.${Number(version.slice(1, 3)) > 24 ? ' To try this version anyway, set PIER_UNTESTED_NODE=1.' : ''}`);
  });

  it('PIER_UNTESTED_NODE=1 lets a newer major try, never an older one', () => {
    expect(nodeVersionProblem('v28.1.0', { PIER_UNTESTED_NODE: '1' })).toBeUndefined();
    expect(nodeVersionProblem('v22.22.0', { PIER_UNTESTED_NODE: '1' })).toMatch(/is not a version Pier is tested on/);
  });

  it('exits 2 with that message before loading anything else (the real binary, told it runs on Node 27)', () => {
    const fake = `data:text/javascript,Object.defineProperty(process, 'version', { value: 'v27.0.0' })`;
    const r = spawnSync(process.execPath, ['--import', fake, join(ROOT, 'bin/pier.js'), '--help'], { encoding: 'utf8', env: { ...process.env, PIER_UNTESTED_NODE: '' } });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(nodeVersionProblem('v27.0.0', {}));
    const help = spawnSync(process.execPath, [join(ROOT, 'bin/pier.js'), '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: pier serve/);
  });
});
