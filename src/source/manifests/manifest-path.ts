import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { StartupError } from '../../errors.ts';

/** What `--manifests PATH` names: a directory of manifests, or one file in a directory. */
export interface ManifestPath {
  /** The directory that is read and watched. */
  readonly dir: string;
  /** Set when PATH is a file (as `kubectl apply -f file.yaml`): only that file is read. */
  readonly file?: string;
}

const EXAMPLE = 'e.g. --manifests examples/basic or --manifests examples/basic/ingress.yaml';

/**
 * Resolves `--manifests PATH` before anything starts, so a typo is one clear line instead of a
 * watcher's stack trace. A file is served by watching its directory for that name only (a
 * per-file watch would go deaf when an editor or `kubectl`-style tool renames over it).
 */
export function resolveManifestPath(path: string): ManifestPath {
  let stats;
  try {
    stats = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new StartupError(`--manifests ${path} does not exist`, `give a directory or a file of Kubernetes YAML, ${EXAMPLE}`, { cause: err });
    }
    throw new StartupError(`--manifests ${path} cannot be read: ${code ?? (err as Error).message}`, 'check its permissions', { cause: err });
  }
  if (stats.isDirectory()) return { dir: path };
  if (stats.isFile()) return { dir: dirname(path), file: basename(path) };
  throw new StartupError(`--manifests ${path} is neither a directory nor a file`, `give a directory or a file of Kubernetes YAML, ${EXAMPLE}`);
}
