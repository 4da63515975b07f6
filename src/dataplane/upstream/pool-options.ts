import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { buildConnector, type Pool } from 'undici';
import type { BackendPolicy, UpstreamServer } from '../../routing/route-table.ts';

/** `http://10.0.0.1:8080`, `https://[fd00::1]:443`: the origin an undici Pool connects to. */
export function serverOrigin(server: UpstreamServer, policy: BackendPolicy): string {
  const host = server.host.includes(':') && !server.host.startsWith('[') ? `[${server.host}]` : server.host;
  return `${policy.protocol === 'HTTPS' ? 'https' : 'http'}://${host}:${server.port}`;
}

/**
 * The key under which an endpoint's pool is shared: the origin plus every setting that shapes
 * the pool. Two backends naming the same endpoint with the same settings share one pool (and
 * its keepalive connections); a settings change gets a fresh pool.
 */
export function poolKey(server: UpstreamServer, policy: BackendPolicy): string {
  const k = policy.keepalive;
  const t = policy.timeouts;
  const tls = policy.tls;
  const tlsKey = tls === undefined ? '' : `|tls:${tls.serverName ?? ''}:${tls.verify ? 1 : 0}:${tls.caPem === undefined ? '' : hash(tls.caPem)}`;
  return `${serverOrigin(server, policy)}|c${k.connections}|r${k.requests}|a${k.timeMs}|i${k.idleTimeoutMs}|ct${t.connectMs}|rd${t.readMs}${tlsKey}`;
}

/** A digest so a CA bundle does not bloat every key; cryptographic, because two CAs sharing a
 * key would share a pool verified against only one of them. Runs at swap time only. */
function hash(s: string): string {
  return createHash('sha256').update(s).digest('base64url');
}

/**
 * undici derives a request's TLS servername from its Host header and reconnects an HTTPS pool
 * whenever it changes. One constant for every request keeps connections; the real SNI is pinned
 * by the pool's connector (tlsConnector below), which ignores this value.
 */
export const PINNED_SERVERNAME = 'upstream.pier.invalid';

/** Undici's idle timeout when the policy leaves it at 0 (undici's own default). */
const DEFAULT_IDLE_MS = 4_000;

/**
 * BackendPolicy → undici Pool options:
 * - keepalive.connections caps the pool's connections (undici keeps every connection it opened
 *   alive until idle; it has no separate idle cap). 0 means no upstream keepalive: the pool is
 *   unbounded and each request is sent with `Connection: close` (see `upstreamReset`).
 * - keepalive.requests → maxRequestsPerClient; keepalive.timeMs (max age) → clientTtl.
 * - keepalive.idleTimeoutMs → keepAliveTimeout and keepAliveMaxTimeout (a backend's
 *   `Keep-Alive: timeout=` can only lower it; undici subtracts a 1 s safety margin from it).
 * - timeouts.readMs → headersTimeout and bodyTimeout (nginx proxy_read_timeout: the wait for
 *   the head, then between two reads); timeouts.connectMs → connect timeout. timeouts.sendMs
 *   has no undici counterpart yet (issue 5).
 * - HTTPS: see tlsConnector.
 */
export function poolOptions(policy: BackendPolicy, server: UpstreamServer): Pool.Options {
  const k = policy.keepalive;
  const idle = k.idleTimeoutMs > 0 ? k.idleTimeoutMs : DEFAULT_IDLE_MS;
  return {
    connections: k.connections > 0 ? k.connections : null,
    pipelining: 1,
    keepAliveTimeout: idle,
    keepAliveMaxTimeout: idle,
    keepAliveTimeoutThreshold: 1_000,
    maxRequestsPerClient: k.requests > 0 ? k.requests : undefined,
    clientTtl: k.timeMs > 0 ? k.timeMs : null,
    headersTimeout: policy.timeouts.readMs,
    bodyTimeout: policy.timeouts.readMs,
    connect: policy.protocol === 'HTTPS' ? tlsConnector(policy, server) : { timeout: policy.timeouts.connectMs },
  };
}

/**
 * The TLS name Pier presents and verifies for an HTTPS upstream: `tls.serverName`, else the
 * server's DNS name; none for an IP address (the certificate is then checked against the IP).
 * Never the client's Host header (nginx's proxy_ssl_name is the upstream's name too).
 */
export function upstreamServername(policy: BackendPolicy, server: UpstreamServer): string | undefined {
  return policy.tls?.serverName ?? (isIP(server.host) === 0 ? server.host : undefined);
}

/**
 * undici would take SNI from each request's Host header and reconnect whenever it changes; this
 * connector pins it to upstreamServername (verification on unless `tls.verify` is false).
 */
function tlsConnector(policy: BackendPolicy, server: UpstreamServer): buildConnector.connector {
  const tls = policy.tls;
  const servername = upstreamServername(policy, server);
  const connect = buildConnector({
    timeout: policy.timeouts.connectMs,
    rejectUnauthorized: tls?.verify ?? true,
    ...(tls?.caPem === undefined ? {} : { ca: tls.caPem }),
    ...(servername === undefined ? {} : { servername }),
  });
  return (options, callback) => connect({ ...options, servername: undefined }, callback);
}

/** Requests go out with `Connection: close` when the policy disables upstream keepalive. */
export function upstreamReset(policy: BackendPolicy): boolean {
  return policy.keepalive.connections === 0;
}
