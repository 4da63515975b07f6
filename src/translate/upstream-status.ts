import type { Upstream } from '../source/objects.ts';
import type { SnapshotIndex } from './snapshot.ts';
import { parsedUpstream, resolveUpstreamBackend } from './upstream-backend.ts';
import { serviceEndpointCount } from './upstream-servers.ts';

/** A status condition without `lastTransitionTime`: translate has no clock; the status writer stamps it. */
export interface UpstreamCondition {
  readonly type: 'Accepted' | 'Ready';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
}

/** What the leader writes to an Upstream's status subresource (and manifest mode logs). */
export interface UpstreamStatus {
  readonly observedGeneration?: number;
  readonly conditions: readonly [UpstreamCondition, UpstreamCondition];
  readonly readyEndpoints: number;
  readonly totalEndpoints: number;
}

/**
 * An Upstream's conditions and endpoint counts, from the same snapshot translate() used.
 *
 * - Accepted: True/`Accepted`, or False/`InvalidUpstream` | `UnsupportedProtocol` with the API
 *   server's validation text.
 * - Ready: True/`Ready` when at least one server can take traffic; otherwise False with the
 *   reason the backend is unavailable (`InvalidUpstream`, `ServiceNotFound`,
 *   `ServicePortNotFound`, `NoReadyEndpoints`, `CASecretNotFound`, ...).
 * - readyEndpoints: static servers plus the Service's ready endpoints; totalEndpoints: static
 *   servers plus every non-terminating endpoint address of the Service. Passive and active
 *   health are per worker and not reflected here.
 */
export function computeUpstreamStatus(index: SnapshotIndex, upstream: Upstream): UpstreamStatus {
  const namespace = upstream.metadata.namespace ?? '';
  const name = upstream.metadata.name;
  const generation = upstream.metadata.generation;
  const gen = generation === undefined ? {} : { observedGeneration: generation };
  const parsed = parsedUpstream(index, upstream);
  if (!parsed.ok) {
    return {
      ...gen,
      conditions: [
        { type: 'Accepted', status: 'False', reason: parsed.reason, message: parsed.message, ...gen },
        { type: 'Ready', status: 'False', reason: parsed.reason, message: 'the spec is not accepted', ...gen },
      ],
      readyEndpoints: 0,
      totalEndpoints: 0,
    };
  }
  const { backend, problems } = resolveUpstreamBackend(index, namespace, name, { kind: 'Upstream', namespace, name });
  const ready = backend.servers.length;
  const service = parsed.spec.service;
  const total = parsed.spec.servers.length + (service ? serviceEndpointCount(index, namespace, service.name) : 0);
  const accepted: UpstreamCondition = { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'the spec is valid', ...gen };
  const readyCondition: UpstreamCondition = backend.unavailable
    ? { type: 'Ready', status: 'False', reason: backend.unavailable, message: problems.at(-1)?.message ?? backend.unavailable, ...gen }
    : { type: 'Ready', status: 'True', reason: 'Ready', message: `${ready} of ${Math.max(ready, total)} endpoints ready`, ...gen };
  return { ...gen, conditions: [accepted, readyCondition], readyEndpoints: ready, totalEndpoints: Math.max(ready, total) };
}
