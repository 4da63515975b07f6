import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { httpStatusOf } from '../source/kube/kube-request.ts';
import { displayName, type Upstream } from '../source/objects.ts';
import type { SnapshotIndex } from '../translate/snapshot.ts';
import { computeUpstreamStatus, type UpstreamCondition, type UpstreamStatus } from '../translate/upstream-status.ts';

const CRD = { group: 'pier.dev', version: 'v1alpha1', plural: 'upstreams' } as const;

type WrittenCondition = UpstreamCondition & { readonly lastTransitionTime: string };
type WrittenStatus = Omit<UpstreamStatus, 'conditions'> & { readonly conditions: readonly WrittenCondition[] };

/**
 * Keeps each Upstream's status (conditions Accepted/Ready, endpoint counts; computed by
 * translate/upstream-status.ts) written through the status subresource, leader only, only when
 * it differs. `lastTransitionTime` is stamped here (translate has no clock) and kept while a
 * condition's status stays the same. Every Upstream in the watched namespaces is Pier's: the
 * CRD belongs to Pier, whichever Ingress class uses it.
 */
export class UpstreamStatusSync {
  readonly #api: CustomObjectsApi;
  readonly #logger: Logger;
  /** resourceVersion + status last written per Upstream: a stale snapshot is not rewritten. */
  readonly #writtenAt = new Map<string, string>();

  constructor(kubeConfig: KubeConfig, logger: Logger) {
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#logger = logger;
  }

  async sync(index: SnapshotIndex, leading: () => boolean, now: () => Date = () => new Date()): Promise<void> {
    for (const upstream of index.snapshot.upstreams) {
      if (!leading()) return;
      const wanted = computeUpstreamStatus(index, upstream);
      const current = (upstream as { status?: WrittenStatus }).status;
      if (sameStatus(current, wanted)) continue;
      const key = `${displayName({ namespace: upstream.metadata.namespace, name: upstream.metadata.name })}`;
      const stamp = `${upstream.metadata.resourceVersion} ${JSON.stringify(wanted)}`;
      if (this.#writtenAt.get(key) === stamp) continue;
      try {
        await this.#write(upstream, wanted, now());
        this.#writtenAt.set(key, stamp);
      } catch (err) {
        const status = httpStatusOf(err);
        if (status !== 404) this.#logger.warn({ upstream: key, status, err: (err as Error).message }, 'upstream status update failed');
      }
    }
  }

  /**
   * PUT against the snapshot's version; on 409 re-read and write only if still different. A PUT
   * of the store's slimmed object (source/slim-object.ts) is safe here, unlike for Ingresses:
   * a custom resource's status subresource keeps the stored object and takes only `status`.
   */
  async #write(upstream: Upstream, wanted: UpstreamStatus, at: Date): Promise<void> {
    const { name, namespace = '' } = upstream.metadata;
    const put = (obj: Upstream & { status?: WrittenStatus }) =>
      this.#api.replaceNamespacedCustomObjectStatus({ ...CRD, namespace, name, body: { ...obj, status: stamped(wanted, obj.status, at) } });
    try {
      await put(upstream);
      return;
    } catch (err) {
      if (httpStatusOf(err) !== 409) throw err;
    }
    const latest = (await this.#api.getNamespacedCustomObject({ ...CRD, namespace, name })) as Upstream & { status?: WrittenStatus };
    if (!sameStatus(latest.status, wanted)) await put(latest);
  }
}

/** Conditions with lastTransitionTime: kept from `current` while the condition's status holds. */
function stamped(wanted: UpstreamStatus, current: WrittenStatus | undefined, at: Date): WrittenStatus {
  const time = at.toISOString().replace(/\.\d+Z$/, 'Z');
  const conditions = wanted.conditions.map((c) => {
    const before = current?.conditions?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : time };
  });
  return { ...wanted, conditions };
}

/** Equal apart from lastTransitionTime. */
function sameStatus(current: WrittenStatus | undefined, wanted: UpstreamStatus): boolean {
  if (!current) return false;
  const strip = (s: { observedGeneration?: number; readyEndpoints?: number; totalEndpoints?: number; conditions?: readonly UpstreamCondition[] }) => JSON.stringify({
    g: s.observedGeneration, r: s.readyEndpoints, t: s.totalEndpoints,
    c: (s.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration]),
  });
  return strip(current) === strip(wanted);
}
