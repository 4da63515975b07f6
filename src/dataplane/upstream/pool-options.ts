import { buildConnector } from 'undici';
import type { H1PoolOptions } from './h1-pool.ts';
import type { BackendPolicy, UpstreamServer } from '../../routing/route-table.ts';
import { overTls, tlsKey, upstreamTlsOptions } from './upstream-tls.ts';

/** `http://10.0.0.1:8080`, `https://[fd00::1]:443`: the origin a pool connects to (https for
 * the protocols over TLS: HTTPS, GRPCS). */
export function serverOrigin(server: UpstreamServer, policy: BackendPolicy): string {
  const host = server.host.includes(':') && !server.host.startsWith('[') ? `[${server.host}]` : server.host;
  return `${overTls(policy) ? 'https' : 'http'}://${host}:${server.port}`;
}

/**
 * The key under which an endpoint's pool is shared: the origin plus every setting that shapes
 * the pool. Two backends naming the same endpoint with the same settings share one pool (and
 * its keepalive connections); a settings change gets a fresh pool.
 */
export function poolKey(server: UpstreamServer, policy: BackendPolicy): string {
  const k = policy.keepalive;
  const t = policy.timeouts;
  return `${serverOrigin(server, policy)}|ka${k.connections}|r${k.requests}|a${k.timeMs}|i${k.idleTimeoutMs}|ct${t.connectMs}|rd${t.readMs}${tlsKey(policy.tls)}`;
}

/**
 * undici derives a request's TLS servername from its Host header and reconnects an HTTPS pool
 * whenever it changes. One constant for every request keeps connections; the real SNI is pinned
 * by the pool's connector (tlsConnector below), which ignores this value.
 */
export const PINNED_SERVERNAME = 'upstream.pier.invalid';

/** The idle timeout when the policy leaves it at 0 (undici's default, kept by H1Pool). */
const DEFAULT_IDLE_MS = 4_000;

/** Longest time a pool no table uses keeps its idle connections (see retireMs). */
export const MAX_RETIRE_MS = 60_000;

/** The idle timeout the pool applies to its connections. */
function idleMs(policy: BackendPolicy): number {
  const idle = policy.keepalive.idleTimeoutMs;
  return idle > 0 ? idle : DEFAULT_IDLE_MS;
}

/**
 * How long a pool stays retired (no table names it) before it is closed: its keepalive idle
 * timeout, because past that the pool has closed every idle connection and nothing is left to
 * keep; capped at MAX_RETIRE_MS so the connections to an endpoint that is gone for good do not
 * linger. 0 (close at once) without upstream keepalive: such a pool keeps no connection.
 */
export function retireMs(policy: BackendPolicy): number {
  if (upstreamReset(policy)) return 0;
  return Math.min(idleMs(policy), MAX_RETIRE_MS);
}

/**
 * BackendPolicy → pool options (undici's Pool.Options shape, which H1Pool takes with undici's
 * semantics):
 * - keepalive.connections N → maxIdle N, as nginx's `keepalive N`: it bounds the *idle*
 *   connections kept (the least recently used closes first), never how many requests run at
 *   once, so a burst beyond N opens more connections instead of queueing (`connections: null`).
 *   0 turns upstream keepalive off: each request goes with `Connection: close` (see
 *   `upstreamReset`).
 * - keepalive.requests N → maxRequestsPerClient N - 1: undici sends `Connection: close` on the
 *   request *after* the limit, so N - 1 makes the Nth request the last on its connection
 *   (N = 1 is keepalive off: see `upstreamReset`). keepalive.timeMs (max age) → clientTtl.
 * - keepalive.idleTimeoutMs → keepAliveTimeout and keepAliveMaxTimeout (a backend's
 *   `Keep-Alive: timeout=` can only lower it; undici subtracts a 1 s safety margin from it).
 * - timeouts.readMs → headersTimeout and bodyTimeout, at every value (nginx proxy_read_timeout:
 *   the wait for the head, then between two reads; H1Connection runs both on one native timer
 *   per connection, precise to the millisecond, and as nginx start the wait for the head once
 *   the whole request is written); timeouts.connectMs → connect timeout.
 *   timeouts.sendMs has no undici counterpart: the proxy watches the request body itself
 *   (ProxyExchange).
 * - HTTPS: see tlsConnector.
 */
export function poolOptions(policy: BackendPolicy, server: UpstreamServer): H1PoolOptions {
  const k = policy.keepalive;
  const idle = idleMs(policy);
  const read = policy.timeouts.readMs;
  return {
    connections: null,
    pipelining: 1,
    ...(k.connections > 0 ? { maxIdle: k.connections } : {}),
    keepAliveTimeout: idle,
    keepAliveMaxTimeout: idle,
    keepAliveTimeoutThreshold: 1_000,
    maxRequestsPerClient: k.requests > 1 ? k.requests - 1 : undefined,
    clientTtl: k.timeMs > 0 ? k.timeMs : null,
    headersTimeout: read,
    bodyTimeout: read,
    connect: policy.protocol === 'HTTPS' ? tlsConnector(policy, server) : { timeout: policy.timeouts.connectMs },
  };
}

/**
 * undici would take SNI from each request's Host header and reconnect whenever it changes; this
 * connector pins every TLS setting to upstreamTlsOptions (never the client's Host header: nginx's
 * proxy_ssl_name is the upstream's name too).
 */
function tlsConnector(policy: BackendPolicy, server: UpstreamServer): buildConnector.connector {
  const connect = buildConnector({ timeout: policy.timeouts.connectMs, ...upstreamTlsOptions(policy, server.host) } as buildConnector.BuildOptions);
  return (options, callback) => connect({ ...options, servername: undefined }, callback);
}

/** Requests go out with `Connection: close` when the policy disables upstream keepalive
 * (no idle connection kept, or one request per connection). */
export function upstreamReset(policy: BackendPolicy): boolean {
  return policy.keepalive.connections === 0 || policy.keepalive.requests === 1;
}
