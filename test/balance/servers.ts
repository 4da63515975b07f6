import type { Algorithm, Backend, BackendPolicy, HashKey, UpstreamServer } from '../../src/routing/route-table.ts';
import { DEFAULT_POLICY } from '../../src/routing/route-table.ts';

/** A server at 10.0.0.<n>:80 with nginx defaults, overridable. */
export function server(n: number, over: Partial<UpstreamServer> = {}): UpstreamServer {
  return { host: `10.0.0.${n}`, port: 80, weight: 1, backup: false, maxFails: 1, failTimeoutMs: 10_000, ...over };
}

/** A backend over `servers` with `algorithm`. */
export function backend(algorithm: Algorithm, servers: readonly UpstreamServer[], extra: Partial<BackendPolicy> & { hashKey?: HashKey } = {}): Backend {
  return { id: 'upstream:default/test', servers, policy: { ...DEFAULT_POLICY, algorithm, ...extra } };
}

export const ctx = (clientAddress = '192.0.2.1', headers: Record<string, string> = {}) => ({ clientAddress, headers });

/** Deterministic PRNG (mulberry32) so random-algorithm tests are reproducible. */
export { seeded } from '../helpers/seeded-random.ts';
