/**
 * The Dockerfile checked as text: there is no Docker engine on the development machines or in
 * CI, so nothing here builds the image. What can be read from the text is asserted; the kind
 * end-to-end script (test/e2e/kind/) is what builds and runs it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/helm.ts';
import { TESTED_NODE_MAJORS } from '../../bin/node-version.js';
import { execForm, last, parseDockerfile } from './dockerfile.ts';
import { pinnedNodeVersion } from './node-versions.ts';

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

describe('Dockerfile (text, not a build)', () => {
  it('builds in several stages, every one from the official Node image pinned to the exact version CI tests first', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const pinned = pinnedNodeVersion();
    for (const stage of stages) {
      const m = /^(?:docker\.io\/(?:library\/)?)?node:(\d+\.\d+\.\d+)-(?:bookworm-slim|alpine[\d.]*)$/.exec(stage.image);
      expect(m, `${stage.image}: node:<major.minor.patch>-bookworm-slim`).not.toBeNull();
      expect(m![1], 'the image runs the Node release of the pinned devDependency').toBe(pinned);
      expect(TESTED_NODE_MAJORS).toContain(Number(m![1]!.split('.')[0]));
    }
  });

  it('installs production dependencies only, from the lockfile, in the stage that node_modules is copied from', () => {
    const copy = runtime.instructions.find((i) => i.keyword === 'COPY' && /\/node_modules\b/.test(i.args));
    const from = /--from=(\S+)/.exec(copy?.args ?? '')?.[1];
    const deps = stages.find((s) => s.name === from);
    expect(deps, 'runtime copies node_modules from a named stage').toBeDefined();
    const npm = deps!.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' && ');
    expect(npm).toMatch(/\bnpm ci\b[^&]*--omit=dev/);
    // The optional dependencies are development Node and helm binaries (~150 MB), not for the image.
    expect(npm).toMatch(/\bnpm ci\b[^&]*--omit=optional/);
    if (/--ignore-scripts/.test(npm)) {
      // Safe only while no production package needs its install script (native builds).
      const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }> };
      const scripted = Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript && !p.dev).map(([name]) => name);
      expect(scripted, 'production packages with install scripts').toEqual([]);
    }
    expect(deps!.instructions.some((i) => i.keyword === 'COPY' && /package-lock\.json/.test(i.args))).toBe(true);
    // The runtime stage never runs npm itself: it would need dev tools or the network.
    expect(runtime.instructions.filter((i) => i.keyword === 'RUN').some((i) => /\bnpm (ci|install)\b/.test(i.args))).toBe(false);
  });

  it('copies what `node bin/pier.js` needs: package.json (type: module), bin/, src/', () => {
    const copied = runtime.instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'bin', 'src']));
  });

  it('runs as a numeric non-root user', () => {
    const user = last(runtime, 'USER')?.args ?? '';
    const m = /^(\d+)(?::(\d+))?$/.exec(user);
    expect(m, `USER ${user} is numeric, so runAsNonRoot can verify it`).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
  });

  it('exposes 8080, 8443 and 10254', () => {
    const ports = runtime.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(ports.sort()).toEqual(['10254', '8080', '8443']);
  });

  it('starts `node bin/pier.js serve` under tini, signals to the supervisor only', () => {
    const entrypoint = execForm(last(runtime, 'ENTRYPOINT'));
    const command = [...entrypoint, ...execForm(last(runtime, 'CMD'))];
    expect(command.slice(-3)).toEqual(['node', 'bin/pier.js', 'serve']);
    expect(command[0]).toBe('/usr/bin/tini');
    expect(command.slice(1, command.indexOf('node'))).toEqual(['--']);
    // The chart's args replace CMD, so the entrypoint must not already contain `serve`.
    expect(entrypoint).not.toContain('serve');
    const installs = runtime.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' ');
    expect(installs).toMatch(/apt-get install[^&]*\btini\b/);
  });

  it('has no HEALTHCHECK (Kubernetes probes /healthz and /readyz)', () => {
    expect(stages.flatMap((s) => s.instructions).some((i) => i.keyword === 'HEALTHCHECK')).toBe(false);
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));

  it('is an allow-list that lets in exactly what the Dockerfile copies from the context', () => {
    expect(lines[0]).toBe('*');
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    const copied = stages.flatMap((s) => s.instructions).filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'))
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1));
    expect([...new Set(copied)].sort()).toEqual(allowed.sort());
  });
});

/** Every file under `dir` whose name ends with one of `exts`. */
function sourceFiles(dir: string, exts: readonly string[]): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => exts.some((e) => f.endsWith(e))).map((f) => join(dir, f));
}

describe('the image\'s node_modules (production dependencies) cover what the code imports', () => {
  it('src/ and bin/ import only Node built-ins, packages listed in dependencies, and files the image copies', () => {
    const builtins = new Set(builtinModules);
    const copiedDirs = [join(ROOT, 'src'), join(ROOT, 'bin')];
    const missing = new Set<string>();
    for (const file of [...sourceFiles(join(ROOT, 'src'), ['.ts']), ...sourceFiles(join(ROOT, 'bin'), ['.js'])]) {
      const text = readFileSync(file, 'utf8');
      // Static imports, re-exports and dynamic import() with a literal specifier; `import type` is erased.
      for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (!copiedDirs.some((d) => target.startsWith(d + sep))) missing.add(`${spec} (${file.slice(ROOT.length)}): not in the image`);
          continue;
        }
        if (spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!(name in pkg.dependencies)) missing.add(`${name} (${file.slice(ROOT.length)})`);
      }
    }
    expect([...missing], 'move these to dependencies, or the image fails at start').toEqual([]);
  });
});
