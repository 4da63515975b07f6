import { createHash } from 'node:crypto';
import { closeSync, createWriteStream, mkdirSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheCoordinator } from './cache-messages.ts';
import { encodeMeta, FIRST_READ, openEntry, type EntryMeta, type OpenEntry } from './entry-file.ts';

/** Per-Ingress cache counters (metrics), summed across workers by prom-client. */
export interface CacheCounters {
  hits: number;
  misses: number;
  /** Body bytes served from the cache. */
  hitBytes: number;
  /** Body bytes stored. */
  storedBytes: number;
}

/** An entry found for a request, and its file name (for LRU touches). */
export interface Found {
  readonly file: string;
  readonly entry: OpenEntry;
}

/**
 * Each worker keeps the entries it serves parsed in memory, bodies included, up to this many
 * bytes in all (least recently served out first), so a hit on a hot entry costs a stat and a
 * socket write: no open, read, parse or allocation. Like Traffic Server's RAM cache in front of
 * its disk cache: the files stay the shared copy; this is a per-worker copy of the hot ones.
 */
const MEMORY_BYTES = 32 * 1024 * 1024;
/** Bodies up to this size go to memory; larger ones are streamed from their file. */
const MEMORY_OBJECT = 1024 * 1024;
/** Memoized key → file name hashes. */
const NAME_MEMO = 10_000;

interface Remembered {
  readonly ino: number;
  readonly mtimeMs: number;
  readonly size: number;
  readonly entry: OpenEntry;
}

/** How long served files are batched before the primary hears of them (LRU order). */
const TOUCH_FLUSH_MS = 1_000;
/** Buffered file writes beyond this abandon the store (a disk slower than the client). */
const MAX_PENDING_WRITE = 8 * 1024 * 1024;

/**
 * One worker's handle on the shared cache directory (see supervisor/cache-index.ts for why the
 * cache is files + an index in the primary). Lookups read files directly; stores write a temp
 * file and rename it into place, then tell the primary.
 */
export class WorkerCache {
  readonly dir: string;
  readonly maxObjectBytes: number;
  readonly coordinator: CacheCoordinator;
  readonly counters = new Map<string, CacheCounters>();
  readonly #scratch = Buffer.allocUnsafe(FIRST_READ);
  readonly #touched = new Set<string>();
  #flush: NodeJS.Timeout | undefined;
  #tmp = 0;
  readonly #memory = new Map<string, Remembered>();
  #memoryBytes = 0;
  readonly #names = new Map<string, string>();
  /** `dir` with a trailing separator. */
  readonly #prefix: string;

  constructor(dir: string, maxObjectBytes: number, coordinator: CacheCoordinator) {
    this.dir = dir;
    this.#prefix = join(dir, '/');
    this.maxObjectBytes = maxObjectBytes;
    this.coordinator = coordinator;
    mkdirSync(join(dir, 'tmp'), { recursive: true });
  }

  countersOf(ingress: string): CacheCounters {
    let c = this.counters.get(ingress);
    if (c === undefined) this.counters.set(ingress, (c = { hits: 0, misses: 0, hitBytes: 0, storedBytes: 0 }));
    return c;
  }

  /** The file name of a key (and, for a variant, of its secondary key). */
  static fileOf(key: string, variant?: string): string {
    const base = createHash('sha256').update(key).digest('hex').slice(0, 40);
    return variant === undefined ? base : `${base}-${createHash('sha256').update(variant).digest('hex').slice(0, 24)}`;
  }

  /**
   * The stored response for `key` matching the request's `Vary` fields, opened; undefined on a
   * miss. `header(name)` reads the request's (lower-case name) field.
   */
  lookup(key: string, header: (name: string) => string | undefined): Found | undefined {
    let base = this.#names.get(key);
    if (base === undefined) {
      base = WorkerCache.fileOf(key);
      if (this.#names.size >= NAME_MEMO) this.#names.clear();
      this.#names.set(key, base);
    }
    const first = this.#open(base);
    if (first === undefined) return undefined;
    if (first.meta.key !== key) return void release(first);
    const vary = first.meta.vary;
    if (vary === undefined) return { file: base, entry: first };
    release(first);
    const file = WorkerCache.fileOf(key, variantOf(first.meta.nonce!, vary, header));
    const entry = this.#open(file);
    return entry === undefined ? undefined : { file, entry };
  }

  /**
   * Opens an entry file, or takes it from memory: an entry whose body is at most MEMORY_OBJECT
   * is read whole once and kept parsed, and each use costs one stat of its path instead of
   * open + read + parse + close (larger ones are opened and streamed). Entry files are
   * never modified in place (a new version is a new file renamed over the name, an eviction or
   * invalidation an unlink), so an unchanged inode, size and mtime mean the same entry, and a
   * change made through any worker is seen on the next request.
   */
  #open(file: string): OpenEntry | undefined {
    const path = this.#prefix + file; // no path.join per hit: names are hex
    const st = statSync(path, { throwIfNoEntry: false });
    const known = this.#memory.get(file);
    if (st === undefined) {
      if (known !== undefined) this.#forget(file, known);
      return undefined;
    }
    if (known !== undefined) {
      if (known.ino === st.ino && known.size === st.size && known.mtimeMs === st.mtimeMs) {
        // Most recently served last: eviction takes the first.
        this.#memory.delete(file);
        this.#memory.set(file, known);
        return known.entry;
      }
      this.#forget(file, known);
    }
    const entry = openEntry(path, this.#scratch);
    if (entry === undefined || entry.bodyLength > MEMORY_OBJECT) return entry;
    let body = entry.head;
    if (body.length < entry.bodyLength) {
      body = Buffer.allocUnsafe(entry.bodyLength);
      if (readSync(entry.fd, body, 0, body.length, entry.bodyOffset) < body.length) return entry; // changed under us: stream it
    }
    // Kept without the fd.
    closeSync(entry.fd);
    const kept: OpenEntry = { ...entry, fd: -1, head: body };
    if (this.#memoryBytes + st.size > MEMORY_BYTES) {
      for (const [name, r] of this.#memory) {
        this.#forget(name, r);
        if (this.#memoryBytes + st.size <= MEMORY_BYTES) break;
      }
    }
    this.#memory.set(file, { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, entry: kept });
    this.#memoryBytes += st.size;
    return kept;
  }

  #forget(file: string, r: Remembered): void {
    this.#memory.delete(file);
    this.#memoryBytes -= r.size;
  }

  /** Notes a served entry for the primary's LRU (batched). */
  touch(file: string): void {
    this.#touched.add(file);
    if (this.#flush === undefined) {
      this.#flush = setTimeout(() => {
        this.#flush = undefined;
        const files = [...this.#touched];
        this.#touched.clear();
        this.coordinator.send({ type: 'cache-touched', files });
      }, TOUCH_FLUSH_MS);
      this.#flush.unref();
    }
  }

  /**
   * Starts storing a response for `key`. With `vary` (the response's Vary field names), writes
   * or keeps the key's vary record and stores the response as the request's variant.
   */
  store(meta: EntryMeta, vary: readonly string[] | undefined, header: (name: string) => string | undefined, counters: CacheCounters): EntryWriter {
    let file = WorkerCache.fileOf(meta.key);
    if (vary !== undefined) {
      const nonce = this.#varyRecord(meta.key, file, vary);
      file = WorkerCache.fileOf(meta.key, variantOf(nonce, vary, header));
    }
    return new EntryWriter(this, file, meta, join(this.dir, 'tmp', `${process.pid}-${++this.#tmp}`), counters);
  }

  /** RFC 9111 §4.4: removes `key`'s entry here at once, and every file of it via the primary. */
  invalidate(key: string): void {
    try {
      unlinkSync(join(this.dir, WorkerCache.fileOf(key)));
    } catch { /* not stored */ }
    this.coordinator.send({ type: 'cache-invalidate', key });
  }

  /** The key's vary record's nonce: the existing one when it names the same fields. */
  #varyRecord(key: string, file: string, vary: readonly string[]): string {
    const found = this.#open(file);
    if (found !== undefined) {
      release(found);
      const old = found.meta.vary;
      if (found.meta.key === key && old !== undefined && old.join(',') === vary.join(',')) return found.meta.nonce!;
    }
    const nonce = createHash('sha256').update(`${process.pid}:${Date.now()}:${Math.random()}`).digest('hex').slice(0, 16);
    const record: EntryMeta = { key, status: 0, headers: [], freshness: { lifetime: 0, initialAge: 0, responseTime: 0, noCache: true, noStale: true, staleWhileRevalidate: 0, staleIfError: 0 }, vary, nonce };
    const tmp = join(this.dir, 'tmp', `${process.pid}-${++this.#tmp}`);
    const bytes = encodeMeta(record);
    writeFileSync(tmp, bytes);
    renameSync(tmp, join(this.dir, file));
    this.coordinator.send({ type: 'cache-stored', key, file, size: bytes.length });
    return nonce;
  }
}

function release(entry: OpenEntry): void {
  if (entry.fd >= 0) closeSync(entry.fd);
}

/** Fields whose values are case-insensitive tokens (language tags, codings, charsets). */
const CASELESS = new Set(['accept-language', 'accept-encoding', 'accept-charset']);

/**
 * The secondary key: the nonce and the request's values of the Vary fields (§4.1), normalized
 * only in ways that keep their meaning: whitespace runs to one space, none around the commas
 * of a list, and lower case for the fields whose values are case-insensitive.
 */
function variantOf(nonce: string, vary: readonly string[], header: (name: string) => string | undefined): string {
  let out = nonce;
  for (const name of vary) {
    const value = (header(name) ?? '').replace(/\s+/g, ' ').replace(/ ?, ?/g, ',').trim();
    out += `\n${name}:${CASELESS.has(name) ? value.toLowerCase() : value}`;
  }
  return out;
}

/** The response's Vary field names, lower-case, sorted; undefined without Vary. */
export function varyNames(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
  return names.length === 0 ? undefined : [...new Set(names)].sort();
}

/**
 * Writes one entry while its response streams to the client: chunks are queued to a temp file
 * (the body is never held whole), renamed into place on completion. A client that is faster
 * than the disk never waits for it: past MAX_PENDING_WRITE the store is abandoned.
 */
export class EntryWriter {
  readonly #cache: WorkerCache;
  readonly #file: string;
  readonly #key: string;
  readonly #tmp: string;
  readonly #out: WriteStream;
  readonly #counters: CacheCounters;
  #bytes: number;
  #bodyBytes = 0;
  #dead = false;

  constructor(cache: WorkerCache, file: string, meta: EntryMeta, tmp: string, counters: CacheCounters) {
    this.#cache = cache;
    this.#file = file;
    this.#key = meta.key;
    this.#tmp = tmp;
    this.#counters = counters;
    this.#out = createWriteStream(tmp);
    this.#out.on('error', () => this.abort());
    const head = encodeMeta(meta);
    this.#bytes = head.length;
    this.#out.write(head);
  }

  write(chunk: Buffer): void {
    if (this.#dead) return;
    this.#bytes += chunk.length;
    this.#bodyBytes += chunk.length;
    if (this.#bytes > this.#cache.maxObjectBytes || this.#out.writableLength > MAX_PENDING_WRITE) return this.abort();
    this.#out.write(chunk);
  }

  /** Completes the entry; resolves once it is in place (false when it was abandoned). */
  end(): Promise<boolean> {
    if (this.#dead) return Promise.resolve(false);
    this.#dead = true;
    return new Promise((resolve) => {
      this.#out.end(() => {
        rename(this.#tmp, join(this.#cache.dir, this.#file)).then(() => {
          this.#counters.storedBytes += this.#bodyBytes;
          this.#cache.coordinator.send({ type: 'cache-stored', key: this.#key, file: this.#file, size: this.#bytes });
          resolve(true);
        }, () => {
          rmSync(this.#tmp, { force: true });
          resolve(false);
        });
      });
    });
  }

  abort(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#out.destroy();
    void rm(this.#tmp, { force: true }).catch(() => {});
  }
}
