import type { BackendPolicy, UpstreamServer } from '../../routing/route-table.ts';
import { FASTCGI_PROTOCOL } from './fastcgi/fastcgi-protocol.ts';
import { H1Pool } from './h1-pool.ts';
import { poolKey, poolOptions, serverOrigin } from './pool-options.ts';
import type { UpstreamPool } from './upstream-handler.ts';

/**
 * An upstream protocol: how a backend whose policy names it is reached. Each entry owns its
 * pool type (connections, keepalive, parser); retries, timeouts and passive health live above
 * it (ProxyExchange) and apply to every protocol alike.
 */
export interface UpstreamProtocol {
  /** Registry key, also used in logs: `h1`, `h2c`, `fastcgi`. */
  readonly name: string;
  /** Whether the protocol can carry an HTTP/1.1 Upgrade (WebSocket) tunnel. */
  readonly upgrades: boolean;
  /** The key under which endpoints share a pool: two backends with equal keys share one. */
  poolKey(server: UpstreamServer, policy: BackendPolicy): string;
  /** A new pool for one endpoint. */
  createPool(server: UpstreamServer, policy: BackendPolicy): UpstreamPool;
}

/** The lean HTTP/1.1 client (HTTP and HTTPS): H1Pool, raw sockets and node's llhttp. */
export const H1_PROTOCOL: UpstreamProtocol = {
  name: 'h1',
  upgrades: true,
  poolKey,
  createPool: (server, policy) => new H1Pool(serverOrigin(server, policy), poolOptions(policy, server)) as unknown as UpstreamPool,
};

/**
 * Which protocol serves each `BackendPolicy.protocol`. One entry per protocol; adding a
 * protocol is one line here plus its folder under upstream/.
 */
const PROTOCOLS: Readonly<Record<BackendPolicy['protocol'], UpstreamProtocol>> = {
  HTTP: H1_PROTOCOL,
  HTTPS: H1_PROTOCOL,
  FastCGI: FASTCGI_PROTOCOL,
};

/** The protocol that reaches a backend with `policy`. */
export function protocolFor(policy: BackendPolicy): UpstreamProtocol {
  return PROTOCOLS[policy.protocol];
}
