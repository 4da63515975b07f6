/**
 * The worker ↔ primary messages of the shared cache, over the cluster IPC channel (next to
 * worker-messages.ts's, with their own `cache-` types so neither side confuses them).
 *
 *   worker  → cache-lock(key, id, wait)  may I fetch `key`? (request collapsing)
 *   primary → cache-lock-reply(id, granted)
 *             granted: fetch it, then unlock; not granted: whoever held it is done (or the
 *             wait timed out): look again, then fetch without the lock; with wait false,
 *             answered at once: not granted means another request holds it now
 *   worker  → cache-unlock(key)
 *   worker  → cache-stored(key, file, size)   a file was renamed into place
 *   worker  → cache-touched(files)       entries served since the last batch (LRU order)
 *   worker  → cache-invalidate(key)      an unsafe method succeeded (RFC 9111 §4.4)
 */
export type ToCachePrimary =
  | { readonly type: 'cache-lock'; readonly key: string; readonly id: number; readonly wait?: false }
  | { readonly type: 'cache-unlock'; readonly key: string }
  | { readonly type: 'cache-stored'; readonly key: string; readonly file: string; readonly size: number }
  | { readonly type: 'cache-touched'; readonly files: readonly string[] }
  | { readonly type: 'cache-invalidate'; readonly key: string };

export type ToCacheWorker = { readonly type: 'cache-lock-reply'; readonly id: number; readonly granted: boolean };

export function isToCachePrimary(msg: unknown): msg is ToCachePrimary {
  const type = (msg as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('cache-') && type !== 'cache-lock-reply';
}

export function isToCacheWorker(msg: unknown): msg is ToCacheWorker {
  return (msg as { type?: unknown } | null)?.type === 'cache-lock-reply';
}

/** The shared side as one worker sees it (IPC in a worker; direct calls in one process). */
export interface CacheCoordinator {
  send(msg: ToCachePrimary): void;
  /** Resolves once the lock is granted (true) or its holder finished or timed out (false);
   * with `wait` false at once, false when another request holds it. */
  lock(key: string, wait?: boolean): Promise<boolean>;
}
