import type { IncomingHttpHeaders } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import { Readable } from 'node:stream';
import { emptyFacts, scanRequestHeaders, type RequestHeaderFacts } from '../../forward-headers.ts';
import type { DownstreamConnection, DownstreamRequest } from '../downstream.ts';

/** One client HTTP/2 connection as the pipeline sees it (DownstreamConnection). */
export interface H2Connection extends DownstreamConnection {
  readonly clientAddress: string;
  readonly proto: string;
  readonly port: string;
  requests: number;
  /** The TLS server name the client asked for (null in the clear, or without SNI). */
  readonly servername: string | null;
}

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
  #headers: IncomingHttpHeaders | undefined;

  constructor(stream: ServerHttp2Stream, conn: H2Connection, raw: readonly string[], bodyLimit: number) {
    this.stream = stream;
    this.conn = conn;
    this.bodyLimit = bodyLimit;
    let method = 'GET';
    let path = '/';
    let authority: string | undefined;
    const flat: string[] = [];
    let cookie: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const value = raw[i + 1]!;
      if (name.charCodeAt(0) === 58 /* : */) {
        if (name === ':method') method = value;
        else if (name === ':path') path = value;
        else if (name === ':authority') authority = value;
      } else if (name === 'host') {
        authority ??= value;
      } else if (name === 'cookie') {
        cookie = cookie === undefined ? value : `${cookie}; ${value}`;
      } else {
        flat.push(name, value);
      }
    }
    if (cookie !== undefined) flat.push('cookie', cookie);
    this.rawHeaders = authority === undefined ? flat : ['host', authority, ...flat];
    this.method = method;
    this.url = path;
    this.authority = authority;
    this.refusal = scanRequestHeaders(this.rawHeaders, this.facts);
    // HTTP/2 frames the body itself: there is one unless HEADERS carried END_STREAM.
    const hasBody = !stream.endAfterHeaders;
    this.facts.hasBody = hasBody;
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
 */
export class H2RequestBody extends Readable {
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

  constructor(stream: ServerHttp2Stream, req: H2Request) {
    super();
    this.#stream = stream;
    this.#req = req;
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
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
    // The rest of the body is read and dropped (flow control keeps going for the response).
    if (!stream.destroyed) stream.resume();
    callback(err);
  }
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
