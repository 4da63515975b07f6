import { constants, createBrotliCompress, createGzip, createZstdCompress, type BrotliCompress, type Gzip, type ZstdCompress } from 'node:zlib';
import type { DownstreamResponse } from '../front/downstream.ts';
import type { BodyTransform } from '../pipeline/admission.ts';

export type Coding = 'gzip' | 'br' | 'zstd';

/**
 * Each coder's memory is bounded: gzip level 1 (ingress-nginx's gzip-level) with a 32 KiB
 * window (~256 KiB of state), brotli quality 4 (ingress-nginx's brotli-level) with a 512 KiB
 * window, zstd level 3 with a 512 KiB window. Streams buffer at most their highWaterMark (16 KiB)
 * on each side.
 */
function coder(coding: Coding): Gzip | BrotliCompress | ZstdCompress {
  if (coding === 'gzip') return createGzip({ level: 1 });
  if (coding === 'br') return createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_LGWIN]: 19 } });
  return createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: 3, [constants.ZSTD_c_windowLog]: 19 } });
}

const FLUSH: Readonly<Record<Coding, number>> = {
  gzip: constants.Z_SYNC_FLUSH,
  br: constants.BROTLI_OPERATION_FLUSH,
  zstd: constants.ZSTD_e_flush,
};

/**
 * An upstream body compressed on its way to the client (node:zlib, on libuv's thread pool).
 * Backpressure both ways: the client full → the coder's output paused → its input buffer fills →
 * `write` returns false and the upstream waits for `resume`. What the upstream sent within one
 * turn of the event loop is flushed at the end of that turn, so a streamed response (server-sent
 * events) reaches the client as it comes rather than when the coder's buffer fills.
 */
export class CompressingBody implements BodyTransform {
  resume: (() => void) | undefined = undefined;
  readonly #res: DownstreamResponse;
  readonly #z: Gzip | BrotliCompress | ZstdCompress;
  readonly #flushKind: number;
  #trailers: readonly string[] | null | undefined;
  #ending = false;
  #destroyed = false;
  #flushQueued = false;

  constructor(coding: Coding, res: DownstreamResponse) {
    this.#res = res;
    this.#flushKind = FLUSH[coding];
    const z = (this.#z = coder(coding));
    z.on('data', (out: Buffer) => {
      if (!this.#res.write(out)) z.pause();
    });
    z.on('drain', () => this.resume?.());
    z.once('end', () => {
      if (!this.#destroyed) this.#res.end(undefined, this.#trailers);
    });
    z.on('error', () => {
      this.destroy();
      this.#res.destroy();
    });
  }

  write(chunk: Buffer): boolean {
    if (this.#destroyed) return true;
    const ok = this.#z.write(chunk);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      setImmediate(flushTurn, this);
    }
    return ok;
  }

  /** End of a turn with data written: push it through unless the end does it anyway. */
  flushTurn(): void {
    this.#flushQueued = false;
    if (!this.#ending && !this.#destroyed) this.#z.flush(this.#flushKind);
  }

  end(trailers?: readonly string[] | null): void {
    if (this.#destroyed || this.#ending) return;
    this.#ending = true;
    this.#trailers = trailers;
    this.#z.end();
  }

  clientDrained(): void {
    if (!this.#destroyed) this.#z.resume();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#z.destroy();
  }
}

function flushTurn(body: CompressingBody): void {
  body.flushTurn();
}
