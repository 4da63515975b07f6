import { closeSync, readSync } from 'node:fs';
import type { ResponseExchange } from '../front/downstream.ts';
import type { Admission } from '../pipeline/admission.ts';
import type { OpenEntry } from './entry-file.ts';
import { currentAge } from './freshness.ts';
import { parseHttpDate } from './http-date.ts';
import { requestHeader } from './request-header.ts';

/** Fields a 304 carries (RFC 9110 §15.4.5), lower-case. */
const NOT_MODIFIED_FIELDS = new Set(['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified', 'age', 'x-cache-status']);
/** Bytes per synchronous read of a streamed body (page-cache reads: tens of microseconds). */
const STREAM_CHUNK = 256 * 1024;

const header = requestHeader;

/** Closes an entry's fd, if it has one (entries served from memory have none). */
export function releaseEntry(entry: OpenEntry): void {
  if (entry.fd >= 0) closeSync(entry.fd);
}

/** RFC 9110 §8.8.3.2 weak comparison: opaque tags equal, W/ ignored. */
function weakMatch(list: string, etag: string): boolean {
  if (list.trim() === '*') return true;
  const tag = etag.replace(/^W\//, '');
  return list.split(',').some((t) => t.trim().replace(/^W\//, '') === tag);
}

/**
 * RFC 9110 §13.2.2 for a stored response: If-None-Match (weak comparison), else
 * If-Modified-Since against Last-Modified. True: answer 304.
 */
export function notModified(a: Admission, etag: string | undefined, lastModified: string | undefined): boolean {
  const inm = header(a, 'if-none-match');
  if (inm !== undefined) return etag !== undefined && weakMatch(inm, etag);
  const ims = header(a, 'if-modified-since');
  if (ims === undefined || lastModified === undefined) return false;
  // RFC 9110 §13.1.3: an If-Modified-Since that is not an HTTP-date is ignored.
  const since = parseHttpDate(ims);
  const modified = parseHttpDate(lastModified);
  return since !== undefined && modified !== undefined && modified <= since;
}

/**
 * A single byte range of `length` (RFC 9110 §14.1.2), honouring If-Range (§13.1.5: a strong
 * ETag equal, or the exact Last-Modified date). undefined: send the whole body (no Range, a
 * multi-range, an unknown unit, or a failed If-Range); 'unsatisfiable': 416.
 */
export function byteRange(a: Admission, length: number, etag: string | undefined, lastModified: string | undefined): [number, number] | 'unsatisfiable' | undefined {
  const range = header(a, 'range');
  if (range === undefined || a.req.method !== 'GET') return undefined;
  const ifRange = header(a, 'if-range');
  if (ifRange !== undefined) {
    const ok = ifRange.startsWith('"') ? etag !== undefined && !etag.startsWith('W/') && etag === ifRange.trim() : lastModified !== undefined && ifRange.trim() === lastModified;
    if (!ok) return undefined;
  }
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range);
  if (m === null || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, length - suffix);
    end = length - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined; // invalid: ignore the field
    if (start >= length) return 'unsatisfiable';
  }
  return [start, end];
}

/**
 * Answers the request from a stored entry: 304 for a matching conditional request, 206/416 for
 * a Range, the head only for HEAD, else the whole body; `Age` as §4.2.3 computes it; response
 * hooks (X-Cache-Status, header edits, expires) apply as to a fetched response. Small bodies
 * were read with the head; larger ones are streamed from the file with backpressure. Closes
 * the entry's fd.
 */
export function serveEntry(a: Admission, entry: OpenEntry, now: number): number {
  const { meta } = entry;
  const age = String(Math.floor(currentAge(meta.freshness, now)));
  const headers: string[] = [];
  const stored = meta.headers;
  let status = meta.status;
  const conditional = a.req.method === 'GET' || a.req.method === 'HEAD';
  if (conditional && (status === 200 || status === 203) && notModified(a, meta.etag, meta.lastModified)) {
    for (let i = 0; i < stored.length; i += 2) if (NOT_MODIFIED_FIELDS.has(stored[i]!.toLowerCase()) && stored[i]!.toLowerCase() !== 'age') headers.push(stored[i]!, stored[i + 1]!);
    headers.push('age', age);
    return finish(a, entry, 304, headers, 0, -1);
  }
  for (let i = 0; i < stored.length; i += 2) {
    const name = stored[i]!.toLowerCase();
    if (name !== 'age' && name !== 'content-length') headers.push(stored[i]!, stored[i + 1]!);
  }
  headers.push('age', age);
  const length = entry.bodyLength;
  let start = 0;
  let end = length - 1;
  const range = status === 200 ? byteRange(a, length, meta.etag, meta.lastModified) : undefined;
  if (range === 'unsatisfiable') {
    status = 416;
    headers.push('content-range', `bytes */${length}`, 'content-length', '0');
    return finish(a, entry, status, headers, 0, -1);
  }
  if (range !== undefined) {
    [start, end] = range;
    status = 206;
    headers.push('content-range', `bytes ${start}-${end}/${length}`);
  } else if (status === 200 && !stored.some((h, i) => i % 2 === 0 && h.length === 13 && h.toLowerCase() === 'accept-ranges')) headers.push('accept-ranges', 'bytes');
  headers.push('content-length', String(end - start + 1));
  return finish(a, entry, status, headers, start, end);
}

function finish(a: Admission, entry: OpenEntry, status: number, headers: string[], start: number, end: number): number {
  const res = a.res;
  if (a.close) headers.push('connection', 'close');
  a.originHead = true;
  a.applyResponseHooks(status, headers);
  a.originHead = false;
  res.writeHead(status, undefined, headers);
  if (end < start || a.req.method === 'HEAD' || status === 304) {
    releaseEntry(entry);
    res.end();
    return 0;
  }
  if (end < entry.head.length) {
    releaseEntry(entry);
    res.end(entry.head.subarray(start, end + 1));
    return end - start + 1;
  }
  new FileBody(a, entry, start, end).pump();
  return end - start + 1;
}

/** Reusable read buffers of STREAM_CHUNK bytes: a fresh 256 KiB buffer is an mmap and 64
 * page faults; a pooled one is neither (see FileBody). */
const pool: Buffer[] = [];
const POOL_MAX = 16;

/**
 * Streams a byte range of an entry file to the client, pausing while the client is full.
 * Each chunk is read into a pooled buffer, which is reused once the client drained (a write
 * that returned false is complete when 'drain' comes; one that returned true may still be in
 * flight, so its buffer is left to the GC). The last chunk gets a buffer of its own size.
 */
class FileBody implements ResponseExchange {
  readonly #a: Admission;
  readonly #fd: number;
  #pos: number;
  readonly #end: number;
  #done = false;
  #waiting = false;
  /** The pooled buffer, free to read into whenever #waiting is false. */
  #buf: Buffer | undefined;

  constructor(a: Admission, entry: OpenEntry, start: number, end: number) {
    this.#a = a;
    this.#fd = entry.fd;
    this.#pos = entry.bodyOffset + start;
    this.#end = entry.bodyOffset + end;
    a.res.exchange = this;
  }

  /** Reads and writes until the client is full or the range is sent. */
  pump(): void {
    const res = this.#a.res;
    while (!this.#done) {
      const left = this.#end - this.#pos + 1;
      const last = left <= STREAM_CHUNK;
      const buf = last ? Buffer.allocUnsafe(left) : (this.#buf ??= pool.pop() ?? Buffer.allocUnsafeSlow(STREAM_CHUNK));
      let n: number;
      try {
        n = readSync(this.#fd, buf, 0, last ? left : STREAM_CHUNK, this.#pos);
      } catch {
        n = 0;
      }
      if (n === 0) return this.#stop(true);
      this.#pos += n;
      const chunk = n === buf.length ? buf : buf.subarray(0, n);
      if (this.#pos > this.#end) {
        this.#stop(false);
        res.end(chunk);
        return;
      }
      if (!res.write(chunk)) {
        this.#waiting = true;
        return;
      }
      if (!last) this.#buf = undefined; // maybe still in flight: not reused
    }
  }

  clientDrained(): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    this.pump();
  }

  clientGone(): void {
    this.#stop(false);
  }

  #stop(broken: boolean): void {
    if (this.#done) return;
    this.#done = true;
    closeSync(this.#fd);
    // A buffer whose write never drained (the client left) may still be read by the socket.
    if (this.#buf !== undefined && !this.#waiting && pool.length < POOL_MAX) pool.push(this.#buf);
    this.#buf = undefined;
    if (broken) this.#a.res.destroy();
  }
}
