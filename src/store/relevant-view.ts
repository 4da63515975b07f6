import type { KubeObject } from '../source/objects.ts';

/** Kinds whose `status` Pier writes itself (status/): our own writes must not cause rebuilds. */
const OWN_STATUS_KINDS = new Set(['Ingress', 'Upstream']);

/**
 * The part of an object whose change matters to translation, for a deep-equal comparison.
 * Left out: `metadata.resourceVersion` (changes on every write), `metadata.managedFields`
 * (server-side apply bookkeeping), `metadata.generation` (it only moves with the spec, which is
 * compared anyway) and the `status` of kinds whose status Pier writes (Ingress, Upstream).
 * Labels, annotations, uid and creationTimestamp stay: translate reads them (EndpointSlice
 * service-name label, pier.dev/ annotations, conflict ordering by age).
 *
 * Allocates one shallow copy per call; upserts are control-plane events, not per request.
 */
export function relevantView(obj: KubeObject): unknown {
  const { resourceVersion: _rv, generation: _gen, managedFields: _mf, ...metadata } = obj.metadata as KubeObject['metadata'] & { managedFields?: unknown };
  const { status: _status, ...rest } = obj as KubeObject & { status?: unknown };
  return OWN_STATUS_KINDS.has(obj.kind) ? { ...rest, metadata } : { ...obj, metadata };
}
