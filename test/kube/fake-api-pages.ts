/**
 * Paged lists of the fake API server (test/kube/fake-api-server.ts), as the real one serves
 * them from etcd: the first request with `limit` takes a snapshot of the collection; it and
 * every page continued from it carry the snapshot's resourceVersion, whatever was written
 * since; `metadata.continue` is set while items remain; a token whose snapshot was compacted
 * (`expire()`) is 410 Gone (reason Expired).
 */

export interface Snapshot {
  readonly items: readonly unknown[];
  readonly resourceVersion: string;
}

export type PageResult =
  | { readonly ok: true; readonly items: readonly unknown[]; readonly resourceVersion: string; readonly continue?: string; readonly remainingItemCount?: number }
  | { readonly ok: false; readonly status: 400 | 410; readonly message: string };

export const EXPIRED_CONTINUE_MESSAGE = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';

export class ListPages {
  readonly #snapshots = new Map<number, Snapshot>();
  #nextId = 1;

  /** Open snapshots (paged lists not read to their end). */
  get open(): number {
    return this.#snapshots.size;
  }

  /**
   * The page `query` asks for: all of `take()` without `limit`, else `limit` items of a new
   * snapshot, or of the one its `continue` token points into.
   */
  page(query: URLSearchParams, take: () => Snapshot): PageResult {
    const limit = Number(query.get('limit') ?? 0);
    const token = query.get('continue');
    if (!token) {
      const snapshot = take();
      if (!(limit > 0)) return { ok: true, ...snapshot };
      return this.#slice(this.#nextId++, snapshot, 0, limit);
    }
    const parsed = parseToken(token);
    if (!parsed) return { ok: false, status: 400, message: `invalid continue token ${token}` };
    const snapshot = this.#snapshots.get(parsed.id);
    if (!snapshot) return { ok: false, status: 410, message: EXPIRED_CONTINUE_MESSAGE };
    return this.#slice(parsed.id, snapshot, parsed.offset, limit > 0 ? limit : snapshot.items.length);
  }

  /** Compacts every snapshot: continuing any paged list now answers 410 Gone. */
  expire(): void {
    this.#snapshots.clear();
  }

  #slice(id: number, snapshot: Snapshot, offset: number, limit: number): PageResult {
    const end = Math.min(snapshot.items.length, offset + limit);
    const items = snapshot.items.slice(offset, end);
    if (end >= snapshot.items.length) {
      this.#snapshots.delete(id);
      return { ok: true, items, resourceVersion: snapshot.resourceVersion };
    }
    this.#snapshots.set(id, snapshot);
    return { ok: true, items, resourceVersion: snapshot.resourceVersion, continue: makeToken(id, end), remainingItemCount: snapshot.items.length - end };
  }
}

function makeToken(id: number, offset: number): string {
  return Buffer.from(JSON.stringify({ id, offset })).toString('base64url');
}

function parseToken(token: string): { id: number; offset: number } | undefined {
  try {
    const { id, offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { id?: unknown; offset?: unknown };
    return typeof id === 'number' && typeof offset === 'number' ? { id, offset } : undefined;
  } catch {
    return undefined;
  }
}
