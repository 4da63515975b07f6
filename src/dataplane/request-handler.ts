import type { CompiledTable } from '../routing/compile-table.ts';
import type { BackendRuntime } from './backend-runtime.ts';
import type { DataplaneStats } from './dataplane-stats.ts';
import { refuseBlocked } from './blocked-clients.ts';
import { sendError } from './error-response.ts';
import { upstreamRequestHeaders } from './forward-headers.ts';
import type { DownstreamRequest, DownstreamResponse, FinishHook } from './front/downstream.ts';
import type { RequestMeters } from './metrics/request-meters.ts';
import type { RouteMeter } from './metrics/route-meter.ts';
import { Admission, type AnswerHeaders, type AnswerScope } from './pipeline/admission.ts';
import { answer } from './pipeline/answer.ts';
import { runPipeline, type RoutePipeline } from './pipeline/compile-pipeline.ts';
import { ProxyExchange, type ExchangeContext } from './proxy-exchange.ts';

/** The dataplane state a request reads when it starts. */
export interface RequestState {
  /** Requests per client connection before it is closed (nginx keepalive_requests); 0 = no limit. */
  readonly keepaliveRequests: number;
  /** The table in force; a request keeps the one it read here even if a swap follows. */
  readonly compiled: CompiledTable<BackendRuntime, RoutePipeline, RouteMeter>;
  readonly stats: DataplaneStats;
  readonly draining: boolean;
  /** Counts every finished request on its route's meter (and writes its access line). */
  readonly recorder: FinishHook;
  /** The meters; `unmatched` counts requests no rule matched. */
  readonly meters: RequestMeters;
  /** `--block-cidrs`: whether the request's client is blocked (403); undefined: none is. */
  readonly blocked?: ((req: DownstreamRequest) => boolean) | undefined;
  /** `--add-headers` of the table in force, for Pier's answers to requests no route's filters
   * saw (a blocked client, no rule matched); undefined without it. */
  readonly answerHeaders?: AnswerHeaders | undefined;
}

/**
 * Per request: route (404), run the route's filters if it has any (admit), check the backend
 * can serve (503), then proxy. Everything a request needs is read from `state` once, at the
 * start. The front already scanned the headers (`req.facts`) and keeps the per-connection
 * record (`req.conn`: client address, X-Forwarded-Proto/Port, request count), read once per
 * connection. A route without policies pays one branch for the pipeline. Every request is
 * counted on the meter its match carries (RequestRecorder, when the response finishes).
 */
export function handleRequest(state: RequestState, req: DownstreamRequest, res: DownstreamResponse): void {
  const stats = state.stats;
  res.startedAt = performance.now();
  res.onFinish = state.recorder;
  const facts = req.facts;
  let target = req.url;
  let host = facts.host;
  if (target.charCodeAt(0) !== 47 /* / */) {
    // absolute-form (RFC 9112 §3.2.2): its authority replaces Host for routing.
    const split = splitAbsoluteTarget(target);
    if (split !== undefined) ({ host, path: target } = split);
  }
  const conn = req.conn;
  // Counting here makes the last response carry `Connection: close`, which closes it.
  const last = state.keepaliveRequests > 0 && ++conn.requests >= state.keepaliveRequests;
  const match = state.compiled.match(host, target);
  if (state.blocked?.(req) === true) {
    res.meter = match?.meter ?? state.meters.unmatched;
    return refuseBlocked(req, res, last || state.draining, answerScope(state, req, host));
  }
  if (match === undefined) {
    res.meter = state.meters.unmatched;
    return sendError(res, 404, stats, last || state.draining, answerScope(state, req, host));
  }
  res.meter = match.meter;
  if (match.pipeline !== undefined) return admitAndProxy(state, req, res, match.pipeline, match.backend, host, target, last);
  // --max-body-size against a declared length: 413 before any body is read, and close.
  if (req.facts.contentLength > req.bodyLimit) return sendError(res, 413, stats, true);
  const runtime = match.backend;
  if (runtime.unavailable) return sendError(res, 503, stats, last || state.draining);
  const headers = upstreamRequestHeaders(req.rawHeaders, facts, conn);
  new ProxyExchange(state, req, res, runtime, conn.clientAddress, target, headers, facts.hasBody, last).start();
}

/** The request of a route with filters: they run first and may answer, rewrite or re-route it. */
function admitAndProxy(
  state: RequestState, req: DownstreamRequest, res: DownstreamResponse, pipeline: RoutePipeline,
  backend: BackendRuntime, host: string | undefined, target: string, last: boolean,
): void {
  const admission = new Admission(req, res, state.stats, host, target, backend, last || state.draining, false);
  admission.proceed = last ? proceedLast : state.draining ? proceedDraining : proceed;
  const verdict = runPipeline(pipeline, admission);
  if (verdict === true) return proxyAdmitted(state, req, res, admission, last);
  if (verdict === false) return admission.done();
  // An async filter (external auth) is waiting: carry on when it decided, unless the client left.
  verdict.then((go) => {
    if (go && !res.destroyed) proxyAdmitted(state, req, res, admission, last);
    else admission.done();
  }, () => {
    admission.done();
    answer(admission, 500, [], undefined, true);
  });
}

/** The admitted request goes to the backend the filters left, with their edits (also
 * Admission.proceed: a filter that waited, or the cache's background revalidation). */
function proxyAdmitted(state: ExchangeContext, req: DownstreamRequest, res: DownstreamResponse, admission: Admission, last: boolean): void {
  if (req.facts.contentLength > req.bodyLimit) {
    admission.done();
    return sendError(res, 413, state.stats, true, admission);
  }
  const runtime = admission.backend;
  // With error pages the proxy answers the 503 (through the error backend).
  if (runtime.unavailable && admission.errorPages === undefined) {
    admission.done();
    // A stale cache entry may answer instead (stale-if-error, cache-use-stale error).
    if (admission.tap?.failed(503) === true) return;
    return sendError(res, 503, state.stats, last || state.draining, admission);
  }
  const headers = upstreamRequestHeaders(req.rawHeaders, req.facts, req.conn);
  admission.applyRequestEdits(headers);
  const follow = admission.responseHooks === undefined && admission.doneHooks === undefined && admission.tap === undefined && admission.pinnedServer < 0 && admission.errorPages === undefined && admission.upstreamMethod === undefined ? undefined : admission;
  new ProxyExchange(state, req, res, runtime, req.conn.clientAddress, admission.target, headers, req.facts.hasBody, last, follow).start();
}

// Admission.proceed without a closure per request: the exchange context it needs is the
// admission's own (stats) plus whether the connection ends after this response.
const proceed = (a: Admission) => proxyAdmitted({ stats: a.stats, draining: false }, a.req, a.res, a, false);
const proceedLast = (a: Admission) => proxyAdmitted({ stats: a.stats, draining: false }, a.req, a.res, a, true);
const proceedDraining = (a: Admission) => proxyAdmitted({ stats: a.stats, draining: true }, a.req, a.res, a, false);

/** Where Pier's own answer to a request no route's filters saw finds `--add-headers`;
 * undefined (nothing allocated) without it. */
function answerScope(state: RequestState, req: DownstreamRequest, host: string | undefined): AnswerScope | undefined {
  const answerHeaders = state.answerHeaders;
  return answerHeaders === undefined ? undefined : { req, host, tls: req.conn.proto === 'https', answerHeaders };
}

/** `http://foo.com:8080/a?b` → host `foo.com:8080`, path `/a?b`; undefined if not absolute. */
export function splitAbsoluteTarget(target: string): { host: string; path: string } | undefined {
  const scheme = target.startsWith('http://') ? 7 : target.startsWith('https://') ? 8 : -1;
  if (scheme < 0) return undefined;
  const slash = target.indexOf('/', scheme);
  const q = target.indexOf('?', scheme);
  const end = slash < 0 ? (q < 0 ? target.length : q) : q >= 0 && q < slash ? q : slash;
  const rest = target.slice(end);
  return { host: target.slice(scheme, end), path: rest.startsWith('/') ? rest : `/${rest}` };
}
