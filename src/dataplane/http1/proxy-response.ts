import { STATUS_CODES } from 'node:http';
import type { ClientConnection } from './client-connection.ts';
import type { ProxyRequest } from './proxy-request.ts';

/** What the connection tells the exchange producing a response (direct calls, no events). */
export interface ResponseExchange {
  /** The client went away before the response was complete. */
  clientGone(): void;
  /** The socket drained after a write returned false. */
  clientDrained(): void;
}

/** Observes finished responses (the access log). */
export interface FinishHook {
  responseFinished(res: ProxyResponse): void;
}

/**
 * One response on a client connection, written straight to the socket: the head is one latin1
 * string, corked so it leaves with the first body chunk (or the end) in one writev. Framing:
 * the upstream's Content-Length is kept; otherwise chunked for HTTP/1.1 clients and
 * close-delimited (with `connection: close`) for HTTP/1.0 ones; HEAD, 1xx, 204 and 304 get no
 * body and no framing. A `Date` is added when the headers have none (node:http did). Any
 * response that says `connection: close` (draining, keepaliveRequests reached, the client
 * asked) closes the connection once written. A request body still arriving when the response
 * ends is read and dropped by the connection, which then carries on.
 */
export class ProxyResponse {
  readonly req: ProxyRequest;
  readonly conn: ClientConnection;
  /** Told when the client leaves or drains (set by whoever produces the response). */
  exchange: ResponseExchange | null = null;
  /** Told once the response is complete (the access log; undefined costs nothing). */
  onFinish: FinishHook | undefined = undefined;
  /** For the access log: when the request started (only set with the access log on). */
  startedAt = 0;
  statusCode = 0;
  headersSent = false;
  /** The client is gone, or the response was cut (destroy()). */
  destroyed = false;
  finished = false;
  /** The connection closes after this response. */
  closeAfter = false;
  /** A write returned false: the connection calls exchange.clientDrained() on 'drain'. */
  waitingDrain = false;
  #chunked = false;
  #noBody = false;
  #corked = false;
  #flushScheduled = false;

  constructor(conn: ClientConnection, req: ProxyRequest) {
    this.conn = conn;
    this.req = req;
  }

  /**
   * Writes the head (corked until the first write or end). `headers` is flat `[name, value,
   * ...]`, written unchecked: they come from Pier or from an upstream response a strict
   * llhttp parsed (no CR/LF can reach the client to split the response).
   */
  writeHead(status: number, statusText: string | undefined, headers: readonly string[]): void {
    if (this.headersSent || this.destroyed) return;
    const req = this.req;
    this.statusCode = status;
    let head = `HTTP/1.1 ${status} ${statusText ?? STATUS_CODES[status] ?? ''}\r\n`;
    let length = false;
    let date = false;
    let connection = false;
    let close = !req.keepAlive || this.conn.host.draining;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      if (name.length === 14) length ||= same(name, 'content-length');
      else if (name.length === 4) date ||= same(name, 'date');
      else if (name.length === 10 && same(name, 'connection')) {
        connection = true;
        close ||= value.length === 5 && same(value, 'close');
      }
      head += `${name}: ${value}\r\n`;
    }
    this.#noBody = req.method === 'HEAD' || status < 200 || status === 204 || status === 304;
    if (!this.#noBody && !length) {
      if (req.versionMajor === 1 && req.versionMinor >= 1) {
        this.#chunked = true;
        head += 'transfer-encoding: chunked\r\n';
      } else {
        close = true; // HTTP/1.0: the end of the body is the end of the connection
      }
    }
    if (!date) head += `date: ${this.conn.host.date()}\r\n`;
    if (close) {
      this.closeAfter = true;
      if (!connection) head += 'connection: close\r\n';
    } else if (!connection) {
      // As node:http: the connection stays open (HTTP/1.0 clients need to be told), and for
      // how long (clients use the hint to avoid reusing a connection the server is closing).
      head += this.conn.host.keepAliveLines;
    }
    const socket = this.conn.socket;
    socket.cork();
    this.#corked = true;
    socket.write(`${head}\r\n`, 'latin1');
    this.headersSent = true;
  }

  /** Writes a body chunk; false when the socket is full (wait for exchange.clientDrained()). */
  write(chunk: Buffer): boolean {
    if (this.finished || this.destroyed) return true;
    if (this.#noBody || chunk.length === 0) return true;
    const socket = this.conn.socket;
    let ok: boolean;
    if (this.#chunked) {
      this.#cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      ok = socket.write('\r\n', 'latin1');
      // Corked to the end of this tick: an upstream's last chunk and its end usually come in
      // one packet, and the terminating chunk then leaves in the same writev.
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        process.nextTick(flush, this);
      }
    } else {
      ok = socket.write(chunk);
      this.#uncork();
    }
    if (!ok) this.waitingDrain = true;
    return ok;
  }

  /** Completes the response (with a last chunk, if given); the connection moves on. */
  end(chunk?: Buffer): void {
    if (this.finished || this.destroyed) return;
    if (chunk !== undefined) this.write(chunk);
    if (this.#chunked) {
      this.#cork();
      this.conn.socket.write('0\r\n\r\n', 'latin1');
    }
    this.#uncork();
    this.finished = true;
    this.conn.responseFinished(this);
    if (this.onFinish !== undefined) this.onFinish.responseFinished(this);
  }

  /** Cuts the response: the client sees the connection close mid-response. */
  destroy(): void {
    if (this.destroyed || this.finished) return;
    this.destroyed = true;
    this.conn.socket.destroy();
  }

  /** The end-of-tick uncork of a chunked write (a no-op once end() flushed). */
  flush(): void {
    this.#flushScheduled = false;
    this.#uncork();
  }

  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.conn.socket.cork();
  }

  #uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.conn.socket.uncork();
  }
}

function flush(res: ProxyResponse): void {
  res.flush();
}

/** ASCII case-insensitive equality with a lower-case constant of the same length. */
function same(s: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}
