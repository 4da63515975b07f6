import { brotliCompressSync, constants, gzipSync, zstdCompressSync } from 'node:zlib';
import type { DownstreamResponse } from '../front/downstream.ts';
import type { BodyTransform } from '../pipeline/admission.ts';
import type { Coding } from './compressing-body.ts';

/** Bodies with a known length up to this are compressed in one synchronous call (nginx holds
 * as much by default: gzip_buffers 32 × 4k). */
export const BUFFERED_MAX = 128 * 1024;

/**
 * A body of known, small length (≤ BUFFERED_MAX), gathered and compressed in one call at its end:
 * no coder stream, no thread-pool round trips, and the coder sized to the body as nginx does
 * (ngx_http_gzip_filter: window and memory level lowered while the length is below half the
 * window minus 262). At most BUFFERED_MAX bytes held; `write` never pushes back.
 */
export class BufferedBody implements BodyTransform {
  resume: (() => void) | undefined = undefined;
  readonly #coding: Coding;
  readonly #res: DownstreamResponse;
  readonly #length: number;
  #chunks: Buffer[] = [];

  constructor(coding: Coding, res: DownstreamResponse, length: number) {
    this.#coding = coding;
    this.#res = res;
    this.#length = length;
  }

  write(chunk: Buffer): boolean {
    this.#chunks.push(chunk);
    return true;
  }

  end(trailers?: readonly string[] | null): void {
    const chunks = this.#chunks;
    this.#chunks = [];
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    this.#res.end(compressSync(this.#coding, body, this.#length), trailers);
  }

  destroy(): void {
    this.#chunks = [];
  }

  clientDrained(): void {}
}

/** One-shot compression with a coder sized for `length` bytes. */
export function compressSync(coding: Coding, body: Buffer, length: number): Buffer {
  let bits = 15;
  let mem = 8;
  while (bits > 9 && length < (1 << (bits - 1)) - 262) {
    bits--;
    mem--;
  }
  if (coding === 'gzip') return gzipSync(body, { level: 1, windowBits: bits, memLevel: Math.max(1, mem) });
  if (coding === 'br') {
    return brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_LGWIN]: Math.max(10, bits), [constants.BROTLI_PARAM_SIZE_HINT]: length } });
  }
  return zstdCompressSync(body, { params: { [constants.ZSTD_c_compressionLevel]: 3, [constants.ZSTD_c_windowLog]: Math.max(10, bits) } });
}
