import type { Problem } from '../translate/problem.ts';
import { matchesLabels, type LabelSelector } from './label-selector.ts';
import type { KubeObject } from './objects.ts';
import type { SourceEvent, SourceListener } from './source.ts';

/**
 * The kinds `--watch-namespace-selector` decides on: those that make routes in their own
 * namespace (an Ingress, and the Upstream its backend names). ingress-nginx filters Ingresses
 * (and Secret updates); like it, Pier keeps reading Services, EndpointSlices, Secrets and
 * ConfigMaps everywhere: an Ingress only uses those of its own namespace, and
 * `--default-backend-service` / `--default-ssl-certificate` name theirs wherever they are
 * (often Pier's own namespace, which need not match).
 */
const GATED_KINDS: ReadonlySet<string> = new Set(['Ingress', 'Upstream']);

/**
 * `--watch-namespace-selector` between a source and its listener: Ingress and Upstream events
 * pass only for namespaces whose Namespace object's labels match the selector. Namespace
 * events themselves stop here (the store has no use for them).
 *
 * Unlike ingress-nginx, which checks the selector only when an Ingress event arrives (so a
 * namespace labelled later is served only once each Ingress in it changes, and one unlabelled
 * keeps its Ingresses until they are deleted — and then, their delete being filtered too,
 * after that), the gate follows label changes: it holds every gated object, matching or not,
 * and when a namespace starts matching emits an upsert for each of its objects, when it stops
 * (or is deleted) a remove. The store then rebuilds the table without them in one swap; the
 * status writer no longer sees them, so their status is left as it is.
 *
 * A namespace without a Namespace object (not listed yet, or not in the manifests) does not
 * match, whatever the selector: ingress-nginx treats a namespace it cannot find the same way.
 */
export class NamespaceGate {
  readonly #selector: LabelSelector;
  readonly #emit: SourceListener;
  /** Namespace name → whether its labels match; absent: no Namespace object seen. */
  readonly #matching = new Map<string, boolean>();
  /** Namespace → `kind/name` → every gated object the source holds there. */
  readonly #held = new Map<string, Map<string, KubeObject>>();
  /** Namespaces reported by reportMissing() and still without a Namespace object. */
  readonly #reported = new Set<string>();

  constructor(selector: LabelSelector, emit: SourceListener) {
    this.#selector = selector;
    this.#emit = emit;
  }

  /** The listener to hand the source: filters and forwards to `emit`. */
  readonly listener: SourceListener = (event) => {
    if (event.type === 'upsert' && event.object.kind === 'Namespace') return this.#namespace(event.object.metadata.name, event.object.metadata.labels);
    if (event.type === 'remove' && event.ref.kind === 'Namespace') return this.#namespace(event.ref.name, undefined, true);
    if (event.type === 'upsert' && GATED_KINDS.has(event.object.kind)) return this.#upsert(event.object);
    if (event.type === 'remove' && GATED_KINDS.has(event.ref.kind)) return this.#remove(event);
    this.#emit(event);
  };

  /**
   * A problem for each namespace that holds Ingresses or Upstreams but has no Namespace object,
   * once until it gets one (manifest mode: the object is missing from the files, not late).
   */
  reportMissing(): Problem[] {
    const problems: Problem[] = [];
    for (const [namespace, objects] of this.#held) {
      if (this.#matching.has(namespace) || this.#reported.has(namespace) || objects.size === 0) continue;
      this.#reported.add(namespace);
      problems.push({
        kind: 'Namespace', namespace: '', name: namespace, reason: 'NamespaceNotDeclared', severity: 'Warning',
        message: `no manifest declares Namespace ${namespace}, so its labels are unknown and its Ingresses and Upstreams are not served (--watch-namespace-selector ${this.#selector.text}); add a Namespace object with the labels the selector wants.`,
      });
    }
    return problems;
  }

  #serves(namespace: string): boolean {
    return this.#matching.get(namespace) === true;
  }

  #upsert(obj: KubeObject): void {
    const namespace = obj.metadata.namespace ?? '';
    let objects = this.#held.get(namespace);
    if (!objects) this.#held.set(namespace, (objects = new Map()));
    objects.set(`${obj.kind}/${obj.metadata.name}`, obj);
    if (this.#serves(namespace)) this.#emit({ type: 'upsert', object: obj });
  }

  #remove(event: SourceEvent & { type: 'remove' }): void {
    const { kind, namespace, name } = event.ref;
    const objects = this.#held.get(namespace);
    objects?.delete(`${kind}/${name}`);
    if (objects?.size === 0) this.#held.delete(namespace);
    if (this.#serves(namespace)) this.#emit(event);
  }

  /** A Namespace added, changed or (`gone`) deleted: its held objects follow its match. */
  #namespace(name: string, labels: Readonly<Record<string, string>> | undefined, gone = false): void {
    const before = this.#serves(name);
    if (gone) this.#matching.delete(name);
    else {
      this.#matching.set(name, matchesLabels(this.#selector, labels));
      this.#reported.delete(name);
    }
    const after = this.#serves(name);
    if (before === after) return;
    for (const obj of this.#held.get(name)?.values() ?? []) {
      this.#emit(after ? { type: 'upsert', object: obj } : { type: 'remove', ref: { kind: obj.kind, namespace: name, name: obj.metadata.name } });
    }
  }
}
