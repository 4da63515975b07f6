import type { IncomingHttpHeaders } from 'node:http';

/** What a balancer may look at to choose a server for one request. */
export interface PickContext {
  readonly clientAddress: string;
  readonly headers: IncomingHttpHeaders;
  /** The path and query sent upstream (hashing on `$request_uri`). */
  readonly target?: string;
}

/**
 * Chooses servers for one backend. Indexes refer to `Backend.servers`. One instance lives per
 * backend per worker; passive-health state survives table swaps for servers that did not change
 * (see createBalancer's `previous`).
 */
export interface Balancer {
  /**
   * The server to try next, or -1 when none can take the request (all down, or all already in
   * `tried`). Backup servers are chosen only while every primary is down.
   */
  pick(ctx: PickContext, tried?: ReadonlySet<number>): number;
  /** Whether server `index` exists and passive health does not hold it down now (pinning a
   * request to a server by session cookie). */
  available(index: number): boolean;
  /** A request to server `index` started / ended (least-connections bookkeeping). */
  started(index: number): void;
  finished(index: number): void;
  /** Passive health: a failed try (connect error, reset, timeout) / a good response. */
  failed(index: number, now: number): void;
  succeeded(index: number): void;
}
