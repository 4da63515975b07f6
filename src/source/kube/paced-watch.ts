import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Backoff } from './backoff.ts';

export interface PacedWatchOptions {
  readonly backoff: Backoff;
  /** A watch started sooner than this after the previous one waits a backoff delay first. */
  readonly minIntervalMs?: number;
  /** Server-side watch timeout; the server ends the stream and the informer resumes. */
  readonly timeoutSeconds?: number;
  /** Called before every watch request: ListWatch only watches after its list was delivered. */
  readonly onWatch?: () => void;
}

type WatchCallback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;

/**
 * The client library's Watch, with what its ListWatch lacks:
 *
 * - Pacing: ListWatch re-watches at once whenever a watch ends cleanly, so a server (or proxy)
 *   that closes watches immediately would make it spin. A watch that starts within
 *   `minIntervalMs` of the previous one waits a backoff delay; any event received proves the
 *   watch healthy and resets the backoff.
 * - `timeoutSeconds` and `allowWatchBookmarks`, as client-go sends them: the server ends each
 *   watch after a jittered 5–10 minutes (so a silently dead connection cannot stall the
 *   informer forever — the library's own 30 s timeout signal is never used), and bookmarks keep
 *   the resourceVersion fresh so that resuming rarely hits 410 Gone.
 * - `stop()` also cancels a watch that is still waiting for its delay.
 */
export class PacedWatch extends Watch {
  readonly #options: PacedWatchOptions;
  #lastStart = 0;
  #stopped = false;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(kc: KubeConfig, options: PacedWatchOptions) {
    super(kc);
    this.#options = options;
  }

  override async watch(path: string, queryParams: Record<string, string | number | boolean | undefined>, callback: WatchCallback, done: (err: unknown) => void): Promise<AbortController> {
    this.#options.onWatch?.();
    if (Date.now() - this.#lastStart < (this.#options.minIntervalMs ?? 1000)) await this.#sleep(this.#options.backoff.next());
    if (this.#stopped) return new AbortController();
    this.#lastStart = Date.now();
    const timeoutSeconds = this.#options.timeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const params = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds };
    const onEvent: WatchCallback = (phase, obj, raw) => {
      if (phase !== 'ERROR') this.#options.backoff.reset();
      callback(phase, obj, raw);
    };
    return super.watch(path, params, onEvent, done);
  }

  /** Allows watching again after stop(). */
  resume(): void {
    this.#stopped = false;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }
}
