import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { BackendRuntime } from './backend-runtime.ts';
import type { PierStatus } from './dataplane-stats.ts';
import { refuseBlocked } from './blocked-clients.ts';
import { rawErrorResponse } from './error-response.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './forward-headers.ts';
import { finishResponse, type DownstreamRequest } from './front/downstream.ts';
import { SocketAnswer } from './front/http1/socket-answer.ts';
import { Admission } from './pipeline/admission.ts';
import { answer } from './pipeline/answer.ts';
import { runPipeline } from './pipeline/compile-pipeline.ts';
import type { RequestState } from './request-handler.ts';
import { PINNED_SERVERNAME } from './upstream/pool-options.ts';
import type { UpstreamHandler } from './upstream/upstream-handler.ts';

/** What the upgrade path needs beyond a plain request: somewhere to keep live tunnels. */
export interface UpgradeState extends RequestState {
  /** Client sockets of established tunnels (closed by the dataplane's close()). */
  readonly tunnels: Set<Duplex>;
}

/**
 * An HTTP/1.1 Upgrade request (WebSocket, ...): routed like any request and admitted through
 * the same route filters (a filter's answer is written on the socket, which then closes), sent
 * upstream with the client's Upgrade token; on `101` the two sockets are piped together raw.
 * Any other answer is relayed and the connection closed. One try, no retry: an upgrade is
 * rarely idempotent in spirit, and the client will reconnect. The request is counted (and
 * access-logged) when its outcome is known: the 101, a refusal, or Pier's own answer.
 */
export function handleUpgrade(state: UpgradeState, req: DownstreamRequest, socket: Duplex, head: Buffer): void {
  const stats = state.stats;
  socket.on('error', destroySelf);
  const res = new SocketAnswer(socket, req);
  res.startedAt = performance.now();
  res.onFinish = state.recorder;
  const facts = req.facts;
  const target = req.url;
  const match = state.compiled.match(facts.host, target);
  if (state.blocked?.(req) === true) {
    res.meter = match?.meter ?? state.meters.unmatched;
    return refuseBlocked(req, res, true);
  }
  if (match === undefined) {
    res.meter = state.meters.unmatched;
    return rawError(res, socket, 404, state);
  }
  res.meter = match.meter;
  if (match.pipeline === undefined) return tunnel(state, req, res, socket, head, match.backend, target, undefined);
  const admission = new Admission(req, res, stats, facts.host, target, match.backend, true, true);
  const verdict = runPipeline(match.pipeline, admission);
  if (verdict === true) return tunnel(state, req, res, socket, head, admission.backend, admission.target, admission);
  if (verdict === false) return admission.done();
  // An async filter (external auth) is waiting; the socket stays paused meanwhile.
  verdict.then((go) => {
    if (go && !socket.destroyed) tunnel(state, req, res, socket, head, admission.backend, admission.target, admission);
    else admission.done();
  }, () => {
    admission.done();
    answer(admission, 500, [], undefined, true);
  });
}

/** Sends the admitted upgrade upstream; on 101 the sockets are piped together (UpgradeHandler). */
function tunnel(state: UpgradeState, req: DownstreamRequest, res: SocketAnswer, socket: Duplex, head: Buffer, runtime: BackendRuntime, target: string, admission: Admission | undefined): void {
  const conn = req.conn;
  const facts = req.facts;
  // The tunnel (or the refusal) lasts as long as the client socket: nginx counts an upgraded
  // request in progress (limit_conn) until its connection closes.
  if (admission?.doneHooks !== undefined) socket.once('close', () => admission.done());
  const pinned = admission?.pinnedServer ?? -1;
  const index = runtime.unavailable ? -1 : pinned >= 0 ? pinned : runtime.balancer.pick({ clientAddress: conn.clientAddress, headers: req.headers, target });
  if (index < 0) return rawError(res, socket, 503, state);
  const headers = upstreamRequestHeaders(req.rawHeaders, facts, conn);
  admission?.applyRequestEdits(headers);
  runtime.balancer.started(index);
  const handler = new UpgradeHandler(state, res, socket, head, runtime, index);
  runtime.pools[index]!.dispatch({ method: req.method, path: target, headers, body: null, upgrade: req.headers.upgrade ?? 'websocket', servername: PINNED_SERVERNAME }, handler);
}

function destroySelf(this: Duplex): void {
  this.destroy();
}

function rawError(res: SocketAnswer, socket: Duplex, status: PierStatus, state: RequestState): void {
  state.stats.errors[status]++;
  const raw = rawErrorResponse(status);
  socket.end(raw, 'latin1');
  socket.resume(); // discard what the client still sends, so its FIN closes the socket
  res.settled(status, raw.length, true);
}

function headBlock(statusCode: number, statusText: string, pairs: readonly string[]): string {
  let s = `HTTP/1.1 ${statusCode} ${statusText || STATUS_CODES[statusCode] || ''}\r\n`;
  for (let i = 0; i < pairs.length; i += 2) s += `${pairs[i]}: ${pairs[i + 1]}\r\n`;
  return `${s}\r\n`;
}

class UpgradeHandler implements UpstreamHandler {
  readonly #state: UpgradeState;
  readonly #res: SocketAnswer;
  readonly #client: Duplex;
  readonly #head: Buffer;
  readonly #runtime: BackendRuntime;
  readonly #index: number;
  #responded = false;
  #abort: ((err?: Error) => void) | null = null;

  constructor(state: UpgradeState, res: SocketAnswer, client: Duplex, head: Buffer, runtime: BackendRuntime, index: number) {
    this.#state = state;
    this.#res = res;
    this.#client = client;
    this.#head = head;
    this.#runtime = runtime;
    this.#index = index;
    client.once('close', () => this.#abort?.(new Error('client closed the connection')));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#client.destroyed) abort(new Error('client closed the connection'));
  }

  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, upstream: Duplex): void {
    this.#abort = null; // the try is over (H1Pool's abort acts on the connection's current request)
    this.#runtime.balancer.finished(this.#index);
    this.#runtime.balancer.succeeded(this.#index);
    const client = this.#client;
    if (client.destroyed) {
      upstream.destroy();
      finishResponse(this.#res);
      return;
    }
    const pairs: string[] = [];
    for (const h of rawHeaders ?? []) pairs.push(h.toString('latin1'));
    const block = headBlock(statusCode, STATUS_CODES[statusCode] ?? '', pairs);
    client.write(block);
    this.#res.settled(statusCode, block.length, true);
    if (this.#head.length > 0) upstream.write(this.#head);
    this.#state.stats.upgrades++;
    const tunnels = this.#state.tunnels;
    tunnels.add(client);
    upstream.on('error', destroySelf);
    upstream.once('close', () => client.destroy());
    client.once('close', () => {
      tunnels.delete(client);
      upstream.destroy();
    });
    upstream.pipe(client);
    client.pipe(upstream);
    // Server sockets are half-open capable: a side that sends FIN would otherwise leave the
    // tunnel half-closed until the other side happens to close (a backend that never does kept
    // drains waiting for --shutdown-timeout). Upgraded protocols (WebSocket) do not use half
    // close, so a FIN from either side finishes the tunnel: pipe() ends the other side, and we
    // end this side's writable half too.
    client.once('end', () => client.end());
    upstream.once('end', () => upstream.end());
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    this.#responded = true;
    // Refused upgrade: relay the answer; the body is close-delimited unless it has a length.
    const block = headBlock(statusCode, statusText, downstreamResponseHeaders(rawHeaders, true));
    this.#client.write(block);
    this.#res.settled(statusCode, block.length, false);
    return true;
  }

  onData(chunk: Buffer): boolean {
    // A refusal's body is small: no backpressure dance for it.
    this.#client.write(chunk);
    return true;
  }

  onComplete(): void {
    this.#abort = null; // the try is over (H1Pool's abort acts on the connection's current request)
    this.#runtime.balancer.finished(this.#index);
    this.#client.end();
    this.#client.resume(); // as rawError: read to the client's FIN
    finishResponse(this.#res);
  }

  onError(err: Error): void {
    this.#abort = null; // the try is over (H1Pool's abort acts on the connection's current request)
    this.#runtime.balancer.finished(this.#index);
    if (this.#responded || this.#client.destroyed) {
      this.#client.destroy();
      finishResponse(this.#res);
      return;
    }
    const code = (err as { code?: string }).code;
    rawError(this.#res, this.#client, code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' ? 504 : 502, this.#state);
  }
}
