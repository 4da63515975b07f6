import { isDeepStrictEqual } from 'node:util';
import type { Ingress } from '../source/objects.ts';
import type { Backend, Certificate, RouteTable, VirtualHost } from '../routing/route-table.ts';
import type { BackendResolver } from './build-table.ts';
import { BackendMemo } from './backend-memo.ts';
import { backendIdOf } from './backend-ref.ts';
import { applyDefaultBackendService } from './default-backend-service.ts';
import { applyDefaultSslCertificate } from './default-ssl-certificate.ts';
import { dependencyKey, ingressOfKey } from './dependency-keys.ts';
import { familiesOf, translateFamily, type FamilyOutput } from './host-family.ts';
import { isOurIngress } from './ingress-class.ts';
import { processIngress, type ProcessedIngress } from './ingress-processor.ts';
import { mergeRoutes } from './merge-routes.ts';
import type { Problem } from './problem.ts';
import type { SnapshotIndex, TranslateOptions } from './snapshot.ts';
import { sortProblems } from './sort.ts';
import { compareHostNames, compareText, SortedKeys } from './sorted-keys.ts';
import { Dependents, trackingIndex } from './tracking-index.ts';
import type { TranslateResult } from './translate.ts';

/** One Ingress as last translated. */
interface IngressEntry {
  readonly processed: ProcessedIngress | undefined;
  readonly families: ReadonlySet<string>;
}

/** One family as last translated: its output and the backend resolutions it uses. */
interface FamilyEntry {
  readonly members: Set<string>;
  output: FamilyOutput | undefined;
  uses: string[];
}

const INGRESS = 'i\0';
const FAMILY = 'f\0';

/**
 * translate() for a store that changes a little at a time: the same result (a property test
 * compares the two after every step of random edit sequences), computed from what changed.
 *
 * - Each Ingress is processed (class, validation, annotations) once per version; ConfigMaps its
 *   annotations read re-process it.
 * - Routes, TLS and redirects are translated per host family (host-family.ts): an edit
 *   re-translates the families of the Ingress's old and new hosts, and a Service or Secret
 *   change the families that read it.
 * - Backends are resolved per (backend, referring Ingress) in BackendMemo: an EndpointSlice
 *   change re-resolves the backends of its Service and nothing else.
 * - The spec.defaultBackend winner, the controller-wide fallbacks and the final problem list
 *   are recomputed on every update (small).
 * - An IngressClass change starts over (it may change which Ingresses are ours).
 *
 * Unchanged virtual hosts, backends and certificates keep their objects from one table to the
 * next, so the table's identity tells the dataplane what to recompile. Everything is in the
 * documented order without sorting the whole table.
 */
export class IncrementalTranslator {
  readonly #options: TranslateOptions;
  #ingresses = new Map<string, IngressEntry>();
  #families = new Map<string, FamilyEntry>();
  #dependents = new Dependents();
  #memo = new BackendMemo();
  #hosts = new SortedKeys(compareHostNames);
  #vhosts = new Map<string, VirtualHost>();
  #backendIds = new SortedKeys(compareText);
  #defaultIngresses = new Set<string>();
  #defaultUse: string | undefined;
  #defaultId: string | undefined;
  #started = false;
  #virtualHostList: readonly VirtualHost[] = [];
  #backendList: readonly Backend[] = [];
  #certificates: Readonly<Record<string, Certificate>> = {};
  #lastTable: RouteTable | undefined;

  constructor(options: TranslateOptions) {
    this.#options = options;
  }

  /**
   * The table for `index` (the store's current objects), given the dependency keys that changed
   * since the last call (Store.takeChanges). The first call translates everything.
   */
  update(index: SnapshotIndex, changes: ReadonlySet<string>): TranslateResult {
    if (!this.#started || changes.has(dependencyKey('IngressClass'))) this.#reset(index);
    const dirtyFamilies = new Set<string>();
    const changedIngresses = new Set<string>();
    for (const change of changes) {
      const key = ingressOfKey(change);
      if (key !== undefined) changedIngresses.add(key);
    }
    for (const reader of this.#dependents.readersOf(changes)) {
      if (reader.startsWith(INGRESS)) changedIngresses.add(reader.slice(INGRESS.length));
      else dirtyFamilies.add(reader.slice(FAMILY.length));
    }
    let defaultsChanged = false;
    for (const key of changedIngresses) {
      const had = this.#defaultIngresses.has(key);
      this.#reprocess(index, key, dirtyFamilies);
      defaultsChanged ||= had || this.#defaultIngresses.has(key);
    }
    this.#memo.refresh(index, changes);
    const globalProblems = this.#updateDefault(index, defaultsChanged || changes.size > 0, dirtyFamilies);
    let hostsChanged = false;
    for (const family of dirtyFamilies) hostsChanged = this.#retranslate(index, family) || hostsChanged;
    return this.#assemble(index, hostsChanged, globalProblems);
  }

  #reset(index: SnapshotIndex): void {
    this.#started = true;
    this.#ingresses = new Map();
    this.#families = new Map();
    this.#dependents = new Dependents();
    this.#memo = new BackendMemo();
    this.#hosts.clear();
    this.#vhosts = new Map();
    this.#backendIds.clear();
    this.#defaultIngresses = new Set();
    this.#defaultUse = undefined;
    this.#defaultId = undefined;
    this.#virtualHostList = [];
    this.#backendList = [];
    this.#certificates = {};
    this.#lastTable = undefined;
    const dirty = new Set<string>();
    for (const ingress of index.snapshot.ingresses) this.#reprocess(index, keyOf(ingress), dirty);
    this.#updateDefault(index, true, dirty);
    for (const family of dirty) this.#retranslate(index, family);
  }

  /** Processes the Ingress's current version (or forgets it) and marks its families dirty. */
  #reprocess(index: SnapshotIndex, key: string, dirty: Set<string>): void {
    const previous = this.#ingresses.get(key);
    const slash = key.indexOf('/');
    const ingress = index.ingress(key.slice(0, slash), key.slice(slash + 1));
    for (const family of previous?.families ?? []) {
      this.#families.get(family)?.members.delete(key);
      dirty.add(family);
    }
    this.#defaultIngresses.delete(key);
    if (ingress === undefined) {
      this.#ingresses.delete(key);
      this.#dependents.forget(INGRESS + key);
      return;
    }
    const deps = new Set<string>();
    const processed = isOurIngress(ingress, index, this.#options) ? processIngress(ingress, trackingIndex(index, deps)) : undefined;
    this.#dependents.track(INGRESS + key, deps);
    const families = processed === undefined ? new Set<string>() : familiesOf(processed);
    this.#ingresses.set(key, { processed, families });
    if (processed?.defaultBackend !== undefined) this.#defaultIngresses.add(key);
    for (const family of families) {
      let entry = this.#families.get(family);
      if (entry === undefined) this.#families.set(family, (entry = { members: new Set(), output: undefined, uses: [] }));
      entry.members.add(key);
      dirty.add(family);
    }
  }

  /** The spec.defaultBackend winner (mergeRoutes' rule over every Ingress that sets one). */
  #updateDefault(index: SnapshotIndex, recompute: boolean, dirty: Set<string>): Problem[] {
    const defaults = [...this.#defaultIngresses].map((key) => this.#ingresses.get(key)!.processed!);
    const merged = mergeRoutes(defaults.map((p) => ({ ...p, routes: [] })));
    if (!recompute) return [...merged.problems];
    const previousUse = this.#defaultUse;
    const winner = merged.defaultBackend;
    if (winner === undefined) {
      this.#defaultUse = undefined;
      this.#defaultId = undefined;
    } else {
      const id = backendIdOf(winner.ref);
      this.#defaultUse = this.#memo.use(index, id, winner.ref, winner.ingress, {}).key;
      this.#defaultId = id;
    }
    if (previousUse !== undefined) this.#memo.release([previousUse]);
    const previousId = previousUse?.slice(0, previousUse.indexOf('\n'));
    if (previousId !== this.#defaultId) {
      for (const [family, entry] of this.#families) if (entry.output?.usedTableDefault === true) dirty.add(family);
    }
    return [...merged.problems];
  }

  /** Re-translates one family; true if its virtual hosts changed. */
  #retranslate(index: SnapshotIndex, family: string): boolean {
    const entry = this.#families.get(family);
    if (entry === undefined) return false;
    const previous = entry.output;
    const previousUses = entry.uses;
    let output: FamilyOutput | undefined;
    const uses: string[] = [];
    if (entry.members.size === 0) {
      this.#families.delete(family);
      this.#dependents.forget(FAMILY + family);
    } else {
      const deps = new Set<string>();
      const members = [...entry.members].map((key) => this.#ingresses.get(key)!.processed!);
      const resolve: BackendResolver = (_index, id, ref, ingress, overrides) => {
        const used = this.#memo.use(index, id, ref, ingress, overrides);
        uses.push(used.key);
        return { backend: used.backend, problems: [] };
      };
      output = translateFamily(trackingIndex(index, deps), family, members, resolve, this.#defaultId);
      this.#dependents.track(FAMILY + family, deps);
      entry.output = output;
      entry.uses = uses;
    }
    this.#memo.release(previousUses);
    return this.#replaceHosts(previous?.virtualHosts ?? [], output?.virtualHosts ?? []);
  }

  /** Puts a family's new virtual hosts in place of its old ones; equal ones keep their object. */
  #replaceHosts(before: readonly VirtualHost[], after: readonly VirtualHost[]): boolean {
    let changed = false;
    const kept = new Set(after.map((v) => v.host));
    for (const v of before) {
      if (kept.has(v.host)) continue;
      this.#vhosts.delete(v.host);
      this.#hosts.delete(v.host);
      changed = true;
    }
    for (const v of after) {
      const old = this.#vhosts.get(v.host);
      if (old !== undefined && isDeepStrictEqual(old, v)) continue;
      this.#vhosts.set(v.host, v);
      if (old === undefined) this.#hosts.add(v.host);
      changed = true;
    }
    return changed;
  }

  #assemble(index: SnapshotIndex, hostsChanged: boolean, globalProblems: Problem[]): TranslateResult {
    if (hostsChanged || this.#lastTable === undefined) {
      this.#virtualHostList = this.#hosts.keys.map((host) => this.#vhosts.get(host)!);
      this.#certificates = this.#collectCertificates();
    }
    const changedBackends = this.#memo.takeChanged();
    if (changedBackends.size > 0 || this.#lastTable === undefined) {
      for (const id of changedBackends) {
        if (this.#memo.backend(id) === undefined) this.#backendIds.delete(id);
        else this.#backendIds.add(id);
      }
      this.#backendList = this.#backendIds.keys.map((id) => this.#memo.backend(id)!);
    }
    const hasCertificates = Object.keys(this.#certificates).length > 0;
    const assembled: RouteTable = {
      virtualHosts: this.#virtualHostList,
      ...(this.#defaultId === undefined ? {} : { defaultBackend: this.#defaultId }),
      backends: this.#backendList,
      ...(hasCertificates ? { certificates: this.#certificates } : {}),
    };
    const fallback = applyDefaultBackendService(index, assembled, this.#options);
    const certificate = applyDefaultSslCertificate(index, fallback.table, this.#options);
    const table = this.#keepIdentity(certificate.table, assembled);
    const problems: Problem[] = [...globalProblems, ...fallback.problems, ...certificate.problems];
    for (const entry of this.#ingresses.values()) if (entry.processed !== undefined) problems.push(...entry.processed.problems);
    for (const entry of this.#families.values()) {
      problems.push(...entry.output!.problems);
      for (const use of entry.uses) problems.push(...this.#memo.problemsOf(use));
    }
    if (this.#defaultUse !== undefined) problems.push(...this.#memo.problemsOf(this.#defaultUse));
    this.#lastTable = table;
    return { table, problems: sortProblems(problems) };
  }

  /** The certificates every family uses, keys in order (as tls-hosts.ts writes them). */
  #collectCertificates(): Readonly<Record<string, Certificate>> {
    const all = new Map<string, Certificate>();
    for (const entry of this.#families.values()) for (const [key, cert] of Object.entries(entry.output!.certificates)) all.set(key, cert);
    const previous = this.#certificates;
    const keys = [...all.keys()].sort(compareText);
    if (keys.length === Object.keys(previous).length && keys.every((k) => previous[k] === all.get(k))) return previous;
    return Object.fromEntries(keys.map((k) => [k, all.get(k)!]));
  }

  /**
   * The controller-wide fallbacks build new objects on every call; where they equal the last
   * table's, the last table's are kept (and its backends stay in id order).
   */
  #keepIdentity(table: RouteTable, assembled: RouteTable): RouteTable {
    const last = this.#lastTable;
    let backends = table.backends;
    if (backends !== assembled.backends) {
      const lastById = new Map((last?.backends ?? []).map((b) => [b.id, b]));
      backends = [...backends]
        .map((b) => {
          const old = lastById.get(b.id);
          return old !== undefined && isDeepStrictEqual(old, b) ? old : b;
        })
        .sort((a, b) => compareText(a.id, b.id));
    }
    let certificates = table.certificates;
    if (certificates !== assembled.certificates && last?.certificates !== undefined && certificates !== undefined && sameEntries(last.certificates, certificates)) certificates = last.certificates;
    const same = backends === table.backends && certificates === table.certificates;
    const result = same ? table : { ...table, backends, ...(certificates === undefined ? {} : { certificates }) };
    return last !== undefined && shallowSame(last, result) ? last : result;
  }
}

function keyOf(ingress: Ingress): string {
  return `${ingress.metadata.namespace ?? ''}/${ingress.metadata.name}`;
}

/** Same keys in the same order with the same value objects. */
function sameEntries<V>(a: Readonly<Record<string, V>>, b: Readonly<Record<string, V>>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** Same top-level field objects (so deep equality is cheap and certain). */
function shallowSame(a: RouteTable, b: RouteTable): boolean {
  return a.virtualHosts === b.virtualHosts && a.backends === b.backends && a.certificates === b.certificates
    && a.defaultBackend === b.defaultBackend && a.defaultCertificate === b.defaultCertificate;
}
