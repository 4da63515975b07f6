import { connect, type ClientHttp2Session, type ClientSessionOptions, type Settings } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { errors } from 'undici';
import type { H2Exchange } from './h2-exchange.ts';
import type { H2PoolOptions } from './h2-options.ts';

/** What a session tells its pool. */
export interface SessionOwner {
  readonly options: H2PoolOptions;
  sessionConnected(session: H2Session): void;
  /** Called once per session: it is gone. */
  sessionClosed(session: H2Session, err: Error | null, established: boolean): void;
}

/** Per-stream receive window: what one stream may hold while its client reads slowly. */
export const STREAM_WINDOW = 64 * 1024;
/** node:http2's per-session memory cap (MB) before it refuses new streams. Its default (10)
 * is below what `maxConcurrentStreams` windows may hold at once. */
const MAX_SESSION_MEMORY_MB = 32;
/** After Pier closed a connection gracefully (GOAWAY sent, FIN sent), how long the server may
 * take to close its side before the socket is destroyed: node:http2 waits for the peer's close
 * forever, and a server that keeps the connection half-open (node's own does) would leak it. */
const CLOSE_GRACE_MS = 2_000;

/**
 * One HTTP/2 connection to an upstream (node:http2's ClientHttp2Session) and what the pool
 * needs to share it: streams assigned, the stream limit, draining state, and its timers (connect
 * timeout, idle close, optional PING). Streams are assigned as soon as the session exists;
 * node:http2 holds them until the connection is up.
 *
 * Flow control: each stream gets STREAM_WINDOW; the connection window is as large as all
 * streams' windows together, so a stream whose client is slow (paused: no WINDOW_UPDATE for
 * it) holds at most its own window and never blocks its siblings.
 */
export class H2Session {
  readonly session: ClientHttp2Session;
  /** The connection is up (node's 'connect'). */
  connected = false;
  /** Takes no new stream: GOAWAY received, a limit reached, or the pool closing. */
  draining = false;
  closed = false;
  /** Streams assigned and not yet closed. */
  active = 0;
  /** Streams assigned over the session's life (maxRequests). */
  requests = 0;
  /** Streams at once: the server's SETTINGS_MAX_CONCURRENT_STREAMS, capped by the pool's option. */
  limit: number;
  establishedAt = 0;
  readonly #owner: SessionOwner;
  readonly #exchanges = new Set<H2Exchange>();
  #error: Error | null = null;
  readonly #connectTimer: NodeJS.Timeout;
  #idleTimer: NodeJS.Timeout | undefined;
  #idleArmed = false;
  #pingTimer: NodeJS.Timeout | undefined;
  #pingOutstanding = false;
  /** The TCP or TLS socket under the session (Pier makes it, so it can always be destroyed). */
  readonly #socket: Socket;
  #graceTimer: NodeJS.Timeout | undefined;

  constructor(owner: SessionOwner, origin: string) {
    this.#owner = owner;
    const o = owner.options;
    this.limit = o.maxConcurrentStreams;
    const settings: Settings = { enablePush: false, initialWindowSize: STREAM_WINDOW };
    const url = new URL(origin);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = Number(url.port);
    // The socket is made here rather than by node:http2 (which hides it behind a proxy), so a
    // connection whose server never closes its side can still be destroyed (CLOSE_GRACE_MS).
    this.#socket = o.tls === false ? netConnect({ host, port }) : tlsConnect({ host, port, ...o.tls, ALPNProtocols: ['h2'] });
    this.#socket.setNoDelay(true);
    const options: ClientSessionOptions = {
      settings,
      peerMaxConcurrentStreams: o.maxConcurrentStreams,
      maxSessionMemory: MAX_SESSION_MEMORY_MB,
      createConnection: () => this.#socket,
    };
    this.session = connect(origin, options);
    const session = this.session;
    session.on('connect', () => this.#connected());
    session.on('remoteSettings', (s: Settings) => {
      this.limit = Math.max(1, Math.min(o.maxConcurrentStreams, s.maxConcurrentStreams ?? Infinity));
    });
    session.on('goaway', () => {
      // Streams above the last stream id are refused by nghttp2 (REFUSED_STREAM) and placed
      // again by their exchange; no new stream may start here.
      this.draining = true;
    });
    session.on('error', (err: Error) => {
      this.#error ??= err;
    });
    session.on('close', () => this.#closed());
    this.#connectTimer = setTimeout(connectTimedOut, o.connectTimeoutMs > 0 ? o.connectTimeoutMs : 2 ** 31 - 1, this);
    this.#connectTimer.unref();
  }

  /** Whether the pool may put one more stream on this session now. */
  available(now: number): boolean {
    if (this.draining || this.closed || this.active >= this.limit) return false;
    const maxAge = this.#owner.options.maxAgeMs;
    if (maxAge > 0 && this.connected && now - this.establishedAt >= maxAge) {
      this.#drain();
      return false;
    }
    return true;
  }

  /** Puts `exchange` on this session (its stream is created at once). */
  start(exchange: H2Exchange): void {
    this.active++;
    this.requests++;
    this.#exchanges.add(exchange);
    this.#idleArmed = false;
    const max = this.#owner.options.maxRequests;
    if (max > 0 && this.requests >= max) this.draining = true;
    exchange.attach(this);
  }

  /** `exchange` is done with this session (its stream closed, or never opened). */
  streamDone(exchange: H2Exchange): void {
    if (!this.#exchanges.delete(exchange)) return;
    this.active--;
    if (this.active > 0 || this.closed) return;
    if (this.draining) this.#closeGracefully();
    else this.#armIdle();
  }

  /** Takes no new stream; closes once its streams are done. */
  drainAndClose(): void {
    this.#drain();
  }

  /** Fails every stream with `err` and closes the connection now. */
  destroy(err: Error): void {
    this.draining = true;
    for (const exchange of [...this.#exchanges]) exchange.fail(err);
    this.#error ??= err;
    this.session.destroy();
    // A session closed gracefully before is already "destroyed" for node:http2, which then
    // waits for the socket alone.
    this.#socket.destroy();
  }

  /** The server kept its side open after a graceful close. */
  closeGraceOver(): void {
    if (!this.closed) this.#socket.destroy();
  }

  #drain(): void {
    this.draining = true;
    if (this.active === 0 && !this.closed) this.#closeGracefully();
  }

  #closeGracefully(): void {
    this.session.close();
    if (this.#graceTimer === undefined) {
      this.#graceTimer = setTimeout(closeGraceOver, CLOSE_GRACE_MS, this);
      this.#graceTimer.unref();
    }
  }

  #connected(): void {
    this.connected = true;
    this.establishedAt = Date.now();
    clearTimeout(this.#connectTimer);
    // The connection window covers every stream's window (see the class comment).
    this.session.setLocalWindowSize(STREAM_WINDOW * Math.max(16, this.#owner.options.maxConcurrentStreams));
    const ping = this.#owner.options.pingIntervalMs;
    if (ping > 0) {
      this.#pingTimer = setInterval(pingDue, ping, this);
      this.#pingTimer.unref();
    }
    if (this.active === 0) this.#armIdle();
    this.#owner.sessionConnected(this);
  }

  /** The PING interval passed: the last PING unanswered means the connection is dead. */
  pingDue(): void {
    if (this.closed) return;
    if (this.#pingOutstanding) {
      this.destroy(new errors.SocketError('upstream did not answer an HTTP/2 PING'));
      return;
    }
    this.#pingOutstanding = true;
    this.session.ping((err) => {
      if (err === null) this.#pingOutstanding = false;
    });
  }

  /** The connect timer fired. */
  connectTimedOut(): void {
    if (this.connected || this.closed) return;
    this.#error = new errors.ConnectTimeoutError();
    // Streams still pending fail with this error as their cause ('connect-timeout').
    this.session.destroy(this.#error);
  }

  /** The idle timer fired: close if still idle. */
  idleTimedOut(): void {
    if (this.#idleArmed && this.active === 0 && !this.closed) this.#drain();
  }

  #armIdle(): void {
    this.#idleArmed = true;
    if (this.#idleTimer === undefined) {
      this.#idleTimer = setTimeout(idleTimedOut, this.#owner.options.idleTimeoutMs, this);
      this.#idleTimer.unref();
    } else {
      this.#idleTimer.refresh();
    }
  }

  #closed(): void {
    if (this.closed) return;
    this.closed = true;
    this.draining = true;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#graceTimer);
    clearInterval(this.#pingTimer);
    // Streams report their own end first; any left (none expected) fail as the session did.
    const err = this.#error ?? new errors.SocketError('upstream HTTP/2 connection closed');
    for (const exchange of [...this.#exchanges]) exchange.sessionGone(err, this.connected);
    this.#owner.sessionClosed(this, this.#error, this.connected);
  }
}

function connectTimedOut(session: H2Session): void {
  session.connectTimedOut();
}
function idleTimedOut(session: H2Session): void {
  session.idleTimedOut();
}
function closeGraceOver(session: H2Session): void {
  session.closeGraceOver();
}
function pingDue(session: H2Session): void {
  session.pingDue();
}
