import { Readable } from 'node:stream';
import type { ClientConnection } from './client-connection.ts';

/**
 * A request body as the upstream client reads it (`options.body`): the connection pushes the
 * parser's body chunks (already copies) and ends it when the message completes. Backpressure
 * both ways: a full buffer pauses the client socket, a read resumes it. Its own 'pause' /
 * isPaused() / readableDidRead stay the plain Readable ones the send timeout and the retry rule
 * look at.
 */
export class RequestBody extends Readable {
  readonly #conn: ClientConnection;
  /** `Expect: 100-continue`: invite the client to send the body when it is first read. */
  #expectContinue: boolean;

  constructor(conn: ClientConnection, expectContinue: boolean) {
    super();
    this.#conn = conn;
    this.#expectContinue = expectContinue;
    // The connection destroys an unfinished body with the reason (malformed chunk, client gone)
    // before the upstream client may have attached its listeners: that must not crash.
    this.on('error', ignore);
  }

  /** The client waits for `100 Continue` before sending the body, and none was sent yet. */
  get awaitingContinue(): boolean {
    return this.#expectContinue;
  }

  /** An upstream's 100 (Continue) came before Pier's own (writeInterim): sent now, once. */
  continueNow(): void {
    if (!this.#expectContinue) return;
    this.#expectContinue = false;
    this.#conn.writeContinue();
  }

  override _read(): void {
    if (this.#expectContinue) {
      this.#expectContinue = false;
      this.#conn.writeContinue();
    }
    this.#conn.bodyWanted(this);
  }
}

function ignore(): void {}
