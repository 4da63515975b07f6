import { isDeepStrictEqual } from 'node:util';
import type {
  ConfigMap, EndpointSlice, Ingress, IngressClass, KubeObject, ObjectRef, Secret, Service, Upstream, WatchedKind,
} from '../source/objects.ts';
import type { Snapshot } from '../translate/snapshot.ts';
import { relevantView } from './relevant-view.ts';

import { isKeptSecretType } from '../source/kube/watched-resources.ts';

/**
 * The latest object of each watched kind, keyed by namespace/name (Contour's KubernetesCache).
 *
 * `upsert` and `remove` return whether anything relevant to translation changed (see
 * relevantView): only then should a rebuild be scheduled. The latest object is stored even when
 * the change was irrelevant, so the snapshot always carries current resourceVersions and status.
 * Only Secrets of type `kubernetes.io/tls` or `Opaque` are kept (certificates, auth users, CA
 * bundles); a Secret that changes to another type is removed. Objects of kinds Pier does not watch are ignored.
 */
export class Store {
  readonly #objects: Record<WatchedKind, Map<string, KubeObject>> = {
    IngressClass: new Map(), Ingress: new Map(), Service: new Map(),
    EndpointSlice: new Map(), Secret: new Map(), ConfigMap: new Map(), Upstream: new Map(),
  };

  /** Stores `obj` (replacing any previous version); true if a relevant part changed. */
  upsert(obj: KubeObject): boolean {
    const map = this.#mapOf(obj.kind);
    if (!map) return false;
    const key = keyOf(obj.metadata.namespace, obj.metadata.name);
    if (obj.kind === 'Secret' && !isKeptSecretType((obj as Secret).type)) return map.delete(key);
    const previous = map.get(key);
    map.set(key, obj);
    return !previous || !isDeepStrictEqual(relevantView(previous), relevantView(obj));
  }

  /** Forgets the object; true if it was there. */
  remove(ref: ObjectRef): boolean {
    return this.#mapOf(ref.kind)?.delete(keyOf(ref.namespace, ref.name)) ?? false;
  }

  /** The current objects of every kind (fresh arrays, unordered: translate sorts). */
  snapshot(): Snapshot {
    const all = <T extends KubeObject>(kind: WatchedKind) => [...this.#objects[kind].values()] as T[];
    return {
      ingressClasses: all<IngressClass>('IngressClass'),
      ingresses: all<Ingress>('Ingress'),
      services: all<Service>('Service'),
      endpointSlices: all<EndpointSlice>('EndpointSlice'),
      secrets: all<Secret>('Secret'),
      configMaps: all<ConfigMap>('ConfigMap'),
      upstreams: all<Upstream>('Upstream'),
    };
  }

  #mapOf(kind: string): Map<string, KubeObject> | undefined {
    return Object.hasOwn(this.#objects, kind) ? this.#objects[kind as WatchedKind] : undefined;
  }
}

/** Cluster-scoped objects have no namespace; `/name` cannot clash with `ns/name`. */
function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}
