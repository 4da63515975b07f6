import type { BackendPolicy, UpstreamServer } from '../../../routing/route-table.ts';
import type { ConnectionOptions } from 'node:tls';
import { poolKey, upstreamReset } from '../pool-options.ts';
import { overTls, upstreamTlsOptions } from '../upstream-tls.ts';

/** What an H2Pool needs, resolved once per pool (times in ms; 0 turns a limit off). */
export interface H2PoolOptions {
  /** Connect to `host:port` in the clear (h2c, prior knowledge) or over TLS with ALPN `h2`. */
  readonly tls: false | ConnectionOptions;
  /** Establishing the TCP (and TLS) connection. */
  readonly connectTimeoutMs: number;
  /** nginx proxy_read_timeout: the wait for the response head once the request is sent, then
   * between two reads of the body (not counted while the caller holds the body back). */
  readonly readTimeoutMs: number;
  /** A connection with no stream for this long is closed. */
  readonly idleTimeoutMs: number;
  /** A connection older than this takes no new stream (and closes once idle). */
  readonly maxAgeMs: number;
  /** Streams per connection over its life; the connection then takes no new one. */
  readonly maxRequests: number;
  /** Streams at once per connection: the server's SETTINGS_MAX_CONCURRENT_STREAMS, capped by
   * this (a server announcing no limit would otherwise take every stream on one connection). */
  readonly maxConcurrentStreams: number;
  /** Send a PING this often on each connection; one unanswered by the next closes the
   * connection (its streams fail as resets). 0: no PINGs. */
  readonly pingIntervalMs: number;
}

/** Streams per connection when the server sets no lower limit. */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 128;

/** The idle timeout when the policy leaves it at 0 (as the HTTP/1.1 pool: pool-options.ts). */
const DEFAULT_IDLE_MS = 4_000;

/** Whether a backend with `policy` is reached over TLS by the HTTP/2 client. */
export function h2OverTls(policy: BackendPolicy): boolean {
  return overTls(policy);
}

/** The HTTP/2 pools' key: the HTTP/1.1 key (origin and every setting) under its own prefix, so
 * an h2c and an HTTP/1.1 backend naming one endpoint never share a pool. */
export function h2PoolKey(server: UpstreamServer, policy: BackendPolicy): string {
  const h2 = policy.http2;
  return `h2|${poolKey(server, policy)}${h2 === undefined ? '' : `|ping${h2.pingIntervalMs}|mcs${h2.maxConcurrentStreams}`}`;
}

/**
 * BackendPolicy → H2PoolOptions, with the HTTP/1.1 pool's meanings where HTTP/2 has one:
 * keepalive.idleTimeoutMs → idle connection close, keepalive.timeMs → connection age,
 * keepalive.requests → streams per connection (0 = unlimited), keepalive off (connections 0 or
 * requests 1) → one stream per connection; timeouts.readMs / connectMs as HTTP/1.1;
 * http2.pingIntervalMs and http2.maxConcurrentStreams as they are (absent: no PINGs, 128).
 * keepalive.connections (nginx's idle-connection cap) has no counterpart: an HTTP/2 pool keeps
 * as few connections as its concurrent streams need. TLS as the HTTP/1.1 pool's
 * (upstreamTlsOptions), never from the client's Host.
 */
export function h2PoolOptions(policy: BackendPolicy, server: UpstreamServer): H2PoolOptions {
  const k = policy.keepalive;
  return {
    tls: h2OverTls(policy) ? upstreamTlsOptions(policy, server.host) : false,
    connectTimeoutMs: policy.timeouts.connectMs,
    readTimeoutMs: policy.timeouts.readMs,
    idleTimeoutMs: k.idleTimeoutMs > 0 ? k.idleTimeoutMs : DEFAULT_IDLE_MS,
    maxAgeMs: k.timeMs,
    maxRequests: upstreamReset(policy) ? 1 : k.requests,
    maxConcurrentStreams: policy.http2?.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS,
    pingIntervalMs: policy.http2?.pingIntervalMs ?? 0,
  };
}
