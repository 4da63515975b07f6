import { Agent, request } from 'undici';
import type { BackendPolicy, UpstreamServer } from '../../routing/route-table.ts';
import { upstreamTlsOptions } from '../upstream/upstream-tls.ts';

/** One health check: resolves true for a 2xx/3xx answer within the timeout, false otherwise. */
export type Probe = (server: UpstreamServer) => Promise<boolean>;

/**
 * The default probe: `GET <healthCheck.path>` over HTTP or HTTPS (the backend's protocol and
 * TLS settings) through a dedicated undici Agent, so checks never take a proxy connection from
 * the request pools. `close()` releases the Agent's sockets.
 */
export function createHttpProbe(policy: BackendPolicy): { probe: Probe; close: () => Promise<void> } {
  const check = policy.healthCheck;
  const timeoutMs = check?.timeoutMs ?? 2_000;
  const agent = new Agent({
    connections: 1,
    keepAliveTimeout: Math.max(1_000, (check?.intervalMs ?? 5_000) * 2),
    connect: {
      timeout: timeoutMs,
      // The Agent serves every server of the backend: undici names a DNS-named one itself.
      ...(policy.protocol === 'HTTPS' ? upstreamTlsOptions(policy, undefined) : {}),
    },
  });
  const scheme = policy.protocol === 'HTTPS' ? 'https' : 'http';
  const path = check?.path ?? '/';
  const probe: Probe = async (server) => {
    const host = server.host.includes(':') ? `[${server.host}]` : server.host;
    try {
      const res = await request(`${scheme}://${host}:${server.port}${path}`, {
        method: 'GET',
        dispatcher: agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
        headers: { 'user-agent': 'pier-health-check' },
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 400;
    } catch {
      return false;
    }
  };
  return { probe, close: () => agent.destroy() };
}
