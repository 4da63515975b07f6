import { close, createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CacheUseStale, CacheValidRule } from '../../routing/policies.ts';
import type { Admission, ResponseTap } from '../pipeline/admission.ts';
import type { CacheCounters, EntryWriter, Found, WorkerCache } from './cache-store.ts';
import { varyNames } from './cache-store.ts';
import { encodeMeta, type EntryMeta } from './entry-file.ts';
import { canServeStale, headerRecord, parseCacheControl, storeDecision, usableOnError, type RequestFacts } from './freshness.ts';
import { RangeSlice } from './range-slice.ts';
import { targetedDirectives } from './targeted-cache-control.ts';
import { serveEntry } from './serve-entry.ts';
import { requestHeader } from './request-header.ts';
import { hiddenResponseHeader } from '../forward-headers.ts';

/** Hop-by-hop fields (RFC 9110 §7.6.1): never stored. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection']);
/** Fields a 304 does not update in the stored response (RFC 9111 §3.2). */
const NOT_UPDATED = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'content-range']);

export type CacheStatus = 'HIT' | 'MISS' | 'EXPIRED' | 'STALE' | 'UPDATING' | 'REVALIDATED' | 'BYPASS';

/** What the taps share with the filter that made them. */
export interface TapContext {
  readonly cache: WorkerCache;
  readonly valid: readonly CacheValidRule[];
  /** pier.dev/cache-use-stale, when set. */
  readonly useStale: CacheUseStale | undefined;
  /** pier.dev/cache-targeted-fields (lower-case), empty when not set. */
  readonly targetedFields: readonly string[];
  readonly counters: CacheCounters;
  /** Registers the X-Cache-Status hook (a no-op when the header is hidden). */
  readonly mark: (a: Admission, status: CacheStatus) => void;
}

export { requestHeader } from './request-header.ts';

/** The stored form of an upstream head: latin1 strings, hop-by-hop and hidden fields
 * (hiddenResponseHeader: Server, --hide-headers, ...) dropped. */
export function storedHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  let connection: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    if (lower === 'connection') connection = raw[i + 1]!.toString('latin1').toLowerCase().split(',').map((s) => s.trim());
    if (HOP_BY_HOP.has(lower) || hiddenResponseHeader(name)) continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  if (connection === undefined) return out;
  const drop = new Set(connection);
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) if (!drop.has(out[i]!.toLowerCase())) kept.push(out[i]!, out[i + 1]!);
  return kept;
}

function facts(a: Admission): RequestFacts {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return { method: a.req.method === 'HEAD' ? 'GET' : a.req.method, url: a.req.url, headers };
}

/**
 * Stores what the upstream answers for a miss (or an expired entry's refetch) while it streams
 * to the client. `unlock`: the collapsing lock this fetch holds, released once the entry is in
 * place (or found not storable), so waiting requests find it.
 */
export class StoreTap implements ResponseTap {
  readonly #a: Admission;
  readonly #ctx: TapContext;
  readonly #key: string;
  readonly #status: CacheStatus;
  readonly #unlock: (() => void) | undefined;
  readonly #requestTime = Date.now();
  #writer: EntryWriter | undefined;
  /** A Range request answered from the whole response as it streams (range-slice.ts). */
  #slice: RangeSlice | undefined;

  constructor(a: Admission, ctx: TapContext, key: string, status: CacheStatus, unlock?: () => void) {
    this.#a = a;
    this.#ctx = ctx;
    this.#key = key;
    this.#status = status;
    this.#unlock = unlock;
  }

  head(status: number, rawHeaders: readonly Buffer[]): boolean {
    this.#ctx.mark(this.#a, this.#status);
    this.#ctx.counters.misses++;
    if ((this.#a.upstreamMethod ?? this.#a.req.method) !== 'GET') return this.#release();
    const headers = storedHeaders(rawHeaders);
    // RFC 9110 §6.6.1: a cache that stores a response without Date adds the time it got it.
    if (!headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'date')) headers.push('date', new Date().toUTCString());
    const record = headerRecord(headers);
    const freshness = storeDecision(facts(this.#a), status, record, this.#ctx.valid, this.#requestTime, Date.now(), targetedDirectives(record, this.#ctx.targetedFields));
    if (freshness === undefined) return this.#release();
    const meta: EntryMeta = { key: this.#key, status, headers: withoutPrivateFields(headers, record), freshness, ...validators(record) };
    this.#writer = this.#ctx.cache.store(meta, varyNames(record['vary']), (n) => requestHeader(this.#a, n), this.#ctx.counters);
    this.#slice = RangeSlice.start(this.#a, status, rawHeaders, record);
    return this.#slice === undefined;
  }

  data(chunk: Buffer): boolean {
    this.#writer?.write(chunk);
    return this.#slice === undefined || this.#slice.write(chunk);
  }

  end(trailers?: readonly string[] | null): void {
    this.#slice?.end();
    const writer = this.#writer;
    if (writer === undefined) return;
    // A response with trailer fields is not stored: an entry keeps no trailers, and a hit
    // without the ones the origin sent (a checksum, a status) would be a different response
    // (RFC 9111 §3 lets a cache drop them; Pier prefers to not cache such responses at all).
    if (trailers !== undefined && trailers !== null && trailers.length > 0) {
      writer.abort();
      this.#writer = undefined;
      return this.#unlock?.();
    }
    void writer.end().then(() => this.#unlock?.());
  }

  abort(): void {
    this.#slice?.abort();
    this.#writer?.abort();
    this.#writer = undefined;
    this.#unlock?.();
  }

  failed(): boolean {
    this.#unlock?.();
    return false;
  }

  #release(): true {
    this.#unlock?.();
    return true;
  }
}

/** RFC 9111 §5.2.2.7: `private="a, b"` lets a shared cache store the response without those
 * fields. */
function withoutPrivateFields(headers: string[], record: Record<string, string>): string[] {
  const named = parseCacheControl(record['cache-control']).get('private');
  if (typeof named !== 'string') return headers;
  const drop = new Set(named.split(',').map((n) => n.trim().toLowerCase()));
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (!drop.has(headers[i]!.toLowerCase())) kept.push(headers[i]!, headers[i + 1]!);
  return kept;
}

function validators(record: Record<string, string>): { etag?: string; lastModified?: string } {
  return { ...(record['etag'] === undefined ? {} : { etag: record['etag'] }), ...(record['last-modified'] === undefined ? {} : { lastModified: record['last-modified'] }) };
}

/**
 * A stale entry's conditional request upstream (RFC 9111 §4.3): a 304 is merged into the
 * stored headers (§4.3.4), the entry rewritten with its body, and the client answered from it
 * (REVALIDATED); a full response replaces the entry (EXPIRED); a 5xx or no answer within the
 * entry's stale-if-error window serves the stale entry instead (STALE, RFC 5861 §4).
 * `serve` false: a background revalidation (stale-while-revalidate), nobody to answer.
 */
export class RevalidateTap implements ResponseTap {
  readonly #a: Admission;
  readonly #ctx: TapContext;
  readonly #found: Found;
  readonly #serve: boolean;
  readonly #store: StoreTap;
  readonly #requestTime = Date.now();
  #owns = false;
  #done: () => void;

  constructor(a: Admission, ctx: TapContext, key: string, found: Found, serve: boolean, done: () => void) {
    this.#a = a;
    this.#ctx = ctx;
    this.#found = found;
    this.#serve = serve;
    this.#done = done;
    this.#store = new StoreTap(a, ctx, key, 'EXPIRED', done);
  }

  head(status: number, rawHeaders: readonly Buffer[]): boolean {
    const { entry } = this.#found;
    if (status === 304) {
      this.#owns = true;
      const merged = this.#merge(storedHeaders(rawHeaders));
      if (this.#serve) this.#answer({ ...entry, meta: merged ?? entry.meta }, 'REVALIDATED');
      else closeQuietly(entry.fd);
      return false;
    }
    if (this.#serve && this.#staleAllowed(status >= 500 && status <= 504, (u) => u.statuses.includes(status))) {
      this.#owns = true;
      this.#done();
      this.#answer(entry, 'STALE');
      return false;
    }
    closeQuietly(entry.fd);
    return this.#store.head(status, rawHeaders);
  }

  data(chunk: Buffer): boolean {
    return this.#owns || this.#store.data(chunk);
  }

  end(trailers?: readonly string[] | null): void {
    if (!this.#owns) this.#store.end(trailers);
  }

  abort(): void {
    if (!this.#owns) this.#store.abort();
  }

  failed(status: number): boolean {
    const { entry } = this.#found;
    // Pier's own 504 is a timeout; its 502 / 503 an origin it could not reach or read.
    if (this.#serve && this.#staleAllowed(true, (u) => (status === 504 ? u.timeout : u.error))) {
      this.#done();
      this.#answer(entry, 'STALE');
      return true;
    }
    closeQuietly(entry.fd);
    return this.#store.failed();
  }

  /** May the stale entry answer instead of this failure? RFC 5861's stale-if-error (from the
   * response or the request) when `rfc5861` (5xx statuses and no answer at all), or the
   * route's cache-use-stale condition, unless the response forbids serving it stale. */
  #staleAllowed(rfc5861: boolean, condition: (u: CacheUseStale) => boolean): boolean {
    const f = this.#found.entry.meta.freshness;
    if (rfc5861 && usableOnError(f, requestHeader(this.#a, 'cache-control'), Date.now())) return true;
    const u = this.#ctx.useStale;
    return u !== undefined && canServeStale(f) && condition(u);
  }

  #answer(entry: Found['entry'], status: CacheStatus): void {
    this.#ctx.mark(this.#a, status);
    this.#ctx.counters.hits++;
    this.#ctx.counters.hitBytes += serveEntry(this.#a, entry, Date.now());
    this.#ctx.cache.touch(this.#found.file);
  }

  /** §4.3.4: the 304's fields replace the stored ones; the entry is rewritten (new head, same
   * body) in the background. Returns the merged meta, or undefined when no longer storable. */
  #merge(fresh: string[]): EntryMeta | undefined {
    const old = this.#found.entry;
    const replaced = new Set<string>();
    for (let i = 0; i < fresh.length; i += 2) if (!NOT_UPDATED.has(fresh[i]!.toLowerCase())) replaced.add(fresh[i]!.toLowerCase());
    const headers: string[] = [];
    for (let i = 0; i < old.meta.headers.length; i += 2) if (!replaced.has(old.meta.headers[i]!.toLowerCase())) headers.push(old.meta.headers[i]!, old.meta.headers[i + 1]!);
    for (let i = 0; i < fresh.length; i += 2) if (replaced.has(fresh[i]!.toLowerCase())) headers.push(fresh[i]!, fresh[i + 1]!);
    const record = headerRecord(headers);
    const freshness = storeDecision(facts(this.#a), old.meta.status, record, this.#ctx.valid, this.#requestTime, Date.now(), targetedDirectives(record, this.#ctx.targetedFields));
    if (freshness === undefined) {
      this.#ctx.cache.invalidate(old.meta.key);
      this.#done();
      return undefined;
    }
    const meta: EntryMeta = { ...old.meta, headers, freshness, ...validators(record) };
    void rewrite(this.#ctx.cache, this.#found.file, meta, old.bodyOffset).finally(this.#done);
    return meta;
  }
}

/** Writes `file` anew with `meta` and the current file's body (streamed, never whole). */
async function rewrite(cache: WorkerCache, file: string, meta: EntryMeta, bodyOffset: number): Promise<void> {
  const tmp = join(cache.dir, 'tmp', `${process.pid}-r-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  try {
    const out = createWriteStream(tmp);
    const head = encodeMeta(meta);
    out.write(head);
    let size = head.length;
    const body = createReadStream(join(cache.dir, file), { start: bodyOffset });
    body.on('data', (c) => (size += c.length));
    await pipeline(body, out);
    await rename(tmp, join(cache.dir, file));
    cache.coordinator.send({ type: 'cache-stored', key: meta.key, file, size });
  } catch {
    await rm(tmp, { force: true }).catch(() => {});
  }
}

function closeQuietly(fd: number): void {
  if (fd >= 0) close(fd, () => {});
}

