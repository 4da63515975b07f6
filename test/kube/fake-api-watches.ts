/** The open watch streams of the fake API server (test/kube/fake-api-server.ts). */
import type { ServerResponse } from 'node:http';
import { sendStatus } from './fake-api-http.ts';
import { apiVersionOf, matchesFieldSelector, type ResourceType } from './fake-api-resources.ts';

/** A stored object: plain JSON as the API server would return it. */
export type Obj = { kind?: string; apiVersion?: string; metadata: Record<string, unknown> & { name: string; namespace?: string }; [key: string]: unknown };

export interface WatchEvent {
  readonly type: string;
  readonly object: Obj;
}

interface OpenWatch {
  readonly res: ServerResponse;
  readonly type: ResourceType;
  readonly namespace?: string;
  readonly fieldSelector: string | null;
  readonly bookmarks: boolean;
}

/** Chunked `{"type","object"}` lines to every watch of a kind whose namespace and selector match. */
export class WatchStreams {
  readonly #open = new Set<OpenWatch>();

  get size(): number {
    return this.#open.size;
  }

  /**
   * Starts a stream: headers, the `replay` events it may see, then live events until the
   * client goes, `timeoutSeconds` passes, or (with `endAtOnce`) right after the replay.
   */
  open(res: ServerResponse, type: ResourceType, namespace: string | undefined, query: URLSearchParams, replay: readonly WatchEvent[], endAtOnce: boolean): void {
    const w: OpenWatch = { res, type, namespace, fieldSelector: query.get('fieldSelector'), bookmarks: query.get('allowWatchBookmarks') === 'true' };
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    for (const e of replay) if (sees(w, e.object)) res.write(JSON.stringify(e) + '\n');
    if (endAtOnce) return void res.end();
    this.#open.add(w);
    const timeout = Number(query.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      clearTimeout(timer);
      this.#open.delete(w);
    });
  }

  broadcast(type: ResourceType, event: WatchEvent): void {
    for (const w of this.#open) if (w.type === type && sees(w, event.object)) w.res.write(JSON.stringify(event) + '\n');
  }

  /** Sends a BOOKMARK at `rv` to the watches that asked for bookmarks. */
  bookmark(rv: number): void {
    for (const w of this.#open) {
      if (!w.bookmarks) continue;
      const object = { kind: w.type.kind, apiVersion: apiVersionOf(w.type), metadata: { resourceVersion: String(rv) } };
      w.res.write(JSON.stringify({ type: 'BOOKMARK', object }) + '\n');
    }
  }

  /** Cuts every stream: a connection reset, or a clean end of the response. */
  drop(how: 'reset' | 'end'): void {
    for (const w of this.#open) {
      if (how === 'reset') w.res.destroy();
      else w.res.end();
    }
    this.#open.clear();
  }
}

/**
 * A watch from a compacted resourceVersion: as the real server does it (200, then an ERROR
 * event carrying a 410 Expired Status, then the end), or as an HTTP 410 (`as: 'status'`).
 */
export function sendExpired(res: ServerResponse, message: string, as: 'event' | 'status'): void {
  if (as === 'status') return sendStatus(res, 410, 'Expired', message);
  res.writeHead(200, { 'content-type': 'application/json' });
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 };
  res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
}

function sees(w: OpenWatch, object: Obj): boolean {
  return (w.namespace === undefined || object.metadata.namespace === w.namespace) && matchesFieldSelector(object, w.fieldSelector);
}
