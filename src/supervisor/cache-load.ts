/**
 * Picks up the entries an earlier run left in `--cache-dir` (a container restart keeps its
 * emptyDir), so a restarted Pier starts warm instead of cold.
 *
 * Why it is safe: an entry file is complete or absent (written under `tmp/` and renamed into
 * place), carries its own key and absolute times (Age and freshness stay right across the
 * restart), and is only ever served after the request's key and Vary values match it. What
 * cannot be trusted is removed: `tmp/` (writes cut by the restart), files whose name is not an
 * entry's, and files that do not open as an entry of this format (another version's). Entries
 * are indexed oldest first (file time: when stored or refreshed), which stands in for the LRU
 * order the last run had in memory, and the byte bound then applies.
 *
 * Synchronous, before the workers start: a worker must never serve a file the index does not
 * know (a purge would miss it). Per file one open, fstat, a 2 KiB read and a JSON parse of the
 * meta: measured 31 µs of CPU per entry (20,000 entries of 10 KiB: 0.6 s of CPU, 1.4 s on a
 * loaded 2-core machine), so the default 256Mi of such entries adds under a second to start.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readEntryFacts, type EntryFacts } from '../dataplane/cache/entry-file.ts';
import type { CacheIndex } from './cache-index.ts';

/** An entry's file name: 40 hex digits of its key, then maybe a variant's 24. */
const ENTRY_NAME = /^[0-9a-f]{40}(?:-[0-9a-f]{24})?$/;

/** What a load found. */
export interface CacheLoad {
  readonly entries: number;
  readonly bytes: number;
  /** Files removed: cut writes, other versions' entries, anything else. */
  readonly removed: number;
}

/** Indexes the entries in `dir` (see above); removes what is not one. */
export function loadCacheDir(dir: string, index: CacheIndex): CacheLoad {
  let removed = 0;
  const found: { file: string; facts: EntryFacts }[] = [];
  const scratch = Buffer.allocUnsafe(2048);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'tmp') {
      for (const cut of readdirSync(path)) rmSync(join(path, cut), { recursive: true, force: true });
      continue;
    }
    const facts = ENTRY_NAME.test(name) ? readEntryFacts(path, scratch) : undefined;
    if (facts === undefined) {
      rmSync(path, { recursive: true, force: true });
      removed++;
      continue;
    }
    found.push({ file: name, facts });
  }
  found.sort((a, b) => a.facts.mtimeMs - b.facts.mtimeMs);
  const primary = { id: -1, reply: () => {} };
  for (const { file, facts } of found) index.handle(primary, { type: 'cache-stored', key: facts.key, file, size: facts.size });
  return { entries: index.entries, bytes: index.bytes, removed };
}
