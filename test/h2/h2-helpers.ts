import { createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream, type Settings } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { H2Pool } from '../../src/dataplane/upstream/h2/h2-pool.ts';
import { DEFAULT_MAX_CONCURRENT_STREAMS, type H2PoolOptions } from '../../src/dataplane/upstream/h2/h2-options.ts';
import type { UpstreamHandler, UpstreamRequest } from '../../src/dataplane/upstream/upstream-handler.ts';
import { onCleanup } from '../dataplane/helpers.ts';

/** Everything one dispatch reported, in the UpstreamHandler contract's terms. */
export interface Outcome {
  status: number;
  headers: string[];
  interim: number[];
  body: Buffer;
  trailers: string[] | null;
  completed: boolean;
  error: (Error & { code?: string }) | null;
  calls: string[];
}

/** A recording handler; `hold` may hold the body back (return false) until `resume()`. */
export class Recorder implements UpstreamHandler {
  readonly out: Outcome = { status: 0, headers: [], interim: [], body: Buffer.alloc(0), trailers: null, completed: false, error: null, calls: [] };
  readonly done: Promise<Outcome>;
  abort: ((err?: Error) => void) | null = null;
  resume: (() => void) | null = null;
  hold: ((chunk: Buffer) => boolean) | null = null;
  readonly headed: Promise<void>;
  #headed!: () => void;
  readonly #chunks: Buffer[] = [];
  #settle!: (o: Outcome) => void;

  constructor() {
    this.done = new Promise((resolve) => (this.#settle = resolve));
    this.headed = new Promise((resolve) => (this.#headed = resolve));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.out.calls.push('onConnect');
    this.abort = abort;
  }

  onHeaders(status: number, headers: Buffer[], resume: () => void): boolean {
    this.out.calls.push(`onHeaders:${status}`);
    if (status < 200) {
      this.out.interim.push(status);
      return true;
    }
    this.out.status = status;
    this.out.headers = headers as unknown as string[];
    this.resume = resume;
    this.#headed();
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.out.calls.at(-1) !== 'onData') this.out.calls.push('onData');
    this.#chunks.push(chunk);
    return this.hold === null ? true : this.hold(chunk);
  }

  onComplete(trailers: string[] | null): void {
    this.out.calls.push('onComplete');
    this.out.completed = true;
    this.out.trailers = trailers;
    this.#finish();
  }

  onError(err: Error): void {
    this.out.calls.push('onError');
    this.out.error = err;
    this.#finish();
  }

  #finish(): void {
    this.out.body = Buffer.concat(this.#chunks);
    this.#settle(this.out);
  }
}

/** Pool options for tests: short timeouts, everything else as a default policy gives. */
export function h2Options(overrides: Partial<H2PoolOptions> = {}): H2PoolOptions {
  return {
    tls: false, connectTimeoutMs: 2_000, readTimeoutMs: 5_000, idleTimeoutMs: 10_000, maxAgeMs: 0, maxRequests: 0,
    maxConcurrentStreams: DEFAULT_MAX_CONCURRENT_STREAMS, pingIntervalMs: 0, ...overrides,
  };
}

/** An H2Pool to `127.0.0.1:port`, destroyed after the test. */
export function h2Pool(port: number, overrides: Partial<H2PoolOptions> = {}, scheme = 'http'): H2Pool {
  const pool = new H2Pool(`${scheme}://127.0.0.1:${port}`, h2Options(overrides));
  onCleanup(() => pool.destroy());
  return pool;
}

/** Dispatches one request and resolves with what the handler saw. */
export function send(pool: H2Pool, init: Omit<Partial<UpstreamRequest>, 'body'> & { body?: Readable | Buffer | string | null } = {}, recorder = new Recorder()): Promise<Outcome> {
  const b = init.body;
  const body = typeof b === 'string' ? Readable.from([Buffer.from(b)]) : Buffer.isBuffer(b) ? Readable.from([b]) : (b ?? null);
  pool.dispatch({ method: init.method ?? 'GET', path: init.path ?? '/', headers: init.headers ?? ['host', 'h2.test'], body }, recorder);
  return recorder.done;
}

export interface SeenStream {
  readonly headers: IncomingHttpHeaders;
  readonly raw: string[];
  readonly stream: ServerHttp2Stream;
  readonly session: Http2Session;
}

export interface H2Backend {
  readonly server: Http2Server;
  readonly port: number;
  readonly seen: SeenStream[];
  readonly sessions: Set<Http2Session>;
  /** Sessions accepted so far. */
  connections: number;
}

/**
 * A node:http2 h2c server on 127.0.0.1:0. `handler` answers each stream (default: 200 with
 * `path=<:path>` after reading the request body). Closed after the test.
 */
export async function startH2Backend(handler?: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, seen: SeenStream) => void, settings?: Settings): Promise<H2Backend> {
  const server = createServer(settings === undefined ? {} : { settings });
  const backend: H2Backend = { server, port: 0, seen: [], sessions: new Set(), connections: 0 };
  server.on('session', (session: Http2Session) => {
    backend.connections++;
    backend.sessions.add(session);
    session.on('close', () => backend.sessions.delete(session));
    session.on('error', () => {});
  });
  server.on('stream', (stream, headers, _flags, raw: string[]) => {
    stream.on('error', () => {});
    const seen = { headers, raw, stream, session: stream.session! };
    backend.seen.push(seen);
    if (handler) return handler(stream, headers, seen);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end(chunks.length > 0 ? Buffer.concat(chunks) : `path=${headers[':path']}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (backend as { port: number }).port = (server.address() as AddressInfo).port;
  onCleanup(() => closeH2Backend(backend));
  return backend;
}

export function closeH2Backend(backend: H2Backend): Promise<void> {
  for (const s of backend.sessions) s.destroy();
  return new Promise((resolve) => backend.server.close(() => resolve()));
}

/** Resolves when `check()` holds, polling each 5 ms for at most `ms` (then rejects). */
export async function until(check: () => boolean, ms = 3_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
