import { downstreamResponseHeaders } from '../forward-headers.ts';
import type { Admission } from '../pipeline/admission.ts';
import { byteRange } from './serve-entry.ts';

/**
 * A `Range` request that missed: the cache asked the origin for the whole response (to store
 * it) and answers the client the range it asked for while the body streams past, as nginx's
 * proxy_cache does without the slice module (it strips Range upstream and lets its range filter
 * cut a single range out of a cacheable response). Only for a 200 with a declared length (the
 * Content-Range needs it); otherwise the client gets the whole 200, which RFC 9110 §14.2
 * allows. If-Range is checked against the response's validators.
 */
export class RangeSlice {
  readonly #a: Admission;
  readonly #start: number;
  readonly #end: number;
  #pos = 0;

  private constructor(a: Admission, start: number, end: number) {
    this.#a = a;
    this.#start = start;
    this.#end = end;
  }

  /**
   * Answers the head (206 or 416) and returns the slice that cuts the body, or undefined when
   * the request is answered whole (no Range, no usable length, a multi-range…). `record`: the
   * response's fields, lower-case.
   */
  static start(a: Admission, status: number, raw: readonly Buffer[], record: Record<string, string>): RangeSlice | undefined {
    if (status !== 200 || a.req.method !== 'GET') return undefined;
    const declared = record['content-length'];
    if (declared === undefined || !/^[0-9]+$/.test(declared) || record['content-encoding'] !== undefined && record['content-encoding'] !== 'identity') return undefined;
    const length = Number(declared);
    const range = byteRange(a, length, record['etag'], record['last-modified']);
    if (range === undefined) return undefined;
    const headers = downstreamResponseHeaders(raw, a.close).filter((_, i, all) => i % 2 === 0 ? all[i]!.toLowerCase() !== 'content-length' : all[i - 1]!.toLowerCase() !== 'content-length');
    if (range === 'unsatisfiable') {
      headers.push('content-range', `bytes */${length}`, 'content-length', '0');
      a.originHead = true;
      a.applyResponseHooks(416, headers);
      a.originHead = false;
      a.res.writeHead(416, undefined, headers);
      a.res.end();
      return new RangeSlice(a, 1, 0); // cuts everything: the rest only goes to the store
    }
    const [start, end] = range;
    headers.push('content-range', `bytes ${start}-${end}/${length}`, 'content-length', String(end - start + 1));
    a.originHead = true;
    a.applyResponseHooks(206, headers);
    a.originHead = false;
    a.res.writeHead(206, undefined, headers);
    return new RangeSlice(a, start, end);
  }

  /** Passes the part of `chunk` inside the range to the client; false: the client is full. */
  write(chunk: Buffer): boolean {
    const at = this.#pos;
    this.#pos += chunk.length;
    const from = Math.max(this.#start - at, 0);
    const to = Math.min(this.#end + 1 - at, chunk.length);
    if (to <= from || this.#a.res.finished) return true;
    return this.#a.res.write(from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to));
  }

  end(): void {
    if (!this.#a.res.finished) this.#a.res.end();
  }

  /** The upstream broke off: a client still waiting for bytes of its range sees the cut. */
  abort(): void {
    if (!this.#a.res.finished) this.#a.res.destroy();
  }
}
