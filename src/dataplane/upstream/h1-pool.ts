import { buildConnector, Dispatcher, errors, type Pool } from 'undici';
import { H1Connection, type ConnectionOwner } from './h1-connection.ts';
import { h1Settings, type H1Settings } from './h1-settings.ts';
import { IdleStack } from './idle-stack.ts';

/** undici's Pool options plus what only H1Pool does. */
export interface H1PoolOptions extends Pool.Options {
  /** nginx `keepalive N`: at most this many idle connections are kept; past it the least
   * recently used one closes. Unset: bounded by the idle timeout only. */
  readonly maxIdle?: number;
}

/**
 * A lean HTTP/1.1 connection pool for one origin, a drop-in for undici's Pool in the dataplane
 * (`new H1Pool(origin, poolOptions(...))`, then `dispatch(options, handler)` with undici's
 * handler contract). Raw sockets from undici's connector (TLS, pinned SNI, connect timeout),
 * node's native llhttp for responses (see H1Connection); none of undici's per-request
 * Request object, queue, or Buffer per header.
 *
 * - One request per connection at a time; free connections on an IdleStack (most recently
 *   used first: the least likely to have met the upstream's idle timeout, as nginx's keepalive
 *   cache does; a close costs O(1)).
 * - No cap on connections (`connections: null` is the only mode): a burst opens more, nothing
 *   queues, so `dispatch` always returns true. Idle connections are capped by `maxIdle` (nginx
 *   `keepalive N`: the least recently used idle one closes when one more becomes free).
 * - Keepalive as undici: keepAliveTimeout idle, lowered by a response's `Keep-Alive: timeout=`
 *   (minus keepAliveTimeoutThreshold, at most keepAliveMaxTimeout), maxRequestsPerClient,
 *   clientTtl; a free connection that gets EOF or stray bytes is closed at once. Unlike undici,
 *   a HEAD keeps its connection (as nginx; see H1Connection for a body sent after it anyway).
 * - Read timeouts (headersTimeout, bodyTimeout) as nginx's proxy_read_timeout: the wait for the
 *   head starts once the whole request is written, then counts between two reads.
 * - Events: 'connect' / 'disconnect' (origin URL, [pool], err) / 'connectionError', as undici's.
 */
export class H1Pool extends Dispatcher implements ConnectionOwner {
  readonly settings: H1Settings;
  readonly #url: URL;
  readonly #connect: buildConnector.connector;
  readonly #connectOptions: buildConnector.Options;
  readonly #all = new Set<H1Connection>();
  readonly #free: IdleStack<H1Connection>;
  #closed = false;
  #destroyed = false;
  #waiters: (() => void)[] = [];

  constructor(origin: string, options: H1PoolOptions = {}) {
    super();
    this.#free = new IdleStack(this.#all, options.maxIdle ?? Infinity);
    this.#url = new URL(origin);
    const o = options;
    this.settings = h1Settings(this.#url, o);
    this.#connect = typeof o.connect === 'function' ? o.connect : buildConnector({ ...(o.connect ?? {}) } as buildConnector.BuildOptions);
    let hostname = this.#url.hostname;
    if (hostname.startsWith('[')) hostname = hostname.slice(1, -1);
    this.#connectOptions = {
      hostname, host: this.#url.host, protocol: this.#url.protocol, port: this.#url.port,
      servername: null as unknown as string, localAddress: null, httpSocket: undefined,
    };
  }

  /** Connections open or opening (tests, metrics). */
  get connections(): number {
    return this.#all.size;
  }

  /** Free connections on the stack (tests, metrics). */
  get free(): number {
    return this.#free.free;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.#closed) {
      handler.onError?.(this.#destroyed ? new errors.ClientDestroyedError() : new errors.ClientClosedError());
      return false;
    }
    (this.#free.take(this.settings.ttl > 0) ?? this.#open()).assign(options, handler);
    return true;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.#closed = true;
    this.#free.closeAll();
    return this.#settled(callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const err = typeof errOrCallback === 'function' ? null : (errOrCallback ?? null);
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback;
    this.#closed = true;
    this.#destroyed = true;
    this.#free.clear();
    for (const conn of [...this.#all]) conn.destroy(err ?? new errors.ClientDestroyedError());
    return this.#settled(cb);
  }

  connectionEstablished(): void {
    this.emit('connect', this.#url, [this]);
  }

  connectionFree(conn: H1Connection): void {
    if (this.#closed) {
      conn.destroy();
      return;
    }
    this.#free.push(conn);
  }

  connectionCrossed(freedAt: number): void {
    this.#free.crossed(freedAt);
  }

  connectionClosed(conn: H1Connection, err: Error | null, established: boolean): void {
    if (!this.#all.delete(conn)) return;
    this.#free.closed(conn);
    // undici's event carries an Error: built only when someone listens (it costs a stack trace).
    if (established) {
      if (this.listenerCount('disconnect') > 0) this.emit('disconnect', this.#url, [this], (err ?? new errors.SocketError('closed')) as errors.UndiciError);
    }
    else if (err !== null) this.emit('connectionError', this.#url, [this], err as errors.UndiciError);
    if (this.#all.size === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #open(): H1Connection {
    const conn = new H1Connection(this);
    this.#all.add(conn);
    this.#connect(this.#connectOptions, conn.connected as buildConnector.Callback);
    return conn;
  }

  #settled(callback: (() => void) | undefined): Promise<void> | void {
    const done = this.#all.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.#waiters.push(resolve));
    if (callback === undefined) return done;
    void done.then(callback);
  }
}
