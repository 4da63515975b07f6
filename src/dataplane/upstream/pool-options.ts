import type { Pool } from 'undici';
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

/** A short, stable digest so a CA bundle does not bloat every key (collisions only cost sharing). */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return `${s.length}.${(h >>> 0).toString(36)}`;
}

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
 */
export function poolOptions(policy: BackendPolicy): Pool.Options {
  const k = policy.keepalive;
  const idle = k.idleTimeoutMs > 0 ? k.idleTimeoutMs : DEFAULT_IDLE_MS;
  const tls = policy.tls;
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
    connect: {
      timeout: policy.timeouts.connectMs,
      ...(tls === undefined ? {} : { servername: tls.serverName, ca: tls.caPem, rejectUnauthorized: tls.verify }),
    },
  };
}

/** Requests go out with `Connection: close` when the policy disables upstream keepalive. */
export function upstreamReset(policy: BackendPolicy): boolean {
  return policy.keepalive.connections === 0;
}
