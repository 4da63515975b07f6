import { isDeepStrictEqual } from 'node:util';
import type { Ingress } from '../source/objects.ts';
import type { Backend, BackendPolicy, Certificate, RouteTable, VirtualHost } from '../routing/route-table.ts';
import type { BackendResolver } from './build-table.ts';
import { BackendMemo } from './backend-memo.ts';
import { backendIdOf } from './backend-ref.ts';
import { applyDefaultBackendService, defaultBackendServiceId } from './default-backend-service.ts';
import { applyDefaultSslCertificate } from './default-ssl-certificate.ts';
import { applyGlobalHeaders } from './global-headers.ts';
import { dependencyKey, ingressOfKey } from './dependency-keys.ts';
import { familiesOf, translateFamily, type FamilyOutput } from './host-family.ts';
import { isOurIngress } from './ingress-class.ts';
import { processIngress, type ProcessedIngress } from './ingress-processor.ts';
import { mergeRoutes } from './merge-routes.ts';
import type { Problem } from './problem.ts';
import type { SnapshotIndex, TranslateOptions } from './snapshot.ts';
import { servicePolicyOf } from './service-policy.ts';
import { sortProblems } from './sort.ts';
import { compareHostNames, compareText } from './sorted-keys.ts';
import { Dependents, trackingIndex } from './tracking-index.ts';
import type { TranslateResult } from './translate.ts';
import { ChangedKeys } from './changed-keys.ts';
import { aliasClaimOf, resolveServerAliases, type AliasClaim } from './server-aliases.ts';

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
 * - The spec.defaultBackend winner, `server-alias` names (over the Ingresses that set one and the
 *   hosts they name) and the controller-wide fallbacks (the default backend and certificate, the
 *   --proxy-set-headers / --add-headers ConfigMaps, which no dependency key tracks: any change
 *   re-reads them) are recomputed on every update (small);
 *   problems are re-sorted only when some changed.
 * - An IngressClass change starts over (it may change which Ingresses are ours).
 *
 * Unchanged virtual hosts, backends and certificates keep their objects from one table to the
 * next, so the table's identity tells the dataplane what to recompile. Lists stay in the
 * documented order without sorting the whole table: an edit costs about what it touches.
 */
export class IncrementalTranslator {
  readonly #options: TranslateOptions;
  /** The flags' Service backend policy, built once: every Service backend shares it. */
  readonly #servicePolicy: BackendPolicy;
  #ingresses = new Map<string, IngressEntry>();
  #families = new Map<string, FamilyEntry>();
  #dependents = new Dependents();
  #memo: BackendMemo;
  /** The families' virtual hosts by host. */
  #vhosts = new Map<string, VirtualHost>();
  /** `server-alias` of each Ingress that sets one, and the alias virtual hosts they give. */
  #aliasClaims = new Map<string, AliasClaim>();
  #aliasVhosts = new Map<string, VirtualHost>();
  #hosts = new ChangedKeys<VirtualHost>(compareHostNames);
  #backends = new ChangedKeys<Backend>(compareText);
  #certificates = new Map<string, { certificate: Certificate; users: number }>();
  #certificatesChanged = true;
  #certificateRecord: Readonly<Record<string, Certificate>> = {};
  #defaultIngresses = new Set<string>();
  #defaultUse: string | undefined;
  #defaultId: string | undefined;
  /** What custom-http-errors without a default-backend annotation name: #defaultId, else
   * `--default-backend-service`'s id. */
  #errorDefault: string | undefined;
  /** Problems by source (`i\0ingress`, `f\0family`), only sources that have some. */
  #problemSources = new Map<string, readonly Problem[]>();
  #problemsChanged = true;
  #localProblems: Problem[] = [];
  #last: TranslateResult | undefined;

  constructor(options: TranslateOptions) {
    this.#options = options;
    this.#servicePolicy = servicePolicyOf(options.backendDefaults);
    this.#memo = new BackendMemo(this.#servicePolicy);
  }

  /**
   * The table for `index` (the store's current objects), given the dependency keys that changed
   * since the last call (Store.takeChanges). The first call translates everything.
   */
  update(index: SnapshotIndex, changes: ReadonlySet<string>): TranslateResult {
    if (this.#last === undefined || changes.has(dependencyKey('IngressClass'))) this.#reset(index);
    else if (changes.size === 0) return this.#last;
    else this.#apply(index, changes);
    return this.#assemble(index);
  }

  #apply(index: SnapshotIndex, changes: ReadonlySet<string>): void {
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
    for (const key of changedIngresses) this.#reprocess(index, key, dirtyFamilies);
    this.#memo.refresh(index, changes);
    this.#updateDefault(index, dirtyFamilies);
    for (const family of dirtyFamilies) this.#retranslate(index, family);
  }

  #reset(index: SnapshotIndex): void {
    this.#ingresses = new Map();
    this.#families = new Map();
    this.#dependents = new Dependents();
    this.#memo = new BackendMemo(this.#servicePolicy);
    this.#vhosts = new Map();
    this.#aliasClaims = new Map();
    this.#aliasVhosts = new Map();
    this.#hosts = new ChangedKeys(compareHostNames);
    this.#backends = new ChangedKeys(compareText);
    this.#certificates = new Map();
    this.#certificatesChanged = true;
    this.#defaultIngresses = new Set();
    this.#defaultUse = undefined;
    this.#defaultId = undefined;
    this.#errorDefault = undefined;
    this.#problemSources = new Map();
    this.#problemsChanged = true;
    this.#last = undefined;
    const dirty = new Set<string>();
    for (const ingress of index.snapshot.ingresses) this.#reprocess(index, keyOf(ingress), dirty);
    this.#updateDefault(index, dirty);
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
    this.#aliasClaims.delete(key);
    if (ingress === undefined) {
      this.#ingresses.delete(key);
      this.#dependents.forget(INGRESS + key);
      this.#setProblems(INGRESS + key, []);
      return;
    }
    const deps = new Set<string>();
    const processed = isOurIngress(ingress, index, this.#options) ? processIngress(ingress, trackingIndex(index, deps), this.#options) : undefined;
    this.#dependents.track(INGRESS + key, deps);
    this.#setProblems(INGRESS + key, processed?.problems ?? []);
    const families = processed === undefined ? new Set<string>() : familiesOf(processed);
    this.#ingresses.set(key, { processed, families });
    if (processed?.defaultBackend !== undefined) this.#defaultIngresses.add(key);
    const claim = processed === undefined ? undefined : aliasClaimOf(processed);
    if (claim !== undefined) this.#aliasClaims.set(key, claim);
    for (const family of families) {
      let entry = this.#families.get(family);
      if (entry === undefined) this.#families.set(family, (entry = { members: new Set(), output: undefined, uses: [] }));
      entry.members.add(key);
      dirty.add(family);
    }
  }

  /** The spec.defaultBackend winner (mergeRoutes' rule over every Ingress that sets one). */
  #updateDefault(index: SnapshotIndex, dirty: Set<string>): void {
    const defaults = [...this.#defaultIngresses].map((key) => this.#ingresses.get(key)!.processed!);
    const merged = mergeRoutes(defaults.map((p) => ({ ...p, routes: [] })));
    this.#setProblems('default', merged.problems);
    const previousUse = this.#defaultUse;
    const previousDefault = this.#errorDefault;
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
    this.#errorDefault = this.#defaultId ?? defaultBackendServiceId(index, this.#options);
    if (previousDefault === this.#errorDefault) return;
    for (const [family, entry] of this.#families) if (entry.output?.usedTableDefault === true) dirty.add(family);
  }

  /** Re-translates one family: its hosts, certificates and problems replace the old ones. */
  #retranslate(index: SnapshotIndex, family: string): void {
    const entry = this.#families.get(family);
    if (entry === undefined) return;
    const previous = entry.output;
    const previousUses = entry.uses;
    let output: FamilyOutput | undefined;
    if (entry.members.size === 0) {
      this.#families.delete(family);
      this.#dependents.forget(FAMILY + family);
    } else {
      const deps = new Set<string>();
      const uses: string[] = [];
      const members = [...entry.members].map((key) => this.#ingresses.get(key)!.processed!);
      const resolve: BackendResolver = (_index, id, ref, ingress, overrides) => {
        const used = this.#memo.use(index, id, ref, ingress, overrides);
        uses.push(used.key);
        return { backend: used.backend, problems: [] };
      };
      output = translateFamily(trackingIndex(index, deps), family, members, resolve, this.#errorDefault);
      this.#dependents.track(FAMILY + family, deps);
      entry.output = output;
      entry.uses = uses;
    }
    this.#memo.release(previousUses);
    this.#setProblems(FAMILY + family, output?.problems ?? []);
    this.#replaceHosts(previous?.virtualHosts ?? [], output?.virtualHosts ?? []);
    this.#replaceCertificates(previous?.certificates ?? {}, output?.certificates ?? {});
  }

  /** Puts a family's new virtual hosts in place of its old ones; equal ones keep their object. */
  #replaceHosts(before: readonly VirtualHost[], after: readonly VirtualHost[]): void {
    const kept = new Set(after.map((v) => v.host));
    for (const v of before) {
      if (kept.has(v.host)) continue;
      this.#vhosts.delete(v.host);
      this.#hosts.remove(v.host);
    }
    for (const v of after) {
      const old = this.#vhosts.get(v.host);
      if (old !== undefined && isDeepStrictEqual(old, v)) continue;
      this.#vhosts.set(v.host, v);
      this.#hosts.set(v.host, v, old === undefined);
    }
  }

  /** Counts each certificate's families (two families may name one Secret). */
  #replaceCertificates(before: Readonly<Record<string, Certificate>>, after: Readonly<Record<string, Certificate>>): void {
    for (const [key, certificate] of Object.entries(after)) {
      const entry = this.#certificates.get(key);
      if (entry === undefined) {
        this.#certificates.set(key, { certificate, users: 1 });
        this.#certificatesChanged = true;
        continue;
      }
      entry.users++;
      if (entry.certificate === certificate) continue;
      entry.certificate = certificate;
      this.#certificatesChanged = true;
    }
    for (const key of Object.keys(before)) {
      const entry = this.#certificates.get(key)!;
      if (--entry.users > 0) continue;
      this.#certificates.delete(key);
      this.#certificatesChanged = true;
    }
  }

  #setProblems(source: string, problems: readonly Problem[]): void {
    const had = this.#problemSources.get(source);
    if (problems.length === 0) {
      if (had !== undefined) this.#problemSources.delete(source);
      this.#problemsChanged ||= had !== undefined;
      return;
    }
    this.#problemSources.set(source, problems);
    this.#problemsChanged = true;
  }

  /**
   * Re-resolves `server-alias` over the families' hosts (translate()'s alias step). An alias
   * never shares a name with a family's host: when a family takes the name, its host replaces
   * the alias in the list (#replaceHosts saw the key there already) and the alias is dropped here.
   */
  #applyAliases(): void {
    if (this.#aliasClaims.size === 0 && this.#aliasVhosts.size === 0 && !this.#problemSources.has('alias')) return;
    const result = resolveServerAliases(this.#aliasClaims.values(), (host) => this.#vhosts.get(host), (key) => this.#certificates.get(key)?.certificate);
    const next = new Map<string, VirtualHost>();
    for (const v of result.virtualHosts) {
      const old = this.#aliasVhosts.get(v.host);
      next.set(v.host, old !== undefined && sameHost(old, v) ? old : v);
    }
    for (const alias of this.#aliasVhosts.keys()) {
      if (!next.has(alias) && !this.#vhosts.has(alias)) this.#hosts.remove(alias);
    }
    for (const [alias, v] of next) {
      const listed = this.#hosts.indexOf(alias) >= 0;
      if (!listed || this.#aliasVhosts.get(alias) !== v) this.#hosts.set(alias, v, !listed);
    }
    this.#aliasVhosts = next;
    const previous = this.#problemSources.get('alias') ?? [];
    if (!isDeepStrictEqual(previous, result.problems)) this.#setProblems('alias', result.problems);
  }

  #assemble(index: SnapshotIndex): TranslateResult {
    this.#applyAliases();
    for (const id of this.#memo.takeChanged()) {
      const backend = this.#memo.backend(id);
      if (backend === undefined) this.#backends.remove(id);
      else this.#backends.set(id, backend, this.#backends.indexOf(id) < 0);
    }
    if (this.#certificatesChanged) {
      this.#certificatesChanged = false;
      const keys = [...this.#certificates.keys()].sort(compareText);
      this.#certificateRecord = Object.fromEntries(keys.map((k) => [k, this.#certificates.get(k)!.certificate]));
    }
    const hasCertificates = this.#certificates.size > 0;
    const assembled: RouteTable = {
      virtualHosts: this.#hosts.list((host) => this.#vhosts.get(host) ?? this.#aliasVhosts.get(host)!),
      ...(this.#defaultId === undefined ? {} : { defaultBackend: this.#defaultId }),
      backends: this.#backends.list((id) => this.#memo.backend(id)!),
      ...(hasCertificates ? { certificates: this.#certificateRecord } : {}),
    };
    const fallback = applyDefaultBackendService(index, assembled, this.#options, this.#servicePolicy);
    const certificate = applyDefaultSslCertificate(index, fallback.table, this.#options);
    const headers = applyGlobalHeaders(index, certificate.table, this.#options);
    const table = this.#keepIdentity(headers.table, assembled);
    if (this.#problemsChanged || this.#memo.takeProblemsChanged()) {
      this.#problemsChanged = false;
      const all: Problem[] = [];
      for (const list of this.#problemSources.values()) all.push(...list);
      for (const list of this.#memo.problems()) all.push(...list);
      this.#localProblems = sortProblems(all);
    }
    const flags = [...fallback.problems, ...certificate.problems, ...headers.problems];
    const problems = flags.length === 0 ? this.#localProblems : sortProblems([...this.#localProblems, ...flags]);
    const last = this.#last;
    const same = last !== undefined && last.table === table && sameList(last.problems, problems);
    this.#last = same ? last : { table, problems };
    return this.#last;
  }

  /**
   * The controller-wide fallbacks build new objects on every call; where they equal the last
   * table's, the last table's are kept (and its backends stay in id order, its header lists
   * are the same arrays).
   */
  #keepIdentity(table: RouteTable, assembled: RouteTable): RouteTable {
    const last = this.#last?.table;
    let backends = table.backends;
    if (backends !== assembled.backends) {
      const lastById = new Map((last?.backends ?? []).map((b) => [b.id, b]));
      backends = [...backends]
        .map((b) => {
          const old = lastById.get(b.id);
          return old !== undefined && isDeepStrictEqual(old, b) ? old : b;
        })
        .sort((a, b) => compareText(a.id, b.id));
      if (last !== undefined && sameList(last.backends, backends)) backends = last.backends;
    }
    let certificates = table.certificates;
    if (certificates !== assembled.certificates && last?.certificates !== undefined && certificates !== undefined && sameEntries(last.certificates, certificates)) certificates = last.certificates;
    const proxySetHeaders = sameList(last?.proxySetHeaders ?? [], table.proxySetHeaders ?? []) ? last?.proxySetHeaders : table.proxySetHeaders;
    const addHeaders = sameList(last?.addHeaders ?? [], table.addHeaders ?? []) ? last?.addHeaders : table.addHeaders;
    const same = backends === table.backends && certificates === table.certificates && proxySetHeaders === table.proxySetHeaders && addHeaders === table.addHeaders;
    const result = same ? table : {
      ...table, backends, ...(certificates === undefined ? {} : { certificates }),
      ...(proxySetHeaders === undefined ? {} : { proxySetHeaders }), ...(addHeaders === undefined ? {} : { addHeaders }),
    };
    return last !== undefined && shallowSame(last, result) ? last : result;
  }
}

/** Equal virtual hosts, cheaply when they share their routes (an alias of an unchanged host). */
function sameHost(a: VirtualHost, b: VirtualHost): boolean {
  if (a.routes !== b.routes) return isDeepStrictEqual(a, b);
  const ka = Object.keys(a) as (keyof VirtualHost)[];
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function keyOf(ingress: Ingress): string {
  return `${ingress.metadata.namespace ?? ''}/${ingress.metadata.name}`;
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}

/** Same keys in the same order with the same value objects. */
function sameEntries<V>(a: Readonly<Record<string, V>>, b: Readonly<Record<string, V>>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** Same top-level field objects (so the tables are equal, and the last one is kept). */
function shallowSame(a: RouteTable, b: RouteTable): boolean {
  return a.virtualHosts === b.virtualHosts && a.backends === b.backends && a.certificates === b.certificates
    && a.defaultBackend === b.defaultBackend && a.defaultCertificate === b.defaultCertificate
    && a.proxySetHeaders === b.proxySetHeaders && a.addHeaders === b.addHeaders;
}
