/**
 * The primary's shared-cache set-up for `pier serve`, and `pier cache purge`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PierConfig } from './config.ts';
import { CacheIndex } from './supervisor/cache-index.ts';
import { loadCacheDir, type CacheLoad } from './supervisor/cache-load.ts';
import { serveCacheIndex } from './supervisor/cache-ipc.ts';

/**
 * Prepares `--cache-dir` (or a fresh temp directory) and the primary's index of it. Entries an
 * earlier run left in `--cache-dir` are indexed and served again (supervisor/cache-load.ts says
 * why that is safe); anything else in it is removed.
 */
export function openCache(config: PierConfig): { dir: string; index: CacheIndex; loaded: CacheLoad } {
  const dir = config.cacheDir ?? mkdtempSync(join(tmpdir(), 'pier-cache-'));
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const index = new CacheIndex({ dir, maxBytes: config.cacheSize });
  const loaded = loadCacheDir(dir, index);
  serveCacheIndex(index);
  if (config.cacheDir === undefined) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { dir, index, loaded };
}

/**
 * `pier cache purge URL-or-prefix [--health-port N]`: asks the pod on this machine (its health
 * port, loopback only) to remove the entries of a key (a URL, with the default key), or of
 * every key starting with a prefix ending in `*`.
 */
export async function runCacheCommand(args: readonly string[]): Promise<void> {
  const [verb, pattern, ...rest] = args;
  let port = Number(process.env['PIER_HEALTH_PORT'] ?? 10254);
  for (let i = 0; i < rest.length; i++) if (rest[i] === '--health-port') port = Number(rest[++i]);
  if (verb !== 'purge' || pattern === undefined || !Number.isInteger(port)) {
    process.stderr.write('usage: pier cache purge URL-or-prefix* [--health-port 10254]\n');
    process.exit(2);
  }
  try {
    const res = await fetch(`http://127.0.0.1:${port}/cache/purge`, { method: 'POST', body: pattern });
    process.stdout.write(await res.text());
    process.exit(res.ok ? 0 : 1);
  } catch (err) {
    process.stderr.write(`pier cache purge: cannot reach 127.0.0.1:${port}: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
