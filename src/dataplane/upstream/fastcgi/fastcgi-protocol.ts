import { createHash } from 'node:crypto';
import type { BackendPolicy, UpstreamServer } from '../../../routing/route-table.ts';
import type { UpstreamPool } from '../upstream-handler.ts';
import type { UpstreamProtocol } from '../upstream-protocols.ts';
import { fastcgiSettings } from './fastcgi-settings.ts';
import { FcgiPool, type FcgiEndpoint } from './fcgi-pool.ts';

/** Prefix of a unix socket server address (`unix:/run/php/php-fpm.sock`). */
export const UNIX_PREFIX = 'unix:';

/** A server's FastCGI endpoint: a unix socket path, or host and port. */
export function fastcgiEndpoint(server: UpstreamServer): FcgiEndpoint {
  return server.host.startsWith(UNIX_PREFIX) ? { path: server.host.slice(UNIX_PREFIX.length) } : { host: server.host, port: server.port };
}

/**
 * The pool key: endpoint, keepalive and timeout settings, and a digest of the CGI settings (they
 * shape every request's PARAMS, so a change gets a fresh pool, as a TLS change does for HTTPS).
 */
function poolKey(server: UpstreamServer, policy: BackendPolicy): string {
  const k = policy.keepalive;
  const t = policy.timeouts;
  const cgi = createHash('sha256').update(JSON.stringify(policy.fastcgi ?? null)).digest('base64url');
  return `fastcgi://${server.host}:${server.port}|ka${k.connections}|r${k.requests}|a${k.timeMs}|i${k.idleTimeoutMs}|ct${t.connectMs}|rd${t.readMs}|cgi:${cgi}`;
}

/** FastCGI (php-fpm and other application servers): FcgiPool, records and CGI/1.1 params. */
export const FASTCGI_PROTOCOL: UpstreamProtocol = {
  name: 'fastcgi',
  upgrades: false,
  poolKey,
  createPool: (server, policy) => new FcgiPool(fastcgiEndpoint(server), fastcgiSettings(policy)) as UpstreamPool,
};
