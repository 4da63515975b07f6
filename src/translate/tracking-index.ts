import { dependencyKey } from './dependency-keys.ts';
import type { SnapshotIndex } from './snapshot.ts';

/**
 * `index`, recording into `deps` the dependency key of every lookup (found or not: an object
 * that appears later must re-translate what looked for it). What a part of the translation
 * read is exactly what can change its result. (A class, not closures: one object per use, as
 * the first build makes one per Ingress, family and backend.)
 */
export function trackingIndex(index: SnapshotIndex, deps: Set<string>): SnapshotIndex {
  return new TrackingIndex(index, deps);
}

class TrackingIndex implements SnapshotIndex {
  readonly #index: SnapshotIndex;
  readonly #deps: Set<string>;

  constructor(index: SnapshotIndex, deps: Set<string>) {
    this.#index = index;
    this.#deps = deps;
  }

  get snapshot(): SnapshotIndex['snapshot'] {
    this.#deps.add(dependencyKey('IngressClass'));
    return this.#index.snapshot;
  }

  ingressClass(name: string): ReturnType<SnapshotIndex['ingressClass']> {
    this.#deps.add(dependencyKey('IngressClass'));
    return this.#index.ingressClass(name);
  }

  ingressClasses(): ReturnType<SnapshotIndex['ingressClasses']> {
    this.#deps.add(dependencyKey('IngressClass'));
    return this.#index.ingressClasses();
  }

  ingress(ns: string, name: string): ReturnType<SnapshotIndex['ingress']> {
    this.#deps.add(dependencyKey('Ingress', ns, name));
    return this.#index.ingress(ns, name);
  }

  service(ns: string, name: string): ReturnType<SnapshotIndex['service']> {
    this.#deps.add(dependencyKey('Service', ns, name));
    return this.#index.service(ns, name);
  }

  endpointSlices(ns: string, service: string): ReturnType<SnapshotIndex['endpointSlices']> {
    this.#deps.add(dependencyKey('EndpointSlices', ns, service));
    return this.#index.endpointSlices(ns, service);
  }

  secret(ns: string, name: string): ReturnType<SnapshotIndex['secret']> {
    this.#deps.add(dependencyKey('Secret', ns, name));
    return this.#index.secret(ns, name);
  }

  configMap(ns: string, name: string): ReturnType<SnapshotIndex['configMap']> {
    this.#deps.add(dependencyKey('ConfigMap', ns, name));
    return this.#index.configMap(ns, name);
  }

  upstream(ns: string, name: string): ReturnType<SnapshotIndex['upstream']> {
    this.#deps.add(dependencyKey('Upstream', ns, name));
    return this.#index.upstream(ns, name);
  }
}

/** Which consumers read which dependency keys, both ways, so a change finds its readers. */
export class Dependents {
  readonly #readers = new Map<string, Set<string>>();
  readonly #reads = new Map<string, ReadonlySet<string>>();

  /** `consumer` now reads exactly `deps` (replacing what it read before). */
  track(consumer: string, deps: ReadonlySet<string>): void {
    this.forget(consumer);
    if (deps.size === 0) return;
    this.#reads.set(consumer, deps);
    for (const dep of deps) {
      let readers = this.#readers.get(dep);
      if (readers === undefined) this.#readers.set(dep, (readers = new Set()));
      readers.add(consumer);
    }
  }

  forget(consumer: string): void {
    const old = this.#reads.get(consumer);
    if (old === undefined) return;
    this.#reads.delete(consumer);
    for (const dep of old) {
      const readers = this.#readers.get(dep);
      readers?.delete(consumer);
      if (readers?.size === 0) this.#readers.delete(dep);
    }
  }

  /** Every consumer that read one of `changes`. */
  readersOf(changes: Iterable<string>): Set<string> {
    const found = new Set<string>();
    for (const change of changes) for (const reader of this.#readers.get(change) ?? []) found.add(reader);
    return found;
  }
}
