import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { errors } from 'undici';
import { PierError } from '../../../errors.ts';
import type { UpstreamHandler, UpstreamPool, UpstreamRequest } from '../upstream-handler.ts';
import { IdleStack } from '../idle-stack.ts';
import { cgiParams } from './cgi-params.ts';
import { BAD_RESPONSE_CODE, FcgiConnection, type FcgiConnectionOwner } from './fcgi-connection.ts';
import type { FastcgiSettings } from './fastcgi-settings.ts';

/** Where a FastCGI server listens: TCP, or a unix socket path (a php-fpm sidecar). */
export type FcgiEndpoint = { readonly host: string; readonly port: number } | { readonly path: string };

/** Opens a socket to an endpoint (injectable for tests). */
export type FcgiConnector = (endpoint: FcgiEndpoint) => Socket;

const defaultConnector: FcgiConnector = (endpoint) => ('path' in endpoint ? netConnect({ path: endpoint.path }) : netConnect({ host: endpoint.host, port: endpoint.port }));

/** A request without any answer this long may sit in php-fpm's listen backlog (see FcgiPool). */
export const STALL_MS = 200;

/** RFC 3875 leaves the bound to the server; Apache's LimitInternalRecursion default is 10. */
const MAX_LOCAL_REDIRECTS = 10;

/**
 * The FastCGI protocol's pool for one endpoint, the peer of H1Pool behind the same contract
 * (`dispatch(request, handler)`, undici's handler shape; events 'connect' / 'disconnect').
 *
 * - One request per connection at a time (php-fpm does not multiplex); free connections on an
 *   IdleStack (most recently used first, as H1Pool). A burst opens more connections, nothing
 *   queues: `dispatch` always returns true.
 * - Keepalive as the Upstream says: FCGI_KEEP_CONN while `maxIdle` > 0; at most `maxIdle` idle
 *   connections (the least recently used closes); the `maxRequests`-th request on a connection
 *   goes without KEEP_CONN (php-fpm then closes it); connections older than `ttlMs` are not
 *   reused; idle ones close after `idleMs`.
 * - The idle-close race (php-fpm closes a kept connection, e.g. `pm.max_requests`, just as it is
 *   reused): the try fails as a reset before any answer, every connection idle as long is
 *   dropped, and ProxyExchange retries it on a fresh connection under its usual rules.
 * - CGI parameters are built here (cgiParams) from the request and the client facts it carries.
 *   A path nginx would refuse (NUL, `..` above the root) is answered 400 without a connection.
 * - A local redirect (RFC 3875 §6.2.2) is served as a GET of the new path to the same handler.
 *
 * - Kept connections pin php-fpm children: a child serves one connection until it closes, so
 *   with every child held by an idle kept connection, a new connection waits in php-fpm's listen
 *   backlog until an idle timeout (nginx with `fastcgi_keep_conn` has the same trap). So while
 *   the first request of a new connection (the only kind that can sit in the backlog: a reused
 *   connection already holds a child) has had no answer for STALL_MS, idle connections are closed,
 *   which frees their children for the backlog: a burst beyond `pm.max_children` costs
 *   reconnects, never a stall. Other workers' idle connections are out of reach: keep
 *   `keepalive.connections` × Pier workers below `pm.max_children` (README).
 */
export class FcgiPool extends EventEmitter implements UpstreamPool, FcgiConnectionOwner {
  readonly settings: FastcgiSettings;
  readonly label: string;
  readonly #endpoint: FcgiEndpoint;
  readonly #connect: FcgiConnector;
  readonly #all = new Set<FcgiConnection>();
  readonly #free: IdleStack<FcgiConnection>;
  #closed = false;
  #destroyed = false;
  #waiters: (() => void)[] = [];
  readonly #hops = new WeakMap<UpstreamRequest, number>();
  #stallTimer: NodeJS.Timeout | undefined;
  #stallArmed = false;
  readonly #onStallTimer = (): void => this.#checkStalls();

  constructor(endpoint: FcgiEndpoint, settings: FastcgiSettings, options: { connect?: FcgiConnector } = {}) {
    super();
    this.#endpoint = endpoint;
    this.settings = settings;
    this.#free = new IdleStack(this.#all, settings.maxIdle);
    this.#connect = options.connect ?? defaultConnector;
    this.label = 'path' in endpoint ? `unix:${endpoint.path}` : `${endpoint.host}:${endpoint.port}`;
  }

  /** Connections open or opening (tests, metrics). */
  get connections(): number {
    return this.#all.size;
  }

  /** Free connections (tests, metrics). */
  get free(): number {
    return this.#free.free;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): boolean {
    if (this.#closed) {
      handler.onError?.(this.#destroyed ? new errors.ClientDestroyedError() : new errors.ClientClosedError());
      return false;
    }
    if (request.upgrade !== undefined) {
      handler.onError?.(new PierError(BAD_RESPONSE_CODE, 'FastCGI cannot carry an upgrade'));
      return true;
    }
    const params = cgiParams(request, this.settings);
    if (params === null) {
      answerLocally(handler, 400, 'Bad Request');
      return true;
    }
    if (request.body !== null && !hasContentLength(request.headers)) {
      // RFC 3875 §4.1.2: CONTENT_LENGTH is set iff there is a body, and php-fpm reads exactly
      // that much. nginx buffers a chunked body whole to count it; Pier streams, so it asks the
      // client for a length instead (411), never passing a body PHP would silently not read.
      answerLocally(handler, 411, 'Length Required');
      return true;
    }
    (this.#free.take(this.settings.ttlMs > 0) ?? this.#open()).assign(request, handler, params);
    return true;
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#stallTimer !== undefined) clearTimeout(this.#stallTimer);
    this.#free.closeAll();
    return this.#settled();
  }

  destroy(err: Error | null = null): Promise<void> {
    this.#closed = true;
    if (this.#stallTimer !== undefined) clearTimeout(this.#stallTimer);
    this.#destroyed = true;
    this.#free.clear();
    for (const conn of [...this.#all]) conn.destroy(err ?? new errors.ClientDestroyedError());
    return this.#settled();
  }

  connectionEstablished(): void {
    this.emit('connect', this.label, [this]);
  }

  connectionFree(conn: FcgiConnection): void {
    if (this.#closed) {
      conn.destroy();
      return;
    }
    this.#free.push(conn);
  }

  connectionCrossed(freedAt: number): void {
    this.#free.crossed(freedAt);
  }

  connectionClosed(conn: FcgiConnection, err: Error | null, established: boolean): void {
    if (!this.#all.delete(conn)) return;
    this.#free.closed(conn);
    // undici's event carries an Error: built only when someone listens (it costs a stack trace).
    if (established) {
      if (this.listenerCount('disconnect') > 0) this.emit('disconnect', this.label, [this], err ?? new errors.SocketError('closed'));
    }
    else if (err !== null) this.emit('connectionError', this.label, [this], err);
    if (this.#all.size === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  requestWaiting(): void {
    if (this.#stallArmed) return;
    this.#stallArmed = true;
    if (this.#stallTimer === undefined) {
      this.#stallTimer = setTimeout(this.#onStallTimer, STALL_MS);
      this.#stallTimer.unref();
    } else {
      this.#stallTimer.refresh();
    }
  }

  /** Closes the idle connections when a request has waited STALL_MS for its first record
   * (the class comment says why); runs only while requests wait. */
  #checkStalls(): void {
    this.#stallArmed = false;
    const now = Date.now();
    let waiting = false;
    let stalled = false;
    for (const conn of this.#all) {
      if (conn.waitingSince === 0 || conn.requests !== 1) continue;
      waiting = true;
      if (now - conn.waitingSince >= STALL_MS) stalled = true;
    }
    if (stalled && this.#free.idle > 0) this.#free.closeAll();
    if (waiting && !this.#closed) this.requestWaiting();
  }

  localRedirect(request: UpstreamRequest, handler: UpstreamHandler, path: string): void {
    const hops = (this.#hops.get(request) ?? 0) + 1;
    if (hops > MAX_LOCAL_REDIRECTS) {
      handler.onError?.(new PierError(BAD_RESPONSE_CODE, `more than ${MAX_LOCAL_REDIRECTS} CGI local redirects`));
      return;
    }
    const next: UpstreamRequest = {
      method: 'GET', path, headers: withoutBodyHeaders(request.headers), body: null,
      ...(request.reset === undefined ? {} : { reset: request.reset }),
      ...(request.client === undefined ? {} : { client: request.client }),
    };
    this.#hops.set(next, hops);
    this.dispatch(next, handler);
  }

  #open(): FcgiConnection {
    const conn = new FcgiConnection(this, this.#connect(this.#endpoint));
    this.#all.add(conn);
    return conn;
  }

  #settled(): Promise<void> {
    return this.#all.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

/** A local redirect is a GET without a body: the body's headers do not follow it. */
function withoutBodyHeaders(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (name === 'content-length' || name === 'content-type' || name === 'transfer-encoding') continue;
    out.push(headers[i]!, headers[i + 1]!);
  }
  return out;
}

function hasContentLength(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.length === 14 && headers[i]!.toLowerCase() === 'content-length') return true;
  return false;
}

/** An answer given without a connection (400 for a path nginx would refuse, 411). */
function answerLocally(handler: UpstreamHandler, status: number, text: string): void {
  const body = Buffer.from(`${text}\n`);
  handler.onConnect?.(noop);
  handler.onHeaders?.(status, ['content-type', 'text/plain', 'content-length', String(body.length)] as unknown as Buffer[], noop, text);
  handler.onData?.(body);
  handler.onComplete?.(null);
}

function noop(): void {}
