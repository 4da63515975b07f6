/**
 * The shared cache's pod-wide state, held by the primary: which entry files exist (LRU order,
 * total bytes), the locks that collapse concurrent misses, and purges.
 *
 * Why this shape: the *bodies* live in files in `--cache-dir`, which every worker reads
 * directly (a hit costs no IPC, and a worker recycle or a table swap loses nothing); the
 * *bookkeeping* that must be single-writer (the byte bound, LRU eviction, "one fetch per key")
 * lives here, in the one process that outlives every worker. Workers tell it what they stored
 * and, in batches, what they served; it unlinks the least recently used files once the total
 * passes `--cache-size`. nginx splits it the same way (files + a shared-memory index kept by
 * its cache manager); Node workers share no memory, so the index sits in the primary.
 *
 * Locks (nginx proxy_cache_lock): the first miss for a key is granted the lock and fetches;
 * later ones wait until it unlocks (it stored the response, or found it not storable), then
 * look again. A wait is bounded by `lockTimeoutMs` (nginx's 5 s); a lock whose worker exits is
 * released.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ToCachePrimary, ToCacheWorker } from '../dataplane/cache/cache-messages.ts';

/** Who sent a message: a worker (its id) and how to answer it. */
export interface CacheClient {
  readonly id: number;
  reply(msg: ToCacheWorker): void;
}

interface Lock {
  readonly owner: number;
  readonly waiters: { client: CacheClient; id: number }[];
  readonly timer: NodeJS.Timeout;
}

export interface CacheIndexOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly lockTimeoutMs?: number;
}

export class CacheIndex {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #lockTimeoutMs: number;
  /** file → entry, least recently used first (Map keeps insertion order). */
  readonly #files = new Map<string, { key: string; size: number }>();
  readonly #byKey = new Map<string, Set<string>>();
  readonly #locks = new Map<string, Lock>();
  #bytes = 0;
  evictions = 0;

  constructor(options: CacheIndexOptions) {
    this.#dir = options.dir;
    this.#maxBytes = options.maxBytes;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get entries(): number {
    return this.#files.size;
  }

  /** Handles one worker message. */
  handle(client: CacheClient, msg: ToCachePrimary): void {
    switch (msg.type) {
      case 'cache-lock': return this.#lock(client, msg.key, msg.id, msg.wait !== false);
      case 'cache-unlock':
        // Only the holder's worker may unlock: after a timeout the key may be locked by another.
        if (this.#locks.get(msg.key)?.owner === client.id) this.#unlock(msg.key);
        return;
      case 'cache-stored': return this.#stored(msg.key, msg.file, msg.size);
      case 'cache-touched':
        for (const file of msg.files) this.#touch(file);
        return;
      case 'cache-invalidate':
        this.removeKey(msg.key);
    }
  }

  /** A worker exited: its locks are released (their waiters look again). */
  clientGone(id: number): void {
    for (const [key, lock] of this.#locks) if (lock.owner === id) this.#unlock(key);
  }

  /** Removes every entry of `key` (its vary record and variants). */
  removeKey(key: string): number {
    const files = this.#byKey.get(key);
    if (files === undefined) return 0;
    const all = [...files];
    for (const file of all) this.#remove(file);
    return all.length;
  }

  /** `pier cache purge`: a key, or every key starting with `prefix` when it ends with `*`. */
  purge(pattern: string): number {
    let removed = 0;
    const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : undefined;
    for (const key of [...this.#byKey.keys()]) {
      if (prefix === undefined ? key === pattern : key.startsWith(prefix)) removed += this.removeKey(key);
    }
    return removed;
  }

  #stored(key: string, file: string, size: number): void {
    const old = this.#files.get(file);
    if (old !== undefined) {
      this.#bytes -= old.size;
      this.#files.delete(file);
    }
    this.#files.set(file, { key, size });
    this.#bytes += size;
    let files = this.#byKey.get(key);
    if (files === undefined) this.#byKey.set(key, (files = new Set()));
    files.add(file);
    for (const [victim] of this.#files) {
      if (this.#bytes <= this.#maxBytes) break;
      this.evictions++;
      this.#remove(victim);
    }
  }

  #touch(file: string): void {
    const entry = this.#files.get(file);
    if (entry === undefined) return;
    this.#files.delete(file);
    this.#files.set(file, entry);
  }

  #remove(file: string): void {
    const entry = this.#files.get(file);
    if (entry === undefined) return;
    this.#files.delete(file);
    this.#bytes -= entry.size;
    const files = this.#byKey.get(entry.key);
    files?.delete(file);
    if (files?.size === 0) this.#byKey.delete(entry.key);
    // Synchronous: once a purge or invalidation is answered, no worker can open the file. An
    // unlink is one short syscall; a worker reading the file keeps its open copy.
    try {
      rmSync(join(this.#dir, file), { force: true });
    } catch { /* already gone */ }
  }

  #lock(client: CacheClient, key: string, id: number, wait: boolean): void {
    const lock = this.#locks.get(key);
    if (lock === undefined) {
      const timer = setTimeout(() => this.#unlock(key), this.#lockTimeoutMs);
      timer.unref();
      this.#locks.set(key, { owner: client.id, waiters: [], timer });
      client.reply({ type: 'cache-lock-reply', id, granted: true });
      return;
    }
    if (wait) lock.waiters.push({ client, id });
    else client.reply({ type: 'cache-lock-reply', id, granted: false });
  }

  #unlock(key: string): void {
    const lock = this.#locks.get(key);
    if (lock === undefined) return;
    this.#locks.delete(key);
    clearTimeout(lock.timer);
    for (const w of lock.waiters) w.client.reply({ type: 'cache-lock-reply', id: w.id, granted: false });
  }
}
