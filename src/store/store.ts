import { isDeepStrictEqual } from 'node:util';
import type {
  ConfigMap, EndpointSlice, Ingress, IngressClass, KubeObject, ObjectRef, Secret, Service, Upstream, WatchedKind,
} from '../source/objects.ts';
import { dependencyKey } from '../translate/dependency-keys.ts';
import type { Snapshot, SnapshotIndex } from '../translate/snapshot.ts';
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
 *
 * Relevant changes are also remembered as dependency keys (translate/dependency-keys.ts) until
 * `takeChanges()`, so an incremental translation re-translates only what read them; `index()`
 * is a live lookup over the current objects (no copy per build).
 */
export class Store {
  readonly #objects: Record<WatchedKind, Map<string, KubeObject>> = {
    IngressClass: new Map(), Ingress: new Map(), Service: new Map(),
    EndpointSlice: new Map(), Secret: new Map(), ConfigMap: new Map(), Upstream: new Map(),
  };
  /** EndpointSlices by `namespace/service` (their kubernetes.io/service-name label), then by key. */
  readonly #slices = new Map<string, Map<string, EndpointSlice>>();
  #changes = new Set<string>();

  /** Stores `obj` (replacing any previous version); true if a relevant part changed. */
  upsert(obj: KubeObject): boolean {
    const map = this.#mapOf(obj.kind);
    if (!map) return false;
    const key = keyOf(obj.metadata.namespace, obj.metadata.name);
    if (obj.kind === 'Secret' && !isKeptSecretType((obj as Secret).type)) return this.#delete(map, key);
    const previous = map.get(key);
    map.set(key, obj);
    if (obj.kind === 'EndpointSlice') this.#indexSlice(key, previous as EndpointSlice | undefined, obj as EndpointSlice);
    const relevant = !previous || !isDeepStrictEqual(relevantView(previous), relevantView(obj));
    if (relevant) {
      this.#noteChange(obj);
      if (previous !== undefined && previous.kind === 'EndpointSlice') this.#noteChange(previous);
    }
    return relevant;
  }

  /** Forgets the object; true if it was there. */
  remove(ref: ObjectRef): boolean {
    const map = this.#mapOf(ref.kind);
    return map === undefined ? false : this.#delete(map, keyOf(ref.namespace, ref.name));
  }

  /**
   * The dependency keys of every relevant change since the last call (an EndpointSlice names
   * its Service's `EndpointSlices:` key, before and after a label change), then forgets them.
   */
  takeChanges(): ReadonlySet<string> {
    const changes = this.#changes;
    this.#changes = new Set();
    return changes;
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

  /** Lookups over the current objects, live: valid until the store next changes. */
  index(): SnapshotIndex {
    const get = <T extends KubeObject>(kind: WatchedKind, namespace: string, name: string) => this.#objects[kind].get(keyOf(namespace, name)) as T | undefined;
    const snapshot = () => this.snapshot();
    return {
      get snapshot() {
        return snapshot();
      },
      ingressClass: (name) => get<IngressClass>('IngressClass', '', name),
      ingressClasses: () => [...this.#objects.IngressClass.values()] as IngressClass[],
      ingress: (ns, name) => get<Ingress>('Ingress', ns, name),
      service: (ns, name) => get<Service>('Service', ns, name),
      endpointSlices: (ns, svc) => {
        const slices = this.#slices.get(keyOf(ns, svc));
        return slices === undefined ? [] : [...slices.values()];
      },
      secret: (ns, name) => get<Secret>('Secret', ns, name),
      configMap: (ns, name) => get<ConfigMap>('ConfigMap', ns, name),
      upstream: (ns, name) => get<Upstream>('Upstream', ns, name),
    };
  }

  #delete(map: Map<string, KubeObject>, key: string): boolean {
    const previous = map.get(key);
    if (previous === undefined) return false;
    map.delete(key);
    if (previous.kind === 'EndpointSlice') this.#indexSlice(key, previous as EndpointSlice, undefined);
    this.#noteChange(previous);
    return true;
  }

  #indexSlice(key: string, previous: EndpointSlice | undefined, next: EndpointSlice | undefined): void {
    const before = previous === undefined ? undefined : serviceOf(previous);
    const after = next === undefined ? undefined : serviceOf(next);
    if (before !== undefined && before !== after) {
      const slices = this.#slices.get(before);
      slices?.delete(key);
      if (slices?.size === 0) this.#slices.delete(before);
    }
    if (after === undefined) return;
    let slices = this.#slices.get(after);
    if (slices === undefined) this.#slices.set(after, (slices = new Map()));
    slices.set(key, next!);
  }

  #noteChange(obj: KubeObject): void {
    const { namespace = '', name } = obj.metadata;
    switch (obj.kind) {
      case 'EndpointSlice': {
        const service = (obj as EndpointSlice).metadata.labels?.['kubernetes.io/service-name'];
        if (service) this.#changes.add(dependencyKey('EndpointSlices', namespace, service));
        return;
      }
      case 'IngressClass':
        this.#changes.add(dependencyKey('IngressClass'));
        return;
      default:
        this.#changes.add(dependencyKey(obj.kind as 'Ingress', namespace, name));
    }
  }

  #mapOf(kind: string): Map<string, KubeObject> | undefined {
    return Object.hasOwn(this.#objects, kind) ? this.#objects[kind as WatchedKind] : undefined;
  }
}

/** Cluster-scoped objects have no namespace; `/name` cannot clash with `ns/name`. */
function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** `namespace/service` of a slice's kubernetes.io/service-name label; undefined without one. */
function serviceOf(slice: EndpointSlice): string | undefined {
  const service = slice.metadata.labels?.['kubernetes.io/service-name'];
  return service ? keyOf(slice.metadata.namespace, service) : undefined;
}
