import type { Pool } from 'undici';

/** The pool settings its connections apply: undici Pool.Options, resolved once per pool. */
export interface H1Settings {
  /** `host: <origin host>\r\n`, for requests that carry no Host header. */
  readonly hostHeader: string;
  readonly keepAliveTimeout: number;
  readonly keepAliveMaxTimeout: number;
  readonly keepAliveTimeoutThreshold: number;
  /** 0: unlimited; else the (M+1)-th request on a connection closes it (undici's semantics). */
  readonly maxRequests: number;
  /** ms; 0: connections never expire by age. */
  readonly ttl: number;
  /** ms; 0: off. */
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
}

// undici's defaults, for options poolOptions may leave unset.
const DEFAULT_KEEPALIVE_MS = 4_000;
const DEFAULT_KEEPALIVE_MAX_MS = 600_000;
const DEFAULT_THRESHOLD_MS = 2_000;
const DEFAULT_READ_MS = 300_000;

/** Pool.Options → H1Settings (undici's defaults for what is unset; `connections` and
 * `pipelining` are implied: no cap, one request per connection at a time). */
export function h1Settings(origin: URL, o: Pool.Options): H1Settings {
  return {
    hostHeader: `host: ${origin.host}\r\n`,
    keepAliveTimeout: o.keepAliveTimeout ?? DEFAULT_KEEPALIVE_MS,
    keepAliveMaxTimeout: o.keepAliveMaxTimeout ?? DEFAULT_KEEPALIVE_MAX_MS,
    keepAliveTimeoutThreshold: o.keepAliveTimeoutThreshold ?? DEFAULT_THRESHOLD_MS,
    maxRequests: o.maxRequestsPerClient ?? 0,
    ttl: o.clientTtl ?? 0,
    headersTimeout: o.headersTimeout ?? DEFAULT_READ_MS,
    bodyTimeout: o.bodyTimeout ?? DEFAULT_READ_MS,
  };
}
