import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from '../../errors.ts';
import type { Backoff } from './backoff.ts';

export interface PacedWatchOptions {
  readonly backoff: Backoff;
  /** A watch started sooner than this after the previous one waits a backoff delay first. */
  readonly minIntervalMs?: number;
  /** Server-side watch timeout; the server ends the stream and the informer resumes. */
  readonly timeoutSeconds?: number;
  /**
   * How long a watch may wait for its response head (default 30 s); also how long past its
   * `timeoutSeconds` a stream may stay open before it is cut on this side.
   */
  readonly headTimeoutMs?: number;
  /** Called before every watch request: ListWatch only watches after its list was delivered. */
  readonly onWatch?: () => void;
  /**
   * Applied to the object of each ADDED, MODIFIED and DELETED event before the watcher sees it
   * (undefined drops the event); BOOKMARK and ERROR objects pass unchanged.
   */
  readonly admit?: (obj: unknown) => unknown;
}

type WatchCallback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;
/** Events that carry an object of the watched kind. */
const OBJECT_PHASES: ReadonlySet<string> = new Set(['ADDED', 'MODIFIED', 'DELETED']);
type QueryParams = Record<string, string | number | boolean | undefined>;

/** One watch request until its response head arrived: what a head timeout or stop() cuts. */
interface PendingHead {
  agent?: Destroyable;
  timer?: NodeJS.Timeout;
  cancelled: boolean;
  readonly cancel: (err: Error | undefined) => void;
}

type Destroyable = { destroy(): void };

/**
 * The client library's Watch, with what its ListWatch lacks:
 *
 * - Pacing: ListWatch re-watches at once whenever a watch ends cleanly, so a server (or proxy)
 *   that closes watches immediately would make it spin. A watch that starts within
 *   `minIntervalMs` of the previous one waits a backoff delay; any event received proves the
 *   watch healthy and resets the backoff.
 * - `timeoutSeconds` and `allowWatchBookmarks`, as client-go sends them: the server ends each
 *   watch after a jittered 5–10 minutes, and bookmarks keep the resourceVersion fresh so that
 *   resuming rarely hits 410 Gone.
 * - Bounds on both phases of a request, which the library leaves open (the AbortSignal.timeout
 *   it creates is overwritten before use). Head: a server that accepts the connection and never
 *   answers would block the informer forever, and ListWatch could not even abort it (it only
 *   gets the AbortController once the head arrived); after `headTimeoutMs` the request's agent
 *   is destroyed, closing its socket. Stream: a watch still open `headTimeoutMs` after its own
 *   `timeoutSeconds` (the server did not end it, or the connection died silently) is aborted,
 *   as client-go's typed clients set the request timeout to timeoutSeconds. Either way `done`
 *   gets a KubeApiError, so the informer logs it and resumes after its backoff.
 * - `stop()` also cancels a watch that is still waiting for its delay or its response head.
 * - `admit`: objects are slimmed (or dropped) before ListWatch keeps them.
 */
export class PacedWatch extends Watch {
  readonly #options: PacedWatchOptions;
  #lastStart = 0;
  #stopped = false;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #pending: PendingHead | undefined;
  #streamDeadline: NodeJS.Timeout | undefined;

  constructor(kc: KubeConfig, options: PacedWatchOptions) {
    super(kc);
    this.#options = options;
    this.config = reportingAgents(kc, () => {
      const pending = this.#pending;
      return (agent) => {
        if (!pending) return;
        pending.agent = agent;
        if (pending.cancelled) agent.destroy();
      };
    });
  }

  override async watch(path: string, queryParams: QueryParams, callback: WatchCallback, done: (err: unknown) => void): Promise<AbortController> {
    this.#options.onWatch?.();
    if (Date.now() - this.#lastStart < (this.#options.minIntervalMs ?? 1000)) await this.#sleep(this.#options.backoff.next());
    if (this.#stopped) return new AbortController();
    this.#lastStart = Date.now();
    const timeoutSeconds = this.#options.timeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const params = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds };
    const { admit } = this.#options;
    const onEvent: WatchCallback = (phase, obj, raw) => {
      if (phase !== 'ERROR') this.#options.backoff.reset();
      if (admit === undefined || !OBJECT_PHASES.has(phase)) return callback(phase, obj, raw);
      const kept = admit(obj);
      // The raw event would hold the unslimmed object; nothing downstream reads it.
      if (kept !== undefined) callback(phase, kept, undefined);
    };
    return this.#bounded(path, params, timeoutSeconds, onEvent, done);
  }

  /**
   * super.watch within the head and stream bounds. `done` is called at most once, by whichever
   * of the library and the bounds comes first; the promise resolves as soon as the head
   * arrived, the request failed, or the head timed out.
   */
  #bounded(path: string, params: QueryParams, timeoutSeconds: number, onEvent: WatchCallback, done: (err: unknown) => void): Promise<AbortController> {
    const graceMs = this.#options.headTimeoutMs ?? 30_000;
    let finished = false;
    let deadline: NodeJS.Timeout | undefined;
    // `quiet`: after stop(), nobody waits for done (ListWatch is stopped) and a late error
    // must not reach an informer that was started again meanwhile.
    const finish = (err: unknown, quiet = false) => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      if (!quiet) done(err);
    };
    return new Promise((resolve) => {
      const pending = this.#pendingHead(resolve, finish);
      pending.timer = setTimeout(() => pending.cancel(new KubeApiError(`watch ${path}: no response head within ${graceMs} ms`)), graceMs);
      super.watch(path, params, onEvent, finish).then((controller) => {
        clearTimeout(pending.timer);
        if (this.#pending === pending) this.#pending = undefined;
        if (!finished) {
          deadline = setTimeout(() => {
            finish(new KubeApiError(`watch ${path}: still open ${graceMs} ms after its timeoutSeconds (${timeoutSeconds}); reconnecting`));
            controller.abort();
          }, timeoutSeconds * 1000 + graceMs);
          this.#streamDeadline = deadline;
        }
        resolve(controller);
      }, (err: unknown) => pending.cancel(err instanceof Error ? err : new KubeApiError(String(err))));
    });
  }

  /** The head phase of the watch about to start; cancelling destroys its agent and settles it. */
  #pendingHead(resolve: (c: AbortController) => void, finish: (err: unknown, quiet: boolean) => void): PendingHead {
    const cancelled = new AbortController();
    const pending: PendingHead = {
      cancelled: false,
      cancel: (err) => {
        pending.cancelled = true;
        clearTimeout(pending.timer);
        if (this.#pending === pending) this.#pending = undefined;
        pending.agent?.destroy();
        cancelled.abort();
        resolve(cancelled);
        finish(err, err === undefined);
      },
    };
    this.#pending = pending;
    return pending;
  }

  /** Allows watching again after stop(). */
  resume(): void {
    this.#stopped = false;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#streamDeadline);
    this.#wake?.();
    this.#pending?.cancel(undefined);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }
}

/**
 * `kc` as the library's Watch sees it, except that the agent created for each watch request
 * (applyToFetchOptions makes a fresh one per call) is handed to the sink that `sinkFor` gave
 * when the call began, so that a request hanging before its head can be cut by destroying
 * that agent's socket (and a watch cancelled while authenticating gets its agent destroyed).
 */
function reportingAgents(kc: KubeConfig, sinkFor: () => (agent: Destroyable) => void): KubeConfig {
  const view = Object.create(kc) as KubeConfig;
  view.applyToFetchOptions = async (opts) => {
    const sink = sinkFor();
    const init = await kc.applyToFetchOptions(opts);
    const agent = init.agent as Partial<Destroyable> | undefined;
    if (typeof agent?.destroy === 'function') sink(agent as Destroyable);
    return init;
  };
  return view;
}
