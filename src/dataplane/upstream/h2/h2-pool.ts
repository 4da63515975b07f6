import { EventEmitter } from 'node:events';
import { errors } from 'undici';
import type { UpstreamHandler, UpstreamPool, UpstreamRequest } from '../upstream-handler.ts';
import { H2Exchange, type ExchangeOwner } from './h2-exchange.ts';
import type { H2PoolOptions } from './h2-options.ts';
import { H2Session, type SessionOwner } from './h2-session.ts';

/**
 * An HTTP/2 client pool for one endpoint (h2c with prior knowledge, or TLS with ALPN h2), on
 * node:http2. Requests are streams multiplexed on as few connections as their concurrency
 * needs: each goes on the oldest connection with a free stream slot (the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS, capped by `maxConcurrentStreams`), and a new connection
 * opens only when every one is full or draining. Nothing queues in the pool, so `dispatch`
 * always returns true (as H1Pool).
 *
 * - GOAWAY: the connection takes no new stream and closes once its streams are done; streams
 *   the server refused (above its last stream id, or REFUSED_STREAM) move to another connection
 *   without the caller seeing it (H2Exchange).
 * - Keepalive as H1Pool's policy meanings (h2-options.ts): idle timeout, maximum age, streams per
 *   connection; optional PINGs detect a dead connection between requests.
 * - Events: 'connect' / 'disconnect' (origin URL, [pool], err) / 'connectionError', as H1Pool.
 */
export class H2Pool extends EventEmitter implements UpstreamPool, SessionOwner, ExchangeOwner {
  readonly options: H2PoolOptions;
  readonly scheme: string;
  readonly authority: string;
  readonly readTimeoutMs: number;
  readonly #url: URL;
  readonly #origin: string;
  /** Oldest first: new streams fill the oldest connection with room. */
  readonly #sessions: H2Session[] = [];
  #closed = false;
  #destroyed = false;
  #waiters: (() => void)[] = [];

  /** `origin`: `http://host:port` (h2c) or `https://host:port` (with `options.tls`). */
  constructor(origin: string, options: H2PoolOptions) {
    super();
    this.#url = new URL(origin);
    this.options = options;
    this.scheme = options.tls === false ? 'http' : 'https';
    this.#origin = `${this.scheme}://${this.#url.host}`;
    this.authority = this.#url.host;
    this.readTimeoutMs = options.readTimeoutMs;
  }

  /** Connections open or opening (tests, metrics). */
  get connections(): number {
    return this.#sessions.length;
  }

  /** Connections without a stream in flight (metrics). */
  get free(): number {
    let n = 0;
    for (const s of this.#sessions) if (s.active === 0) n++;
    return n;
  }

  /** Streams in flight over every connection (tests, metrics). */
  get streams(): number {
    let n = 0;
    for (const s of this.#sessions) n += s.active;
    return n;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): boolean {
    if (this.#closed) {
      handler.onError?.(this.#destroyed ? new errors.ClientDestroyedError() : new errors.ClientClosedError());
      return false;
    }
    this.place(new H2Exchange(this, request, handler));
    return true;
  }

  /** Puts `exchange` on a connection with room, opening one if none has. */
  place(exchange: H2Exchange): void {
    if (this.#closed) {
      exchange.fail(this.#destroyed ? new errors.ClientDestroyedError() : new errors.ClientClosedError());
      return;
    }
    const now = Date.now();
    for (const session of this.#sessions) {
      if (session.available(now)) {
        session.start(exchange);
        return;
      }
    }
    const session = new H2Session(this, this.#origin);
    this.#sessions.push(session);
    session.start(exchange);
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const session of [...this.#sessions]) session.drainAndClose();
    return this.#settled();
  }

  destroy(err: Error | null = null): Promise<void> {
    this.#closed = true;
    this.#destroyed = true;
    for (const session of [...this.#sessions]) session.destroy(err ?? new errors.ClientDestroyedError());
    return this.#settled();
  }

  sessionConnected(_session: H2Session): void {
    this.emit('connect', this.#url, [this]);
  }

  sessionClosed(session: H2Session, err: Error | null, established: boolean): void {
    const i = this.#sessions.indexOf(session);
    if (i < 0) return;
    this.#sessions.splice(i, 1);
    // undici's event carries an Error: built only when someone listens (it costs a stack trace).
    if (established) {
      if (this.listenerCount('disconnect') > 0) this.emit('disconnect', this.#url, [this], err ?? new errors.SocketError('closed'));
    }
    else if (err !== null) this.emit('connectionError', this.#url, [this], err);
    if (this.#sessions.length === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #settled(): Promise<void> {
    if (this.#sessions.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}
