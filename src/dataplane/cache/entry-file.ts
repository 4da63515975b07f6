/**
 * One cached response is one file in the cache directory: `PIC1`, a 4-byte big-endian meta
 * length, the meta as JSON, then the body as received. Files are written under `tmp/` and
 * renamed into place once complete, so a reader (any worker) sees either the old file or the
 * new one, never half of one; a reader that opened a file keeps reading it even if it is
 * replaced or evicted meanwhile (POSIX unlink semantics).
 *
 * A key whose responses carry `Vary` has a small *vary record* at the key's own name (meta
 * only: the field names and a nonce) and one file per variant, named after the key, the nonce
 * and the request's values of those fields. Removing the record (invalidation, purge) makes
 * every variant unreachable at once; a new record gets a new nonce, so old variants never come
 * back.
 */
import { closeSync, fstatSync, openSync, readSync, type PathLike } from 'node:fs';
import type { Freshness } from './freshness.ts';

const MAGIC = 0x50494331; // 'PIC1'
/** Read at once on a lookup: the head of most entries and the whole of small ones. */
export const FIRST_READ = 16 * 1024;

/** What an entry file says besides its body. */
export interface EntryMeta {
  readonly key: string;
  readonly status: number;
  /** Flat `[name, value, ...]`, hop-by-hop fields already dropped. */
  readonly headers: string[];
  readonly freshness: Freshness;
  readonly etag?: string;
  readonly lastModified?: string;
  /** When set, this file is a vary record: no response, only where its variants are. */
  readonly vary?: readonly string[];
  readonly nonce?: string;
}

/** An entry opened for reading: its meta, an open fd, where the body starts, and the bytes
 * of it read already (all of it for a small body). The caller closes `fd`. */
export interface OpenEntry {
  readonly meta: EntryMeta;
  readonly fd: number;
  readonly bodyOffset: number;
  readonly bodyLength: number;
  readonly head: Buffer;
}

/** Encodes the start of an entry file. */
export function encodeMeta(meta: EntryMeta): Buffer {
  const json = Buffer.from(JSON.stringify(meta));
  const out = Buffer.allocUnsafe(8 + json.length);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt32BE(json.length, 4);
  json.copy(out, 8);
  return out;
}

/**
 * Reads an entry's head (magic, meta length, meta) from the start of `fd`: into `scratch`, and
 * again into a buffer of its own when the meta does not fit. `n`: bytes the first read got;
 * `head`: the bytes read (the meta ends at `bodyOffset`). Undefined when the file is not an
 * entry, its meta would end past `maxEnd`, or the file is shorter than its meta.
 */
function readHead(fd: number, scratch: Buffer, maxEnd: number): { n: number; bodyOffset: number; head: Buffer } | undefined {
  const n = readSync(fd, scratch, 0, scratch.length, 0);
  if (n < 8 || scratch.readUInt32BE(0) !== MAGIC) return undefined;
  const bodyOffset = 8 + scratch.readUInt32BE(4);
  if (bodyOffset > maxEnd) return undefined;
  if (bodyOffset <= n) return { n, bodyOffset, head: scratch.subarray(0, n) };
  const head = Buffer.allocUnsafe(bodyOffset);
  return readSync(fd, head, 0, bodyOffset, 0) < bodyOffset ? undefined : { n, bodyOffset, head };
}

/**
 * Opens and reads an entry synchronously: one open, one 16 KiB read (two for a huge head), one
 * fstat-free size from the read itself when the body is small. Synchronous on purpose: the
 * cache directory is local (an emptyDir, ideally `medium: Memory`) and these reads take
 * microseconds, less than a thread-pool round trip; nginx reads its cache the same way when
 * aio is off. Larger bodies are streamed afterwards (serve-entry.ts). Undefined when the file
 * is missing or not an entry.
 */
export function openEntry(path: PathLike, scratch: Buffer): OpenEntry | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const read = readHead(fd, scratch, Infinity);
    if (read === undefined) throw new Error('not an entry');
    const { n, bodyOffset, head } = read;
    const meta = JSON.parse(head.toString('utf8', 8, bodyOffset)) as EntryMeta;
    // A read shorter than the buffer reached the end of the file: no fstat needed.
    const size = n < scratch.length && bodyOffset <= n ? n : fstatSync(fd).size;
    return { meta, fd, bodyOffset, bodyLength: size - bodyOffset, head: Buffer.from(head.subarray(Math.min(bodyOffset, head.length))) };
  } catch {
    closeSync(fd);
    return undefined;
  }
}

/** What the primary needs of an entry file at start: its key, size and time (cache-load.ts). */
export interface EntryFacts {
  readonly key: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * Reads an entry's key, size and modification time: one open, fstat, a read of the meta only
 * (`scratch` is reused: 2 KiB holds most metas), close. Undefined when the path is not a regular
 * file holding an entry of this format.
 */
export function readEntryFacts(path: PathLike, scratch: Buffer): EntryFacts | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const read = readHead(fd, scratch, st.size);
    if (read === undefined) return undefined;
    const meta = JSON.parse(read.head.toString('utf8', 8, read.bodyOffset)) as Partial<EntryMeta>;
    return typeof meta.key === 'string' ? { key: meta.key, size: st.size, mtimeMs: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
