import type { Backend } from '../routing/route-table.ts';
import type { Problem } from './problem.ts';
import type { SnapshotIndex } from './snapshot.ts';

/** Result of resolving a backend reference: a backend to route to, plus problems to report. */
export interface ResolvedBackend {
  readonly backend: Backend;
  readonly problems: readonly Problem[];
}

/**
 * Resolves an Ingress `backend.resource` naming a pier.dev Upstream in `namespace`.
 * `referrer` is the Ingress (for problem reports). Returns a backend in every case; an
 * unusable Upstream yields a backend marked `unavailable` (503) plus a problem.
 *
 * Placeholder until the Upstream CRD lands (issue 5).
 */
export function resolveUpstreamBackend(
  _index: SnapshotIndex,
  namespace: string,
  name: string,
  referrer: { kind: string; namespace: string; name: string },
): ResolvedBackend {
  return {
    backend: {
      id: `upstream:${namespace}/${name}`,
      servers: [],
      policy: { algorithm: 'RoundRobin', protocol: 'HTTP', timeouts: { connectMs: 5000, sendMs: 60000, readMs: 60000 }, keepalive: { connections: 0, requests: 0, timeMs: 0, idleTimeoutMs: 0 }, retries: { attempts: 0, on: [], nonIdempotent: false } },
      unavailable: 'UpstreamNotSupported',
    },
    problems: [{ ...referrer, reason: 'UpstreamNotSupported', message: `backend Upstream ${namespace}/${name} cannot be used yet: the Upstream resource is not implemented`, severity: 'Warning' }],
  };
}
