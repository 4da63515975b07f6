import type { BackendRuntime } from '../backend-runtime.ts';
import type { DataplaneStats } from '../dataplane-stats.ts';
import type { DownstreamRequest, DownstreamResponse } from '../front/downstream.ts';
import type { ErrorPages } from './filters/error-pages.ts';

/**
 * What nginx variables are filled in from (filters/nginx-variables.ts): the request, the host it
 * was routed by, whether it came over TLS. An Admission is one; so is what the request handler
 * makes for a request no rule matched.
 */
export interface VariableScope {
  readonly req: DownstreamRequest;
  readonly host: string | undefined;
  readonly tls: boolean;
}

/** `--add-headers` on one of Pier's own answers (filters/global-headers.ts): edits its flat
 * header list in place. */
export type AnswerHeaders = (headers: string[], scope: VariableScope) => void;

/** Where Pier's own answers (404, 413, 502, 503, 504, a blocked client's 403) find
 * `--add-headers`: the request's Admission, or a scope made for a request no rule matched. */
export interface AnswerScope extends VariableScope {
  readonly answerHeaders: AnswerHeaders | undefined;
}

/** Edits the flat `[name, value, ...]` header list sent upstream, in place. */
export type HeaderEdit = (headers: string[], admission: Admission) => void;

/** Edits a response head before it is written: `headers` flat, filtered, mutable in place. */
export type ResponseHook = (status: number, headers: string[], admission: Admission) => void;

/**
 * Sees the upstream's response as it arrives, before response hooks edit it (the cache stores
 * it). Set by at most one filter (`Admission.tap`); the exchange calls it only when set.
 */
export interface ResponseTap {
  /** The upstream's head, raw. false: the tap answers the client itself (a 304 merged into a
   * stored response); the exchange then writes nothing and feeds it the rest. */
  head(status: number, rawHeaders: readonly Buffer[]): boolean;
  /** A body chunk. When the tap answers the client itself, false holds the upstream back
   * until the client drains (backpressure), as a false `res.write` does. */
  data(chunk: Buffer): boolean | void;
  /** The body is complete; `trailers`: the upstream's trailer fields, flat, if it sent any. */
  end(trailers?: readonly string[] | null): void;
  /** The exchange failed (no response, or a cut one) or the client left. */
  abort(): void;
  /** The exchange is about to answer `status` (502/503/504) itself: true when the tap
   * answered instead (RFC 5861 stale-if-error). */
  failed(status: number): boolean;
}

/**
 * Replaces `res.write` / `res.end` for an upstream response body (compression). Installed by a
 * response hook while the upstream's head is applied (`Admission.upstreamHead`); the exchange
 * then hands it every chunk. Backpressure: `write` returns false when the client (through the
 * transform's own buffer) is full; the transform calls `resume` once it takes more, and is told
 * `clientDrained` when the client drained.
 */
export interface BodyTransform {
  write(chunk: Buffer): boolean;
  /** The upstream body is complete: flush, then end the response (with `trailers`). */
  end(trailers?: readonly string[] | null): void;
  /** The exchange is cut (client gone, upstream failed): stop, free everything. */
  destroy(): void;
  clientDrained(): void;
  /** Set by the exchange: takes the upstream's data again. */
  resume: (() => void) | undefined;
}

/**
 * A route filter: reads the request, may answer it (returns false: nothing more runs, nothing
 * goes upstream), rewrite what goes upstream (target, headers), choose the backend, or register
 * a response hook. Built once per table swap from a policy (compile-pipeline.ts); never sees
 * HTTP/1 or HTTP/2 types.
 *
 * A filter that must wait (external auth's subrequest) returns a Promise of its verdict; the
 * filters after it run when it resolves (runPipeline). Synchronous filters return a plain
 * boolean, and a pipeline of only those never allocates a Promise.
 */
export type RequestFilter = (admission: Admission) => boolean | Promise<boolean>;

/**
 * One request going through a route's filters: created only for routes that have some, so a
 * route without policies allocates nothing here. Filters read the request and change the
 * fields below; the proxy (or the upgrade tunnel) then sends what they left.
 */
export class Admission implements AnswerScope {
  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  readonly stats: DataplaneStats;
  /** The host the request was routed by (Host, or the absolute-form authority). */
  readonly host: string | undefined;
  /** The request arrived over TLS. */
  readonly tls: boolean;
  /** An Upgrade (WebSocket) request rather than a plain one. */
  readonly upgrade: boolean;
  /** Answers from filters close the connection (keepalive_requests reached, draining). */
  readonly close: boolean;
  /** Path and query to send upstream (rewrites change it). */
  target: string;
  /** The method to send upstream when not the client's (the cache fetches a GET for a HEAD
   * that missed, as nginx's proxy_cache_convert_head; the front sends the client no body). */
  upstreamMethod: string | undefined = undefined;
  /** The backend the request goes to (canary and fallback filters change it). */
  backend: BackendRuntime;
  /** A server of `backend` the request must try first (session affinity); -1 = the balancer's pick. */
  pinnedServer = -1;
  /** The server the last try went to (set by the proxy, read by response hooks); -1 before. */
  chosenServer = -1;
  /** `custom-http-errors`: answers the proxy hands to an error backend. */
  errorPages: ErrorPages | undefined = undefined;
  /** Edits of the upstream request headers, applied in order once they are built. */
  requestEdits: HeaderEdit[] | undefined = undefined;
  /** Edits of the response head, applied in order before it is written. */
  responseHooks: ResponseHook[] | undefined = undefined;
  /** The upstream response's observer (the cache), if a filter set one. */
  tap: ResponseTap | undefined = undefined;
  /**
   * Set by the request handler: sends the request upstream as the filters left it. For a filter
   * that answered "stop" and decided later to let the request through (the cache, after another
   * worker's fetch of the same key turned out not storable). It skips the filters after the
   * one that stopped: the cache is the last filter with a request-side effect (POLICY_ORDER).
   */
  proceed: ((admission: Admission) => void) | undefined = undefined;
  /** True while the hooks see an upstream's head (its body flows through the exchange, so a
   * hook may install `bodyTransform`); false for Pier's own answers. */
  upstreamHead = false;
  /** True while the hooks see a head the upstream sent: fetched now (with `upstreamHead`) or
   * stored in the cache; false for Pier's own answers (proxy_redirect and proxy_cookie_* apply
   * only to the former, as nginx's proxy module). */
  originHead = false;
  /** Installed by a response hook (compression): the exchange writes the body through it. */
  bodyTransform: BodyTransform | undefined = undefined;
  /** Run once when the exchange is over (response complete or cut, tunnel closed). */
  doneHooks: (() => void)[] | undefined = undefined;
  /** `--add-headers` for Pier's own answers to this request (502, 503, 504, 413), set by the
   * global headers filter; its response hook covers every other answer. */
  answerHeaders: AnswerHeaders | undefined = undefined;

  constructor(req: DownstreamRequest, res: DownstreamResponse, stats: DataplaneStats, host: string | undefined, target: string, backend: BackendRuntime, close: boolean, upgrade: boolean) {
    this.req = req;
    this.res = res;
    this.stats = stats;
    this.host = host;
    this.target = target;
    this.backend = backend;
    this.close = close;
    this.upgrade = upgrade;
    this.tls = req.conn.proto === 'https';
  }

  /** Adds an edit of the upstream request headers. */
  editRequest(edit: HeaderEdit): void {
    (this.requestEdits ??= []).push(edit);
  }

  /** Adds an edit of the response head. */
  onResponse(hook: ResponseHook): void {
    (this.responseHooks ??= []).push(hook);
  }

  /** Adds a callback for the end of the exchange (releasing a connection slot). */
  onDone(hook: () => void): void {
    (this.doneHooks ??= []).push(hook);
  }

  /** The exchange is over: runs the done hooks, once. */
  done(): void {
    const hooks = this.doneHooks;
    if (hooks === undefined) return;
    this.doneHooks = undefined;
    for (const hook of hooks) hook();
  }

  /** Applies the request edits to the headers about to go upstream. */
  applyRequestEdits(headers: string[]): void {
    const edits = this.requestEdits;
    if (edits !== undefined) for (const edit of edits) edit(headers, this);
  }

  /** Applies the response hooks to a head about to be written. */
  applyResponseHooks(status: number, headers: string[]): void {
    const hooks = this.responseHooks;
    if (hooks !== undefined) for (const hook of hooks) hook(status, headers, this);
  }
}
