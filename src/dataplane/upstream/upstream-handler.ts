import type { EventEmitter } from 'node:events';
import type { Duplex, Readable } from 'node:stream';

/**
 * Pier's upstream contract: what every upstream protocol (HTTP/1.1, h2c, FastCGI) takes for one
 * try and what it calls back. The shape is undici's raw dispatch-handler form on purpose: the
 * lean HTTP/1.1 pool already speaks it, so the hot path needs no adapter, and undici's own
 * pools stay usable behind the same interface (tests, a public-API fallback).
 */

/** Facts about the client side, for protocols that pass them on (FastCGI's CGI variables). */
export interface ClientFacts {
  /** The client's address and port (the socket's, or the trusted proxy's view). */
  readonly address: string;
  readonly port: number;
  /** The local address and port the client connected to. */
  readonly serverAddress: string;
  readonly serverPort: number;
  /** The request arrived over TLS. */
  readonly tls: boolean;
  /** The client's protocol as CGI's SERVER_PROTOCOL spells it: `HTTP/1.1`, `HTTP/1.0`,
   * `HTTP/2.0` (absent: `HTTP/1.1`). */
  readonly protocol?: string;
}

/**
 * A request body that may end with trailers (an HTTP/2 client's stream): the front sets
 * `trailers` (flat `[name, value, ...]`, only fields fit to forward) before the body's 'end'.
 * A protocol that can carry request trailers reads them at the end (HTTP/2: a trailing HEADERS
 * frame; HTTP/1.1: the last chunk of a chunked body); others drop them.
 */
export interface TrailingBody extends Readable {
  readonly mayHaveTrailers: true;
  readonly trailers: readonly string[] | null;
}

/** Whether `body` is a TrailingBody. */
export function isTrailingBody(body: unknown): body is TrailingBody {
  return (body as Partial<TrailingBody> | null)?.mayHaveTrailers === true;
}

/** One try of one request. */
export interface UpstreamRequest {
  readonly method: string;
  /** Origin-form target (`/path?query`), after any rewrite. */
  readonly path: string;
  /** Flat `[name, value, ...]`, already filtered for the upstream (no hop-by-hop headers). */
  readonly headers: string[];
  /** The request body, or null. Read once: a protocol must not retry after reading it. */
  readonly body: Readable | null;
  /** Close the connection after this request (upstream keepalive off). */
  readonly reset?: boolean;
  /** An HTTP/1.1 Upgrade token (WebSocket); only protocols that tunnel accept one. */
  readonly upgrade?: string;
  /** Ignored by Pier's pools (see PINNED_SERVERNAME); undici's need a constant. */
  readonly servername?: string;
  readonly client?: ClientFacts;
}

/**
 * What a protocol calls back, in order: onConnect once a connection is assigned (with the way
 * to abort this try), onHeaders (1xx interim heads too; false pauses the upstream until
 * `resume()`), onData per body chunk (false pauses likewise), then exactly one of onComplete
 * (with trailers as flat `[name, value, ...]`, or null) or onError. onUpgrade replaces
 * onHeaders/onData/onComplete when the upstream accepted an upgrade.
 */
export interface UpstreamHandler {
  onConnect?(abort: (reason?: Error) => void): void;
  onHeaders?(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: string[] | null): void;
  onError?(err: Error): void;
  onUpgrade?(statusCode: number, headers: Buffer[] | string[] | null, socket: Duplex): void;
}

/**
 * A protocol's connection pool for one endpoint. Emits 'connect' per new connection (the
 * registry counts them). `close()` lets requests in flight finish; `destroy()` fails them.
 */
export interface UpstreamPool extends EventEmitter {
  /** Connections open or opening, and how many of them carry no request now (metrics; a
   * pool that cannot tell has neither). */
  readonly connections?: number;
  readonly free?: number;
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): boolean;
  close(): Promise<void>;
  destroy(err?: Error | null): Promise<void>;
}
