import type { VirtualHost } from './route-table.ts';

/** The index key of the table's default backend (no host name contains a NUL). */
export const DEFAULT_ENTRY = '\0default';

interface Entry {
  /** Absent for DEFAULT_ENTRY. */
  readonly vhost: VirtualHost | undefined;
  /** The backend ids its compiled rules hold (routes' backends and those their policies named). */
  readonly ids: readonly string[];
}

/**
 * What an incremental compile needs to know of the compiled table before it: each host's
 * virtual host, and which hosts hold each backend id (through `resolve`, so a canary's or an
 * error-pages policy's backend counts too). A changed backend rebuilds exactly its users.
 *
 * Mutable, unlike the compiled table: it is handed from one compiled table to the next
 * (compile-table.ts), never shared by two.
 */
export class CompileIndex {
  readonly #entries = new Map<string, Entry>();
  /** id → the one host using it, or the set of several (most backends serve one host). Built
   * on first use, by the first delta: a whole compile (a starting worker) does not pay for it. */
  #users: Map<string, string | Set<string>> | undefined;
  /** Ids bound as missing (dangling references): dropped once nothing uses them. */
  readonly placeholders = new Set<string>();

  get size(): number {
    return this.#entries.size;
  }

  get(host: string): Entry | undefined {
    return this.#entries.get(host);
  }

  set(host: string, vhost: VirtualHost | undefined, ids: readonly string[]): void {
    if (this.#users !== undefined) this.forget(host);
    this.#entries.set(host, { vhost, ids });
    if (this.#users !== undefined) addUsers(this.#users, host, ids);
  }

  forget(host: string): void {
    const entry = this.#entries.get(host);
    if (entry === undefined) return;
    this.#entries.delete(host);
    const all = this.#users;
    if (all === undefined) return;
    for (const id of entry.ids) {
      const users = all.get(id);
      if (users === host || (typeof users !== 'string' && users !== undefined && users.delete(host) && users.size === 0)) all.delete(id);
    }
  }

  /** The hosts (and DEFAULT_ENTRY) whose rules hold backend `id`. */
  usersOf(id: string): Iterable<string> {
    const users = this.#allUsers().get(id);
    return users === undefined ? [] : typeof users === 'string' ? [users] : users;
  }

  used(id: string): boolean {
    return this.#allUsers().has(id);
  }

  #allUsers(): Map<string, string | Set<string>> {
    if (this.#users === undefined) {
      const users = new Map<string, string | Set<string>>();
      for (const [host, entry] of this.#entries) addUsers(users, host, entry.ids);
      this.#users = users;
    }
    return this.#users;
  }
}

function addUsers(users: Map<string, string | Set<string>>, host: string, ids: readonly string[]): void {
  for (const id of ids) {
    const current = users.get(id);
    if (current === undefined) users.set(id, host);
    else if (typeof current === 'string') users.set(id, new Set([current, host]));
    else current.add(host);
  }
}

/** The index of each compiled table that can still be patched; compileDelta moves it on. */
const indexes = new WeakMap<object, CompileIndex>();

/** Makes `compiled` the table its index belongs to. */
export function attachIndex(compiled: object, index: CompileIndex): void {
  indexes.set(compiled, index);
}

/** The index of `compiled`, if it can be patched (not yet patched, nor compiled from a table
 * whose hosts share slots). */
export function indexOf(compiled: object): CompileIndex | undefined {
  return indexes.get(compiled);
}

/** Takes the index away from `compiled`, which cannot be patched from then on. */
export function detachIndex(compiled: object): void {
  indexes.delete(compiled);
}
