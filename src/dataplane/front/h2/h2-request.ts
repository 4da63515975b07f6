import type { IncomingHttpHeaders } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import { Readable } from 'node:stream';
import { emptyFacts, scanRequestHeaders, type RequestHeaderFacts } from '../../forward-headers.ts';
import type { TrailingBody } from '../../upstream/upstream-handler.ts';
import type { DownstreamRequest } from '../downstream.ts';
import type { H2Connection } from './h2-connection.ts';

/**
 * One HTTP/2 request as a DownstreamRequest: `:path` as the target, the fields as a flat list
 * with `:authority` as `host` (first, replacing a Host field: RFC 9113 §8.3.1 makes
 * `:authority` win), split `cookie` fields joined into one (§8.2.3: an HTTP/1.1 upstream must
 * see one). nghttp2 has already refused malformed requests (missing or repeated pseudo-headers,
 * connection-specific fields, upper-case names, TE other than `trailers`).
 */
export class H2Request implements DownstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion = '2.0';
  readonly rawHeaders: string[];
  readonly facts: RequestHeaderFacts = emptyFacts();
  /** Body bytes received so far (counted by the body against bodyLimit). */
  bodyBytes = 0;
  /** Body bytes this request may carry (`--max-body-size`, a route's proxy-body-size). */
  bodyLimit: number;
  /** 0, or the status the header scan refuses the request with (400: a malformed authority). */
  readonly refusal: number;
  readonly body: H2RequestBody | null;
  readonly conn: H2Connection;
  /** `:authority` (or Host), as received. */
  readonly authority: string | undefined;
  readonly stream: ServerHttp2Stream;
  /** The client sent `expect: 100-continue` (an upstream's 100 may then be relayed, once). */
  readonly expectsContinue: boolean;
  #headers: IncomingHttpHeaders | undefined;

  constructor(stream: ServerHttp2Stream, conn: H2Connection, raw: readonly string[], bodyLimit: number) {
    this.stream = stream;
    this.conn = conn;
    this.bodyLimit = bodyLimit;
    let method = 'GET';
    let path = '/';
    let authority: string | undefined;
    // `host` leads the list (the fields follow the pseudo-headers, so :authority is known by
    // the time the first field comes); a Host field stands in for a missing :authority.
    const flat: string[] = [];
    let fields = false;
    let cookie: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const value = raw[i + 1]!;
      if (name.charCodeAt(0) === 58 /* : */) {
        if (name === ':method') method = value;
        else if (name === ':path') path = value;
        else if (name === ':authority') authority = value;
        continue;
      }
      if (!fields) {
        fields = true;
        if (authority !== undefined) flat.push('host', authority);
      }
      if (name === 'host') {
        if (authority === undefined) {
          authority = value;
          flat.push('host', value);
        }
      } else if (name === 'cookie') {
        cookie = cookie === undefined ? value : `${cookie}; ${value}`;
      } else {
        flat.push(name, value);
      }
    }
    if (!fields && authority !== undefined) flat.push('host', authority);
    if (cookie !== undefined) flat.push('cookie', cookie);
    this.rawHeaders = flat;
    this.method = method;
    this.url = path;
    this.authority = authority;
    this.refusal = scanRequestHeaders(this.rawHeaders, this.facts);
    // HTTP/2 frames the body itself: there is one unless HEADERS carried END_STREAM.
    const hasBody = !stream.endAfterHeaders;
    this.facts.hasBody = hasBody;
    // The HTTP/1.1 front's own 100-continue handling does not apply: HTTP/2 frames the body.
    this.expectsContinue = this.facts.expectContinue;
    this.facts.expectContinue = false;
    this.body = hasBody ? new H2RequestBody(stream, this) : null;
  }

  get headers(): IncomingHttpHeaders {
    return (this.#headers ??= headerObject(this.rawHeaders));
  }
}

/**
 * The request body as the upstream client reads it: the stream's DATA with backpressure both
 * ways (a full buffer pauses the stream, so nghttp2 stops granting the client window: memory
 * per stream stays bounded by the window plus this buffer). Destroying it (an upstream that
 * answered early, a failed try) stops reading without touching the stream, which still carries
 * the response; a client that resets its stream mid-body destroys it with an error.
 *
 * Trailers the client sends after the body (a HEADERS frame ending the stream) are kept in
 * `trailers` before the end, for the upstream protocol to forward (TrailingBody), without the
 * fields a trailer must not carry (see TRAILER_DENIED).
 */
export class H2RequestBody extends Readable implements TrailingBody {
  readonly mayHaveTrailers = true;
  trailers: string[] | null = null;
  readonly #stream: ServerHttp2Stream;
  readonly #req: H2Request;
  /** Told when the body passes the request's bodyLimit (the front answers 413 or resets). */
  onOverLimit: (() => void) | null = null;
  readonly #onData = (chunk: Buffer): void => {
    if ((this.#req.bodyBytes += chunk.length) > this.#req.bodyLimit) {
      this.destroy(new Error('request body over the limit'));
      this.onOverLimit?.();
      return;
    }
    if (!this.push(chunk)) this.#stream.pause();
  };
  readonly #onEnd = (): void => {
    this.push(null);
  };
  readonly #onTrailers = (_headers: unknown, _flags: number, raw: string[]): void => {
    this.trailers = forwardableTrailers(raw);
  };

  constructor(stream: ServerHttp2Stream, req: H2Request) {
    super();
    this.#stream = stream;
    this.#req = req;
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    stream.on('trailers', this.#onTrailers);
    // The front destroys an unfinished body with the reason before the upstream client may
    // have attached its listeners: that must not crash.
    this.on('error', ignore);
  }

  override _read(): void {
    this.#stream.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const stream = this.#stream;
    stream.off('data', this.#onData);
    stream.off('end', this.#onEnd);
    stream.off('trailers', this.#onTrailers);
    // The rest of the body is read and dropped (flow control keeps going for the response).
    if (!stream.destroyed) stream.resume();
    callback(err);
  }
}

/**
 * Fields a request trailer must not carry or that Pier does not forward there (RFC 9110 §6.5.1:
 * framing, routing, connection control, authentication, content description): the rest go
 * to the upstream as trailers.
 */
const TRAILER_DENIED = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade',
  'content-type', 'content-encoding', 'content-range', 'expect', 'max-forwards', 'authorization', 'proxy-authorization',
  'cookie', 'range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'if-range', 'cache-control',
  'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip', 'forwarded',
  'x-forwarded-scheme', 'x-scheme', 'x-original-forwarded-for', 'x-original-forwarded-host', 'proxy',
]);

/** The client's trailer fields fit to forward (flat), or null when none is. */
function forwardableTrailers(raw: readonly string[]): string[] | null {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.charCodeAt(0) === 58 || TRAILER_DENIED.has(name)) continue;
    out.push(name, raw[i + 1]!);
  }
  return out.length > 0 ? out : null;
}

function ignore(): void {}

function headerObject(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (name !== 'host') out[name] = `${seen}, ${value}`;
  }
  return out;
}
