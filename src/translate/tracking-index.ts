import { dependencyKey } from './dependency-keys.ts';
import type { SnapshotIndex } from './snapshot.ts';

/**
 * `index`, recording into `deps` the dependency key of every lookup (found or not: an object
 * that appears later must re-translate what looked for it). What a part of the translation
 * read is exactly what can change its result.
 */
export function trackingIndex(index: SnapshotIndex, deps: Set<string>): SnapshotIndex {
  return {
    get snapshot() {
      deps.add(dependencyKey('IngressClass'));
      return index.snapshot;
    },
    ingressClass: (name) => {
      deps.add(dependencyKey('IngressClass'));
      return index.ingressClass(name);
    },
    ingressClasses: () => {
      deps.add(dependencyKey('IngressClass'));
      return index.ingressClasses();
    },
    ingress: (ns, name) => {
      deps.add(dependencyKey('Ingress', ns, name));
      return index.ingress(ns, name);
    },
    service: (ns, name) => {
      deps.add(dependencyKey('Service', ns, name));
      return index.service(ns, name);
    },
    endpointSlices: (ns, service) => {
      deps.add(dependencyKey('EndpointSlices', ns, service));
      return index.endpointSlices(ns, service);
    },
    secret: (ns, name) => {
      deps.add(dependencyKey('Secret', ns, name));
      return index.secret(ns, name);
    },
    configMap: (ns, name) => {
      deps.add(dependencyKey('ConfigMap', ns, name));
      return index.configMap(ns, name);
    },
    upstream: (ns, name) => {
      deps.add(dependencyKey('Upstream', ns, name));
      return index.upstream(ns, name);
    },
  };
}

/** Which consumers read which dependency keys, both ways, so a change finds its readers. */
export class Dependents {
  readonly #readers = new Map<string, Set<string>>();
  readonly #reads = new Map<string, ReadonlySet<string>>();

  /** `consumer` now reads exactly `deps` (replacing what it read before). */
  track(consumer: string, deps: ReadonlySet<string>): void {
    this.forget(consumer);
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
