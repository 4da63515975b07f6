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
  /** id → the one host using it, or the set of several (most backends serve one host). */
  readonly #users = new Map<string, string | Set<string>>();
  /** Ids bound as missing (dangling references): dropped once nothing uses them. */
  readonly placeholders = new Set<string>();

  get size(): number {
    return this.#entries.size;
  }

  get(host: string): Entry | undefined {
    return this.#entries.get(host);
  }

  set(host: string, vhost: VirtualHost | undefined, ids: readonly string[]): void {
    this.forget(host);
    this.#entries.set(host, { vhost, ids });
    for (const id of ids) {
      const users = this.#users.get(id);
      if (users === undefined) this.#users.set(id, host);
      else if (typeof users === 'string') this.#users.set(id, new Set([users, host]));
      else users.add(host);
    }
  }

  forget(host: string): void {
    const entry = this.#entries.get(host);
    if (entry === undefined) return;
    this.#entries.delete(host);
    for (const id of entry.ids) {
      const users = this.#users.get(id);
      if (users === host || (typeof users !== 'string' && users !== undefined && users.delete(host) && users.size === 0)) this.#users.delete(id);
    }
  }

  /** The hosts (and DEFAULT_ENTRY) whose rules hold backend `id`. */
  usersOf(id: string): Iterable<string> {
    const users = this.#users.get(id);
    return users === undefined ? [] : typeof users === 'string' ? [users] : users;
  }

  used(id: string): boolean {
    return this.#users.has(id);
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
