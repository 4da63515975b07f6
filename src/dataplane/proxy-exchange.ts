import type { IncomingHttpHeaders } from 'node:http';
import type { PickContext } from './balance/balancer.ts';
import type { BackendRuntime } from './backend-runtime.ts';
import type { DataplaneStats } from './dataplane-stats.ts';
import { sendError } from './error-response.ts';
import { downstreamResponseHeaders } from './forward-headers.ts';
import { finishResponse, type DownstreamRequest, type DownstreamResponse, type ResponseExchange } from './front/downstream.ts';
import type { Admission, BodyTransform, ResponseTap } from './pipeline/admission.ts';
import type { RequestBody } from './front/http1/request-body.ts';
import { PINNED_SERVERNAME } from './upstream/pool-options.ts';
import type { UpstreamHandler, UpstreamRequest } from './upstream/upstream-handler.ts';
import { PierError } from '../errors.ts';
import { InterceptedStatus } from './upstream/intercepted-status.ts';
import {
  classifyFailure, failureStatus, isIdempotent, isKeepaliveRace, nothingSent, RetryableStatus, SEND_TIMEOUT_CODE, type FailureKind,
} from './upstream/upstream-failure.ts';

/** What every exchange of a dataplane shares with it. */
export interface ExchangeContext {
  readonly stats: DataplaneStats;
  /** Draining: every response carries `Connection: close`. */
  readonly draining: boolean;
}

const kExchange = Symbol('pier.exchange');

type TaggedBody = RequestBody & { [kExchange]?: ProxyExchange };

// Listeners and timer callbacks shared by all exchanges: no closure per request.
function onBodyPause(this: TaggedBody): void {
  this[kExchange]?.bodyPaused();
}
function onSendTimeout(exchange: ProxyExchange): void {
  exchange.sendTimedOut();
}
function onBackoffEnd(exchange: ProxyExchange): void {
  exchange.backoffEnded();
}

/** Idle-close races retried without using up a try, per request. Each one closes its connection
 * and every connection idle as long (the pools' connectionCrossed), so the next try is nearly
 * always on a fresh connection; more than this means something else is wrong. */
const MAX_RACE_TRIES = 3;
/** The back-off before a retry that goes back to a server already tried: Envoy's defaults (25 ms,
 * doubling per back-off, at most 250 ms), each drawn between half and all of it. */
const BACKOFF_BASE_MS = 25;
const BACKOFF_MAX_MS = 250;

/**
 * One proxied request: picks a server, dispatches to its undici pool, streams the response back,
 * retries when that is safe. It is its own undici dispatch handler (the raw `onHeaders` form:
 * headers arrive as the wire's Buffers, relayed without building an object) and its own
 * balancer PickContext.
 *
 * Retry rule (nginx proxy_next_upstream, made safe): only before any response byte reached the
 * client, only while the request body is untouched (no body, or not read yet), and
 * - connect failures / connect timeouts (nothing was sent): any method;
 * - resets ("other side closed": the upstream closed an idle keepalive connection as we reused
 *   it), read timeouts, and 502/503/504 answers: idempotent methods, or any when
 *   `retries.nonIdempotent`. A retried answer is dropped with its connection; the last try's
 *   answer is relayed as it is.
 * Each condition applies only when `policy.retries.on` lists it, within `retries.attempts`.
 * Each retry prefers a server not tried yet, at once; once every server was tried, it waits a
 * back-off (25 ms, doubling, at most 250 ms, jittered: Envoy's defaults) and goes to any server
 * the balancer offers (a single server is retried on a fresh connection), so a server that is
 * restarting (php-fpm's reload, a pod replaced) gets a moment instead of three tries within a
 * few milliseconds. Resets do not count against passive health: the keepalive race is not the
 * server's failure.
 *
 * The idle-close race (a reused keepalive connection closed before any answer, marked by the
 * pool: markKeepaliveRace) is retried at once and does not use up a try, as nginx does for a
 * failed cached connection (`u->peer.tries++`), at most MAX_RACE_TRIES times per request; the
 * other conditions (idempotent, body untouched, `reset` in `retries.on`) still apply.
 *
 * Send timeout (nginx proxy_send_timeout: the time one write of the request to the upstream may
 * stay blocked, not the whole upload): undici pauses the request body whenever the upstream
 * socket stops taking data and resumes it on 'drain'. Each 'pause' (re)arms one timer; when it
 * fires with the body still paused, the upstream took nothing for `sendTimeoutMs`: the client
 * gets a 504 (with `Connection: close`) if no response byte went out, and the try is aborted.
 * A slow *client* never pauses the body, so it is not charged to the upstream. The aborted
 * body cannot be skipped, so the client connection closes after the 504.
 *
 * Read timeout (nginx proxy_read_timeout): the pool's alone (poolOptions: headersTimeout and
 * bodyTimeout). Its connection waits for the head from the last byte of the request (a slow
 * upload is the client's time, not the upstream's), then between two reads, and does not charge
 * the upstream while the *client* holds the response back;
 * expiry is a 'timeout' failure like any other (504, or a cut response once the head is out).
 */
export class ProxyExchange implements PickContext, UpstreamHandler, ResponseExchange {
  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  /** The backend of the current try (the error backend once an answer was intercepted). */
  runtime: BackendRuntime;
  readonly clientAddress: string;
  /** Index of the server of the current (last) try; -1 before the first. */
  server = -1;
  /** Set when the upstream's response head reached the client. */
  responded = false;
  /** Status of the upstream's last response head (0: none; the access log's upstream_status). */
  upstreamStatus = 0;
  /** When the current try was dispatched, and when its response ended (0: not yet, or in the
   * same tick as the client's response: the recorder's clock then serves for both). */
  #tryStart = 0;
  #completedAt = 0;
  #complete = false;
  resumeUpstream: (() => void) | null = null;
  readonly #ctx: ExchangeContext;
  #options: UpstreamRequest;
  /** An answer was handed to the error backend (custom-http-errors): never again. */
  #intercepted = false;
  #tries = 0;
  /** Tries that failed on the idle-close race (they do not use up `retries`); #raced: the last
   * failure was one, so the retry goes out at once. */
  #raceTries = 0;
  #raced = false;
  /** Back-offs waited so far, and the timer of the one running. */
  #backoffs = 0;
  #backoffTimer: NodeJS.Timeout | undefined;
  /** When the first try started (only with a retry time bound). */
  #startedAt = 0;
  #tried: Set<number> | undefined;
  #abort: ((reason?: Error) => void) | null = null;
  #done = false;
  #lastFailure: FailureKind = 'connect';
  /** Armed only once the upstream blocks a body write (see the send timeout above). */
  #sendTimer: NodeJS.Timeout | undefined;
  /** This response closes the client connection (keepaliveRequests reached). */
  readonly #last: boolean;
  /** The route's admission when its filters need the proxy: response hooks (header edits,
   * affinity cookies) the head goes through, a server pinned by session affinity. */
  readonly #admission: Admission | undefined;
  /** The cache's view of the response (Admission.tap); `#tapOwns`: it answers the client.
   * Dropped once an answer goes to the error backend (custom-http-errors). */
  #tap: ResponseTap | undefined;
  #tapOwns = false;
  /** A response hook installed a body transform (compression): the body goes through it. */
  #body: BodyTransform | undefined;

  constructor(
    ctx: ExchangeContext,
    req: DownstreamRequest,
    res: DownstreamResponse,
    runtime: BackendRuntime,
    clientAddress: string,
    path: string,
    headers: string[],
    hasBody: boolean,
    last: boolean,
    admission?: Admission,
  ) {
    this.#last = last;
    this.#admission = admission;
    this.#tap = admission?.tap;
    this.#ctx = ctx;
    this.req = req;
    this.res = res;
    this.runtime = runtime;
    this.clientAddress = clientAddress;
    // reset undefined (not false) leaves the pool its own safety closes (a body on a GET, ...).
    this.#options = { method: admission?.upstreamMethod ?? req.method, path, headers, body: hasBody ? req.body : null, reset: runtime.reset || undefined, servername: PINNED_SERVERNAME };
  }

  /** PickContext: headers parsed lazily, only for balancers that hash on them. */
  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  /** PickContext: the path and query sent upstream. */
  get target(): string {
    return this.#options.path;
  }

  /** Starts the first try. */
  start(): void {
    // The connection tells this exchange when the client leaves or drains (direct calls).
    this.res.exchange = this;
    const body = this.#options.body as TaggedBody | null;
    if (body !== null && this.runtime.sendTimeoutMs > 0) {
      body[kExchange] = this;
      body.on('pause', onBodyPause);
    }
    if (this.runtime.retryTimeoutMs > 0) this.#startedAt = performance.now();
    this.#try();
  }

  /** undici paused the request body: the upstream stopped taking writes. */
  bodyPaused(): void {
    if (this.#done) return;
    if (this.#sendTimer === undefined) this.#sendTimer = setTimeout(onSendTimeout, this.runtime.sendTimeoutMs, this);
    else this.#sendTimer.refresh();
  }

  /** The send timer fired: still blocked means the upstream took nothing for sendTimeoutMs. */
  sendTimedOut(): void {
    if (this.#done || !(this.#options.body as RequestBody).isPaused()) return;
    this.#lastFailure = 'timeout';
    this.#ctx.stats.failures.timeout++;
    this.runtime.balancer.failed(this.server, Date.now());
    const err = new PierError(SEND_TIMEOUT_CODE, `upstream took no request body for ${this.runtime.sendTimeoutMs} ms`);
    if (this.responded) {
      this.#ctx.stats.upstreamAborts++;
      this.#settle();
      this.#tap?.abort();
      this.#abort?.(err);
      this.#cut();
      return;
    }
    // Answer first: aborting destroys the unfinished body, and with it the client socket.
    this.#settle();
    sendError(this.res, 504, this.#ctx.stats, true, this.#admission);
    this.#abort?.(err);
  }

  /** Response backpressure is over: take the upstream's data again. */
  clientDrained(): void {
    if (this.#body !== undefined) this.#body.clientDrained();
    else this.resumeUpstream?.();
  }

  #try(): void {
    const balancer = this.runtime.balancer;
    const admission = this.#admission;
    let index = admission !== undefined && this.#tries === 0 && admission.pinnedServer >= 0 ? admission.pinnedServer : balancer.pick(this, this.#tried);
    if (index < 0 && this.#tried !== undefined) {
      // Every server was tried: back to one of them, after a back-off unless the failure was
      // the idle-close race.
      if (!this.#raced) {
        this.#backOff();
        return;
      }
      index = balancer.pick(this);
    }
    this.#dispatch(index);
  }

  #backOff(): void {
    const ms = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.#backoffs++) * (0.5 + Math.random() / 2);
    const rt = this.runtime;
    if (rt.retryTimeoutMs > 0 && performance.now() + ms - this.#startedAt >= rt.retryTimeoutMs) {
      this.#fail(failureStatus(this.#lastFailure));
      return;
    }
    this.#backoffTimer = setTimeout(onBackoffEnd, ms, this);
  }

  /** The back-off is over: the retry goes to whichever server the balancer offers now. */
  backoffEnded(): void {
    this.#backoffTimer = undefined;
    if (!this.#done) this.#dispatch(this.runtime.balancer.pick(this));
  }

  #dispatch(index: number): void {
    const { balancer, pools } = this.runtime;
    const admission = this.#admission;
    if (admission !== undefined) admission.chosenServer = index;
    if (index < 0) {
      this.#fail(this.#tries === 0 ? 503 : failureStatus(this.#lastFailure));
      return;
    }
    this.server = index;
    this.#tries++;
    balancer.started(index);
    this.#tryStart = performance.now();
    pools[index]!.dispatch(this.#options, this);
  }

  /** The client went away before the response was complete: stop the upstream side. */
  clientGone(): void {
    finishResponse(this.res);
    if (this.#done) {
      this.#body?.destroy(); // a transform still flushing would wait for a drain that never comes
      return;
    }
    this.#settle();
    this.#tap?.abort();
    this.#ctx.stats.clientAborts++;
    this.#body?.destroy();
    this.#abort?.(new Error('client closed the connection'));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#done) abort(new Error('client closed the connection'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) {
      // Interim (103 Early Hints, 100 Continue, ...): relayed where the client's protocol takes
      // it; nothing is committed (a retry or an intercepted answer may still follow).
      this.res.writeInterim(statusCode, rawHeaders);
      return true;
    }
    this.upstreamStatus = statusCode;
    if (this.#admission?.errorPages?.codes.has(statusCode) === true && !this.#intercepted) {
      // The cache first (a stale entry may answer a 5xx: stale-if-error, as nginx's
      // proxy_cache_use_stale comes before error_page); an intercepted answer is never stored,
      // and the error backend's page never under the request's key.
      const tap = this.#tap;
      this.#tap = undefined;
      if (tap !== undefined && !tap.head(statusCode, rawHeaders)) {
        this.#tap = tap;
        this.#tapOwns = true;
        this.resumeUpstream = resume;
        this.responded = true;
        return true;
      }
      tap?.abort();
      this.#abort?.(new InterceptedStatus(statusCode));
      return false;
    }
    if (this.runtime.retryStatuses.has(statusCode) && this.#canRetry('status')) {
      // Drop this answer (and its connection) and try again; the last try's answer is relayed.
      this.#abort?.(new RetryableStatus(statusCode));
      return false;
    }
    this.resumeUpstream = resume;
    const tap = this.#tap;
    if (tap !== undefined && !tap.head(statusCode, rawHeaders)) {
      this.#tapOwns = true;
      this.responded = true;
      return true;
    }
    // Written as received: the upstream client's strict llhttp already refused CR, LF and
    // other control characters in the status line and headers.
    const close = this.#last || this.#ctx.draining;
    const hooks = this.#admission;
    if (hooks?.responseHooks === undefined) this.res.writeUpstreamHead(statusCode, statusText || undefined, rawHeaders, close);
    else {
      const headers = downstreamResponseHeaders(rawHeaders, close);
      hooks.upstreamHead = true;
      hooks.originHead = true;
      hooks.applyResponseHooks(statusCode, headers);
      hooks.upstreamHead = false;
      hooks.originHead = false;
      this.res.writeHead(statusCode, statusText || undefined, headers);
      const body = hooks.bodyTransform;
      if (body !== undefined) {
        this.#body = body;
        body.resume = () => this.resumeUpstream?.();
      }
    }
    this.responded = true;
    return true;
  }

  onData(chunk: Buffer): boolean {
    const tap = this.#tap;
    if (tap !== undefined) {
      const more = tap.data(chunk);
      if (this.#tapOwns) return more !== false;
    }
    // false holds the upstream back until the connection calls clientDrained() (or the body
    // transform calls resume()).
    const body = this.#body;
    return body === undefined ? this.res.write(chunk) : body.write(chunk);
  }

  onComplete(trailers?: string[] | null): void {
    this.#complete = true;
    // A body transform (compression) or the cache ends the client's response later.
    if (this.#body !== undefined || this.#tapOwns) this.#completedAt = performance.now();
    this.#releaseTry();
    const balancer = this.runtime.balancer;
    balancer.finished(this.server);
    balancer.succeeded(this.server);
    if (this.#done) return;
    this.#settle();
    const tap = this.#tap;
    if (tap !== undefined) {
      tap.end(trailers);
      if (this.#tapOwns) return;
    }
    const body = this.#body;
    if (body === undefined) this.res.end(undefined, trailers);
    else body.end(trailers);
  }

  onError(err: Error): void {
    this.#releaseTry();
    const balancer = this.runtime.balancer;
    balancer.finished(this.server);
    if (this.#done) return;
    if (err instanceof InterceptedStatus) {
      // The upstream answered with a custom-http-errors code: that answer is not a failure.
      balancer.succeeded(this.server);
      this.#intercept(err.status);
      return;
    }
    const kind = err instanceof RetryableStatus ? 'status' : classifyFailure(err);
    this.#lastFailure = kind;
    this.#ctx.stats.failures[kind]++;
    if (this.responded) {
      // The head is out: all that is left is to cut the response so the client sees it broke.
      this.#settle();
      this.#tap?.abort();
      if (this.#tapOwns) return;
      this.#ctx.stats.upstreamAborts++;
      this.#cut();
      return;
    }
    if (kind !== 'reset') balancer.failed(this.server, Date.now());
    const race = kind === 'reset' && this.#raceTries < MAX_RACE_TRIES && isKeepaliveRace(err);
    if (this.#canRetry(kind, race)) {
      this.#ctx.stats.retries++;
      (this.#tried ??= new Set()).add(this.server);
      this.#raced = race;
      if (race) this.#raceTries++;
      this.#try();
      return;
    }
    this.#fail(failureStatus(kind));
  }

  /** `race`: the failure is the idle-close race, which does not use up a try. */
  #canRetry(kind: FailureKind, race = false): boolean {
    const rt = this.runtime;
    if (this.#tries - this.#raceTries - (race ? 1 : 0) > rt.retries || this.res.destroyed) return false;
    if (rt.retryTimeoutMs > 0 && performance.now() - this.#startedAt >= rt.retryTimeoutMs) return false;
    const body = this.#options.body as RequestBody | null;
    if (body !== null && (body.readableDidRead || body.destroyed)) return false;
    if (nothingSent(kind)) return rt.retryConnect || (kind === 'connect-timeout' && rt.retryTimeout);
    if (!rt.retryNonIdempotent && !isIdempotent(this.#options.method)) return false;
    if (kind === 'reset') return rt.retryReset;
    if (kind === 'timeout') return rt.retryTimeout;
    return kind === 'status';
  }

  /**
   * The try is over: forget its connection's abort/resume. H1Pool hands out one pair per
   * connection, acting on whatever request the connection carries now; once this try ended the
   * connection may carry another exchange's request (a late client 'drain' must not resume it).
   */
  #releaseTry(): void {
    this.#abort = null;
    this.resumeUpstream = null;
  }

  /** The exchange is over: no further try, no timer; the admission's done hooks run. */
  #settle(): void {
    this.#done = true;
    if (this.#sendTimer !== undefined) clearTimeout(this.#sendTimer);
    if (this.#backoffTimer !== undefined) clearTimeout(this.#backoffTimer);
    this.#admission?.done();
  }

  /** The response is cut: a body transform is freed (its buffered output is dropped). */
  #cut(): void {
    finishResponse(this.res);
    this.#body?.destroy();
    this.res.destroy();
  }

  /**
   * custom-http-errors: the answer `status` goes to the error backend instead: `GET /` (HEAD for
   * HEAD) with ingress-nginx's headers, no body, one try per server as usual; its answer is
   * relayed as it is. An error backend that cannot answer leaves Pier's own `status`.
   */
  #intercept(status: number): void {
    const pages = this.#admission!.errorPages!;
    this.#intercepted = true;
    if (pages.backend.unavailable) {
      this.#fail(status >= 502 && status <= 504 ? (status as 502 | 503 | 504) : 502);
      return;
    }
    this.runtime = pages.backend;
    this.#tries = 0;
    this.#raceTries = 0;
    this.#raced = false;
    this.#backoffs = 0;
    this.#tried = undefined;
    this.#admission!.pinnedServer = -1;
    this.#options = { method: this.req.method === 'HEAD' ? 'HEAD' : 'GET', path: '/', headers: pages.headers(status, this.req, this.#admission!), body: null, servername: PINNED_SERVERNAME };
    this.#try();
  }

  /** Seconds from the last try's dispatch to the end of its response, as of `now` (the time the
   * client's response finished); -1 when no upstream response completed. */
  upstreamSeconds(now: number): number {
    if (!this.#complete) return -1;
    return ((this.#completedAt === 0 ? now : this.#completedAt) - this.#tryStart) / 1000;
  }

  /** Why the exchange ended in Pier's own 502/503/504 (the access log's `reason`), else undefined. */
  get failure(): string | undefined {
    if (!this.#done || this.responded) return undefined;
    return this.#tries === 0 ? 'no-endpoint' : this.#lastFailure;
  }

  #fail(status: 502 | 503 | 504): void {
    if (!this.#intercepted && this.#admission?.errorPages?.codes.has(status) === true) {
      // stale-if-error before the error backend (see onHeaders).
      const tap = this.#tap;
      this.#tap = undefined;
      if (tap?.failed(status) === true) {
        this.#settle();
        return;
      }
      this.#intercept(status);
      return;
    }
    this.#settle();
    if (this.#tap?.failed(status) === true) return;
    sendError(this.res, status, this.#ctx.stats, this.#last || this.#ctx.draining, this.#admission);
  }
}
