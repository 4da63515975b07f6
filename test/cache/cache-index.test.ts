import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMeta } from '../../src/dataplane/cache/entry-file.ts';
import { WorkerCache } from '../../src/dataplane/cache/cache-store.ts';
import { CacheIndex, type CacheClient } from '../../src/supervisor/cache-index.ts';
import { loadCacheDir } from '../../src/supervisor/cache-load.ts';
import { waitFor } from '../helpers/pier-process.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function indexWith(files: string[], maxBytes: number): Promise<{ index: CacheIndex; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pier-index-'));
  dirs.push(dir);
  for (const f of files) await writeFile(join(dir, f), 'x');
  return { index: new CacheIndex({ dir, maxBytes, lockTimeoutMs: 200 }), dir };
}

const client = (id: number, replies: { id: number; granted: boolean }[]): CacheClient => ({ id, reply: (m) => replies.push({ id: m.id, granted: m.granted }) });

describe('CacheIndex (the primary\'s LRU and locks)', () => {
  it('evicts the least recently used files once over the byte bound, and unlinks them', async () => {
    const { index, dir } = await indexWith(['a', 'b', 'c'], 250);
    const c = client(1, []);
    index.handle(c, { type: 'cache-stored', key: 'A', file: 'a', size: 100 });
    index.handle(c, { type: 'cache-stored', key: 'B', file: 'b', size: 100 });
    index.handle(c, { type: 'cache-touched', files: ['a'] });
    index.handle(c, { type: 'cache-stored', key: 'C', file: 'c', size: 100 });
    expect([index.bytes, index.entries, index.evictions]).toEqual([200, 2, 1]);
    await waitFor(async () => !(await readdir(dir)).includes('b'), 2_000, 'b unlinked');
    expect((await readdir(dir)).sort()).toEqual(['a', 'c']);
  });

  it('a re-stored file replaces its size; purge takes a key or a prefix*', async () => {
    const { index } = await indexWith([], 10_000);
    const c = client(1, []);
    index.handle(c, { type: 'cache-stored', key: 'http://h/a', file: 'a', size: 100 });
    index.handle(c, { type: 'cache-stored', key: 'http://h/a', file: 'a', size: 50 });
    index.handle(c, { type: 'cache-stored', key: 'http://h/a', file: 'a-v1', size: 10 });
    index.handle(c, { type: 'cache-stored', key: 'http://h/b', file: 'b', size: 10 });
    expect(index.bytes).toBe(70);
    expect(index.purge('http://h/a')).toBe(2);
    expect(index.purge('http://h/*')).toBe(1);
    expect(index.bytes).toBe(0);
  });

  it('one lock per key: later requests wait for the unlock, a worker exit or the timeout', async () => {
    const { index } = await indexWith([], 10_000);
    const replies: { id: number; granted: boolean }[] = [];
    index.handle(client(1, replies), { type: 'cache-lock', key: 'k', id: 1 });
    index.handle(client(2, replies), { type: 'cache-lock', key: 'k', id: 2 });
    index.handle(client(2, replies), { type: 'cache-lock', key: 'k', id: 3 });
    expect(replies).toEqual([{ id: 1, granted: true }]);
    index.handle(client(1, replies), { type: 'cache-unlock', key: 'k' });
    expect(replies.slice(1)).toEqual([{ id: 2, granted: false }, { id: 3, granted: false }]);
    index.handle(client(1, replies), { type: 'cache-lock', key: 'k', id: 4 });
    index.handle(client(2, replies), { type: 'cache-lock', key: 'k', id: 5 });
    index.clientGone(1);
    expect(replies.slice(3)).toEqual([{ id: 4, granted: true }, { id: 5, granted: false }]);
    index.handle(client(1, replies), { type: 'cache-lock', key: 'k', id: 6 });
    index.handle(client(2, replies), { type: 'cache-lock', key: 'k', id: 7 });
    await waitFor(() => replies.length === 7, 2_000, 'the lock timeout');
    expect(replies.at(-1)).toEqual({ id: 7, granted: false });
    // After the timeout another worker holds the key: the first holder's late unlock is ignored.
    index.handle(client(2, replies), { type: 'cache-lock', key: 'k', id: 8 });
    index.handle(client(3, replies), { type: 'cache-lock', key: 'k', id: 9 });
    index.handle(client(1, replies), { type: 'cache-unlock', key: 'k' });
    expect(replies.slice(7)).toEqual([{ id: 8, granted: true }]);
  });

  it('loads the entries an earlier run left, oldest first, and removes everything else', async () => {
    const { dir } = await indexWith([], 0);
    const freshness = { lifetime: 60, initialAge: 0, responseTime: Date.now(), noCache: false, noStale: false, staleWhileRevalidate: 0, staleIfError: 0 };
    const entry = async (key: string, body: string, ageS: number) => {
      const file = WorkerCache.fileOf(key);
      await writeFile(join(dir, file), Buffer.concat([encodeMeta({ key, status: 200, headers: [], freshness }), Buffer.from(body)]));
      const t = new Date(Date.now() - ageS * 1000);
      await utimes(join(dir, file), t, t);
      return file;
    };
    const old = await entry('http://h/old', 'x'.repeat(100), 60);
    const recent = await entry('http://h/recent', 'y'.repeat(100), 1);
    await mkdir(join(dir, 'tmp'));
    await writeFile(join(dir, 'tmp', '123-4'), 'a write cut by the restart');
    await writeFile(join(dir, 'notes.txt'), 'not an entry');
    await writeFile(join(dir, WorkerCache.fileOf('http://h/garbage')), 'PIC0 another format');
    expect(await readdir(dir)).toHaveLength(5);
    const index = new CacheIndex({ dir, maxBytes: 10_000 });
    const loaded = loadCacheDir(dir, index);
    expect([loaded.entries, loaded.removed]).toEqual([2, 2]);
    expect((await readdir(dir)).sort()).toEqual([old, recent, 'tmp'].sort());
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    expect(index.purge('http://h/old')).toBe(1);
    // Over the bound, the oldest goes first.
    await entry('http://h/old', 'x'.repeat(100), 60);
    const small = new CacheIndex({ dir, maxBytes: loaded.bytes - 1 });
    loadCacheDir(dir, small);
    expect([small.entries, small.evictions]).toEqual([1, 1]);
    expect((await readdir(dir)).sort()).toEqual([recent, 'tmp'].sort());
  });
});
