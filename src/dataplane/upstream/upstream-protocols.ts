import type { BackendPolicy, UpstreamServer } from '../../routing/route-table.ts';
import { FASTCGI_PROTOCOL } from './fastcgi/fastcgi-protocol.ts';
import { H1Pool } from './h1-pool.ts';
import { H2Pool } from './h2/h2-pool.ts';
import { h2PoolKey, h2PoolOptions } from './h2/h2-options.ts';
import { poolKey, poolOptions, serverOrigin } from './pool-options.ts';
import type { UpstreamPool } from './upstream-handler.ts';
import { undiciPoolFactory } from './undici-pool-factory.ts';

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
 * HTTP/1.1 on public APIs only: undici's Pool (its own llhttp, in WebAssembly) with the same pool
 * options and keys, for a Node without the internals H1Pool parses with (node-internals.ts), or
 * when forced (`--force-public-http`). What it does not have: nginx's cap on idle connections
 * (`keepalive N`: undici keeps every idle one until its timeout), and it fails a request whose
 * upstream sends a 100 (Continue) nobody asked for (Pier never forwards `Expect`).
 */
export const PUBLIC_H1_PROTOCOL: UpstreamProtocol = {
  name: 'h1',
  upgrades: true,
  poolKey,
  createPool: (server, policy) => undiciPoolFactory(serverOrigin(server, policy), poolOptions(policy, server)),
};

/** HTTP/2 in the clear with prior knowledge (h2c), gRPC included: H2Pool, node:http2. */
export const H2C_PROTOCOL: UpstreamProtocol = {
  name: 'h2c',
  upgrades: false,
  poolKey: h2PoolKey,
  createPool: (server, policy) => new H2Pool(serverOrigin(server, policy), h2PoolOptions(policy, server)),
};

/** HTTP/2 over TLS, negotiated by ALPN `h2` (GRPCS, and HTTPS with `tls.alpn: h2`): H2Pool. */
export const H2_PROTOCOL: UpstreamProtocol = { ...H2C_PROTOCOL, name: 'h2' };

/**
 * Which protocol serves each `BackendPolicy.protocol`. One entry per protocol; adding a
 * protocol is one line here plus its folder under upstream/.
 */
const PROTOCOLS: Readonly<Record<BackendPolicy['protocol'], UpstreamProtocol>> = {
  HTTP: H1_PROTOCOL,
  HTTPS: H1_PROTOCOL,
  H2C: H2C_PROTOCOL,
  GRPC: H2C_PROTOCOL,
  GRPCS: H2_PROTOCOL,
  FastCGI: FASTCGI_PROTOCOL,
};

/** The protocol that reaches a backend with `policy` (HTTPS with `tls.alpn: h2` is HTTP/2);
 * `publicHttp`: HTTP/1.1 on undici instead of the lean client. */
export function protocolFor(policy: BackendPolicy, publicHttp = false): UpstreamProtocol {
  if (policy.protocol === 'HTTPS' && policy.tls?.alpn === 'h2') return H2_PROTOCOL;
  const protocol = PROTOCOLS[policy.protocol];
  return publicHttp && protocol === H1_PROTOCOL ? PUBLIC_H1_PROTOCOL : protocol;
}
