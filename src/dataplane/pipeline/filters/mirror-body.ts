import { Readable } from 'node:stream';

/** Body bytes one mirror request may hold unsent before it is dropped. */
export const MAX_MIRROR_BUFFERED = 256 * 1024;

/** Why a MirrorBody stopped before the request body's end. */
export class MirrorBodyDropped extends Error {
  readonly code = 'PIER_MIRROR_DROPPED';
}

/**
 * The copy of a request body that goes to a mirror: it sees each chunk the real upstream
 * request reads, never reads the client itself, and never holds the client back. It starts
 * listening when the upstream side adds its own 'data' listener (the 'newListener' event comes
 * just before, and before that listener sets the body flowing): a 'data' listener added
 * earlier would start the flow and lose chunks before the upstream attached, one added later
 * (on 'resume') could miss chunks a push emits at once.
 * When the mirror takes the copy slower than the client sends, unsent bytes pile up here; past
 * `maxBuffered` the copy is destroyed (MirrorBodyDropped) and the mirror request is cut, rather
 * than the client slowed down or memory spent without bound. The request body ending early (the
 * upstream try cut, the client gone) destroys the copy too: a mirror never gets a body that
 * looks complete but is not.
 */
export class MirrorBody extends Readable {
  readonly #source: Readable;
  readonly #maxBuffered: number;
  /** Destroyed for being too slow (not for the request body's fault). */
  dropped = false;
  /** The request body ended: the copy is whole. */
  #complete = false;
  readonly #onNewListener = (event: string | symbol): void => {
    if (event !== 'data') return;
    this.#source.off('newListener', this.#onNewListener);
    if (!this.destroyed) this.#source.on('data', this.#onData);
  };
  readonly #onData = (chunk: Buffer | string): void => {
    if (this.readableLength + chunk.length > this.#maxBuffered) {
      this.dropped = true;
      this.destroy(new MirrorBodyDropped('the mirror took the request body slower than the client sent it'));
      return;
    }
    this.push(chunk);
  };
  readonly #onEnd = (): void => {
    this.#complete = true;
    this.#detach();
    this.push(null);
  };
  readonly #onClose = (): void => {
    this.destroy(new Error('the request body ended early'));
  };

  constructor(source: Readable, maxBuffered = MAX_MIRROR_BUFFERED) {
    super();
    this.#source = source;
    this.#maxBuffered = maxBuffered;
    // Destroyed (too slow, body cut) maybe before the mirror request attached its listeners:
    // the request's promise reports it; the error event must not crash the worker.
    this.on('error', ignore);
    if (source.listenerCount('data') > 0) source.on('data', this.#onData);
    else source.on('newListener', this.#onNewListener);
    source.on('end', this.#onEnd);
    source.on('close', this.#onClose);
  }

  /** Nothing to ask for: chunks come as the upstream side reads them. */
  override _read(): void {}

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#detach();
    callback(err);
  }

  /** The exchange is over: a copy still open will get nothing more. */
  cut(): void {
    if (!this.#complete && !this.destroyed) this.destroy(new Error('the exchange ended before the request body did'));
  }

  #detach(): void {
    const source = this.#source;
    source.off('newListener', this.#onNewListener);
    source.off('data', this.#onData);
    source.off('end', this.#onEnd);
    source.off('close', this.#onClose);
  }
}

function ignore(): void {}
