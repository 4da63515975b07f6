/**
 * The control plane's per-edit work in one process, as the controller does it: the store, the
 * incremental translator's first build (start-up) and then one-Ingress edits and one-EndpointSlice
 * edits, each followed by an update. Medians over `edits` edits.
 */
import type { EndpointSlice, Ingress } from '../../src/source/objects.ts';
import { Store } from '../../src/store/store.ts';
import { IncrementalTranslator } from '../../src/translate/incremental-translate.ts';
import type { TranslateOptions } from '../../src/translate/snapshot.ts';
import { BENCH_CLASS, type SyntheticCluster } from './cluster-objects.ts';

export interface IncrementalCost {
  readonly ingresses: number;
  /** Filling the store and the first (full) build, ms. */
  readonly firstBuildMs: number;
  /** One Ingress edited (a path renamed), then update(): median and max ms. */
  readonly ingressEditMs: { readonly median: number; readonly max: number };
  /** One EndpointSlice edited (an endpoint gone), then update(): median and max ms. */
  readonly sliceEditMs: { readonly median: number; readonly max: number };
  /** Virtual hosts and backends that were new objects after an Ingress edit / a slice edit. */
  readonly changedByIngressEdit: { readonly hosts: number; readonly backends: number };
  readonly changedBySliceEdit: { readonly hosts: number; readonly backends: number };
}

const OPTIONS: TranslateOptions = { ingressClass: 'pier', controllerName: BENCH_CLASS.spec!.controller!, watchIngressWithoutClass: false };

export function measureIncremental(cluster: SyntheticCluster, edits: number): IncrementalCost {
  const store = new Store();
  const translator = new IncrementalTranslator(OPTIONS);
  let started = performance.now();
  store.upsert(BENCH_CLASS);
  for (const obj of [...cluster.ingresses, ...cluster.services, ...cluster.endpointSlices]) store.upsert(obj);
  let table = translator.update(store.index(), store.takeChanges()).table;
  const firstBuildMs = performance.now() - started;
  const ingressMs: number[] = [];
  const sliceMs: number[] = [];
  let changedByIngressEdit = { hosts: 0, backends: 0 };
  let changedBySliceEdit = { hosts: 0, backends: 0 };
  const changed = (before: typeof table, after: typeof table) => ({
    hosts: after.virtualHosts.filter((v, i) => v !== before.virtualHosts[i]).length,
    backends: after.backends.filter((b, i) => b !== before.backends[i]).length,
  });
  for (let e = 0; e < edits; e++) {
    const victim = cluster.ingresses[(e * 7919) % cluster.ingresses.length]!;
    const edited = structuredClone(victim) as { spec: { rules: { http: { paths: { path: string }[] } }[] } } & Ingress;
    edited.spec.rules[0]!.http.paths[1]!.path = `/api-edit-${e}`;
    started = performance.now();
    store.upsert(edited);
    const next = translator.update(store.index(), store.takeChanges()).table;
    ingressMs.push(performance.now() - started);
    changedByIngressEdit = changed(table, next);
    table = next;
    const slice = cluster.endpointSlices[(Math.floor(e / 2) * 104729) % cluster.endpointSlices.length]!; // one endpoint gone, then back
    const churned: EndpointSlice = { ...slice, endpoints: e % 2 === 0 ? slice.endpoints!.slice(1) : slice.endpoints! };
    started = performance.now();
    store.upsert(churned);
    const after = translator.update(store.index(), store.takeChanges()).table;
    sliceMs.push(performance.now() - started);
    changedBySliceEdit = changed(table, after);
    table = after;
  }
  return { ingresses: cluster.ingresses.length, firstBuildMs, ingressEditMs: spread(ingressMs), sliceEditMs: spread(sliceMs), changedByIngressEdit, changedBySliceEdit };
}

function spread(values: number[]): { median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
}
