import { STATUS_CODES } from 'node:http';
import { finishResponse, type DownstreamResponse, type FinishHook, type ResponseExchange } from '../downstream.ts';
import type { RouteMeter } from '../../metrics/route-meter.ts';
import type { ClientConnection } from './client-connection.ts';
import type { ProxyRequest } from './proxy-request.ts';
import { equalsLower as same } from '../../ascii-case.ts';
import { writeLatin1 } from '../../direct-write.ts';
import { downstreamResponseHeaders, namesNoHeader, RESPONSE_CONNECTION, RESPONSE_DROP, responseHeaderFate } from '../../forward-headers.ts';

export type { ResponseExchange, FinishHook } from '../downstream.ts';

/** Body chunks up to this size join the pending head text in one latin1 string write. */
const INLINE_MAX = 8 * 1024;

/**
 * One response on a client connection, written straight to the socket. The head is one latin1
 * string held back until the body starts: a small first chunk (most responses' whole body) is
 * appended to it and the response leaves in ONE string write — no cork, no writev, no write
 * request object when the socket takes it at once (node's string write tries a synchronous
 * write first). Larger chunks go out as Buffers after the pending text. Chunked framing for
 * small chunks is accumulated the same way until the end of the tick, so an upstream's last
 * chunk and the terminator share the write. Framing:
 * the upstream's Content-Length is kept; otherwise chunked for HTTP/1.1 clients and
 * close-delimited (with `connection: close`) for HTTP/1.0 ones; HEAD, 1xx, 204 and 304 get no
 * body and no framing. A `Date` is added when the headers have none (node:http did); over TLS,
 * `--hsts`'s Strict-Transport-Security replaces an upstream's (ClientConnection.sts). Any
 * response that says `connection: close` (draining, keepaliveRequests reached, the client
 * asked) closes the connection once written. A request body still arriving when the response
 * ends is read and dropped by the connection, which then carries on.
 */
export class ProxyResponse implements DownstreamResponse {
  readonly req: ProxyRequest;
  readonly conn: ClientConnection;
  /** Told when the client leaves or drains (set by whoever produces the response). */
  exchange: ResponseExchange | null = null;
  /** Told once the response is complete (metrics, the access log). */
  onFinish: FinishHook | undefined = undefined;
  /** When the request started (performance.now()). */
  startedAt = 0;
  /** Where the request is counted (its route's meter). */
  meter: RouteMeter | undefined = undefined;
  /** The head's bytes and the body's (chunk framing not counted). */
  bytesSent = 0;
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
  /** Latin1 text decided but not written yet (the head, small chunk frames). */
  #pending: string | null = null;
  #flushScheduled = false;

  constructor(conn: ClientConnection, req: ProxyRequest) {
    this.conn = conn;
    this.req = req;
  }

  /**
   * Decides the head (written with the first body write, or at end). `headers` is flat `[name, value,
   * ...]`, written unchecked: they come from Pier or from an upstream response a strict
   * llhttp parsed (no CR/LF can reach the client to split the response).
   */
  writeHead(status: number, statusText: string | undefined, headers: readonly string[]): void {
    this.#writeHead(status, statusText, headers, false, false);
  }

  /**
   * writeHead for an upstream's response: its raw headers minus hop-by-hop ones
   * (downstreamResponseHeaders' rules), filtered in the same pass that writes them; `close`
   * makes it the connection's last response. A Connection header naming other headers (rare),
   * or undici's Buffer headers, take the two-pass way.
   */
  writeUpstreamHead(status: number, statusText: string | undefined, raw: readonly (string | Buffer)[], close: boolean): void {
    if (raw.length > 0 && typeof raw[0] !== 'string') this.#writeHead(status, statusText, downstreamResponseHeaders(raw, close), false, false);
    else this.#writeHead(status, statusText, raw as readonly string[], true, close);
  }

  #writeHead(status: number, statusText: string | undefined, headers: readonly string[], upstream: boolean, last: boolean): void {
    if (this.headersSent || this.destroyed) return;
    const req = this.req;
    this.statusCode = status;
    let head = `HTTP/1.1 ${status} ${statusText ?? STATUS_CODES[status] ?? ''}\r\n`;
    let length = false;
    let date = false;
    let connection = false;
    // A client still waiting for `100 Continue` may send its body or the next request: which
    // one is unknowable, so the connection closes (as node:http; reading on could desync it).
    const sts = this.conn.sts;
    let close = last || !req.keepAlive || this.conn.host.draining || this.conn.host.keepAliveLines === '' || (!req.complete && req.body !== null && req.body.awaitingContinue);
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      if (upstream) {
        const fate = responseHeaderFate(name);
        if (fate === RESPONSE_DROP) continue;
        if (fate === RESPONSE_CONNECTION) {
          if (namesNoHeader(value)) continue;
          return this.#writeHead(status, statusText, downstreamResponseHeaders(headers, last), false, false);
        }
      }
      if (name.length === 14) length ||= same(name, 'content-length');
      else if (name.length === 4) date ||= same(name, 'date');
      else if (name.length === 10 && same(name, 'connection')) {
        connection = true;
        close ||= value.length === 5 && same(value, 'close');
      } else if (name.length === 25 && sts !== '' && same(name, 'strict-transport-security')) continue; // --hsts replaces it
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
    head += sts;
    if (close) {
      this.closeAfter = true;
      if (!connection) head += 'connection: close\r\n';
    } else if (!connection) {
      // As node:http: the connection stays open (HTTP/1.0 clients need to be told), and for
      // how long (clients use the hint to avoid reusing a connection the server is closing).
      head += this.conn.host.keepAliveLines;
    }
    this.#pending = `${head}\r\n`;
    this.bytesSent = head.length + 2;
    this.headersSent = true;
  }

  /**
   * An upstream's 1xx, written at once (nothing of this response is pending before its head,
   * and the response is the connection's current one: requests are answered in turn). Not to
   * HTTP/1.0 clients; 100 only to a client still waiting for it (see DownstreamResponse).
   */
  writeInterim(status: number, raw: readonly (string | Buffer)[]): void {
    const req = this.req;
    if (this.headersSent || this.destroyed || this.finished || req.versionMinor === 0 || status === 101) return;
    if (status === 100) {
      if (!req.complete) req.body?.continueNow();
      return;
    }
    const headers = downstreamResponseHeaders(raw, false);
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    this.#sent(writeLatin1(this.conn.socket, `${head}\r\n`));
  }

  /** Writes a body chunk; false when the socket is full (wait for exchange.clientDrained()). */
  write(chunk: Buffer): boolean {
    if (this.finished || this.destroyed) return true;
    if (this.#noBody || chunk.length === 0) return true;
    this.bytesSent += chunk.length;
    if (chunk.length <= INLINE_MAX) {
      if (this.#chunked) {
        // Held to the end of the tick: more chunks (or the end) usually follow in the same read.
        this.#pending = `${this.#pending ?? ''}${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`;
        if (!this.#flushScheduled) {
          this.#flushScheduled = true;
          process.nextTick(flush, this);
        }
        return true;
      }
      const pending = this.#pending;
      if (pending !== null) {
        this.#pending = null;
        return this.#sent(writeLatin1(this.conn.socket, pending + chunk.toString('latin1')));
      }
      return this.#sent(this.conn.socket.write(chunk));
    }
    const socket = this.conn.socket;
    const frame = this.#chunked ? `${chunk.length.toString(16)}\r\n` : '';
    const text = (this.#pending ?? '') + frame;
    this.#pending = null;
    socket.cork();
    if (text !== '') socket.write(text, 'latin1');
    let ok = socket.write(chunk);
    if (this.#chunked) ok = socket.write('\r\n', 'latin1');
    socket.uncork();
    return this.#sent(ok);
  }

  /**
   * Completes the response (with a last chunk, if given); the connection moves on. Trailers go
   * out in the chunked terminator (RFC 9112 §7.1.2); a response with a length cannot carry them.
   */
  end(chunk?: Buffer, trailers?: readonly string[] | null): void {
    if (this.finished || this.destroyed) return;
    if (chunk !== undefined) this.write(chunk);
    if (this.#chunked) this.#pending = `${this.#pending ?? ''}0\r\n${trailers == null || trailers.length === 0 ? '' : trailerLines(trailers)}\r\n`;
    this.flush();
    this.finished = true;
    this.conn.responseFinished(this);
    finishResponse(this);
  }

  /** Cuts the response: the client sees the connection close mid-response. */
  destroy(): void {
    if (this.destroyed || this.finished) return;
    this.destroyed = true;
    this.#pending = null;
    this.conn.socket.destroy();
  }

  /** Writes the pending text (end of tick for chunk frames; end()). */
  flush(): void {
    this.#flushScheduled = false;
    const pending = this.#pending;
    if (pending === null || this.destroyed) return;
    this.#pending = null;
    this.#sent(writeLatin1(this.conn.socket, pending));
  }

  #sent(ok: boolean): boolean {
    if (!ok) this.waitingDrain = true;
    return ok;
  }
}

/** `name: value\r\n` per trailer (values from a strict upstream parser: no CR/LF). */
function trailerLines(trailers: readonly string[]): string {
  let s = '';
  for (let i = 0; i < trailers.length; i += 2) s += `${trailers[i]}: ${trailers[i + 1]}\r\n`;
  return s;
}

function flush(res: ProxyResponse): void {
  res.flush();
}

