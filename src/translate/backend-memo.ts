import { isDeepStrictEqual } from 'node:util';
import type { Ingress } from '../source/objects.ts';
import type { Backend, BackendPolicy } from '../routing/route-table.ts';
import type { BackendOverrides } from './annotations/ingress-settings.ts';
import type { BackendRef } from './backend-ref.ts';
import { resolveBackendOf } from './build-table.ts';
import type { Problem } from './problem.ts';
import type { SnapshotIndex } from './snapshot.ts';
import { Dependents, trackingIndex } from './tracking-index.ts';
import { flat } from '../routing/flat-string.ts';

/** One backend as one Ingress refers to it: the unit of backend re-resolution. */
interface Resolution {
  readonly id: string;
  readonly ref: BackendRef;
  ingress: Ingress;
  readonly overrides: BackendOverrides;
  problems: readonly Problem[];
  /** Families (and the table default) that use it; dropped at zero. */
  users: number;
}

/**
 * Resolved backends for the incremental translator, keyed by backend id and referring Ingress
 * (problems name the referrer; the Backend does not depend on it). Each resolution remembers
 * what it read (Service, EndpointSlices, Upstream, Secrets), so an EndpointSlice change
 * re-resolves only the backends of that Service — and no route. A Backend equal to the one
 * already in the table keeps that object, so the table's identity says what changed. Service
 * backends start from `servicePolicy`, as in translate() (service-policy.ts).
 */
export class BackendMemo {
  readonly #servicePolicy: BackendPolicy;
  readonly #resolutions = new Map<string, Resolution>();
  readonly #backends = new Map<string, { backend: Backend; resolutions: number }>();
  readonly #dependents = new Dependents();
  /** Backend ids added, removed or changed since the last takeChanged(). */
  #changed = new Set<string>();
  /** Resolutions in use that have problems (few in a healthy cluster). */
  readonly #withProblems = new Map<string, readonly Problem[]>();
  #problemsChanged = false;

  constructor(servicePolicy: BackendPolicy) {
    this.#servicePolicy = servicePolicy;
  }

  /** The key of `id` as `ingress` refers to it. */
  static keyOf(id: string, ingress: Ingress): string {
    return flat(`${id}\n${ingress.metadata.namespace ?? ''}/${ingress.metadata.name}`);
  }

  /** Uses (adds a user to) the resolution, resolving it if new. */
  use(index: SnapshotIndex, id: string, ref: BackendRef, ingress: Ingress, overrides: BackendOverrides): { key: string; backend: Backend } {
    const key = BackendMemo.keyOf(id, ingress);
    let r = this.#resolutions.get(key);
    if (r === undefined) {
      r = { id, ref, ingress, overrides, problems: [], users: 0 };
      this.#resolutions.set(key, r);
      const entry = this.#backends.get(id);
      if (entry !== undefined) entry.resolutions++;
      this.#resolve(index, key, r);
    } else r.ingress = ingress;
    r.users++;
    return { key, backend: this.#backends.get(id)!.backend };
  }

  /** Drops one user of each key; a resolution nobody uses is forgotten. */
  release(keys: Iterable<string>): void {
    for (const key of keys) {
      const r = this.#resolutions.get(key);
      if (r === undefined || --r.users > 0) continue;
      this.#resolutions.delete(key);
      this.#dependents.forget(key);
      if (this.#withProblems.delete(key)) this.#problemsChanged = true;
      const entry = this.#backends.get(r.id)!;
      if (--entry.resolutions === 0) {
        this.#backends.delete(r.id);
        this.#changed.add(r.id);
      }
    }
  }

  /** Re-resolves every resolution that read one of `changes`. */
  refresh(index: SnapshotIndex, changes: ReadonlySet<string>): void {
    for (const key of this.#dependents.readersOf(changes)) {
      const r = this.#resolutions.get(key);
      if (r !== undefined) this.#resolve(index, key, r);
    }
  }

  backend(id: string): Backend | undefined {
    return this.#backends.get(id)?.backend;
  }

  /** The problems of every resolution in use. */
  problems(): Iterable<readonly Problem[]> {
    return this.#withProblems.values();
  }

  /** Whether problems() changed since the last call. */
  takeProblemsChanged(): boolean {
    const changed = this.#problemsChanged;
    this.#problemsChanged = false;
    return changed;
  }

  /** Ids whose Backend was added, replaced or removed since the last call. */
  takeChanged(): ReadonlySet<string> {
    const changed = this.#changed;
    this.#changed = new Set();
    return changed;
  }

  #resolve(index: SnapshotIndex, key: string, r: Resolution): void {
    const deps = new Set<string>();
    const result = resolveBackendOf(trackingIndex(index, deps), r.id, r.ref, r.ingress, r.overrides, this.#servicePolicy);
    this.#dependents.track(key, deps);
    if (r.problems.length > 0 || result.problems.length > 0) this.#problemsChanged = true;
    r.problems = result.problems;
    if (result.problems.length > 0) this.#withProblems.set(key, result.problems);
    else this.#withProblems.delete(key);
    const entry = this.#backends.get(r.id);
    if (entry === undefined) {
      this.#backends.set(r.id, { backend: result.backend, resolutions: 1 });
      this.#changed.add(r.id);
    } else if (entry.backend !== result.backend && !isDeepStrictEqual(entry.backend, result.backend)) {
      entry.backend = result.backend;
      this.#changed.add(r.id);
    }
  }
}
