import { ListWatch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeObject } from '../objects.ts';
import type { SourceEvent } from '../source.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { httpStatusOf } from './kube-request.ts';
import { listInPages } from './list-in-pages.ts';
import { slimObject } from '../slim-object.ts';
import { PacedWatch } from './paced-watch.ts';
import { apiVersionOf, collectionPath, isKeptSecretType, type WatchedResource } from './watched-resources.ts';

export interface KindInformerOptions {
  readonly kubeConfig: KubeConfig;
  readonly resource: WatchedResource;
  /** Limits a namespaced kind to one namespace. */
  readonly namespace?: string;
  readonly emit: (event: SourceEvent) => void;
  /** Called once, when the first list was delivered (or an optional kind proved absent). */
  readonly onListed: () => void;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
  /** How often an absent optional kind (CRD) is looked for again (default 60 s). */
  readonly absentRetryMs?: number;
  readonly watchTimeoutSeconds?: number;
  readonly minWatchIntervalMs?: number;
  /** Bound of each list page's request (default 30 s). */
  readonly listTimeoutMs?: number;
  /** How long a watch may wait for its response head (default 30 s). */
  readonly watchHeadTimeoutMs?: number;
}

/**
 * One kind's list + watch: the client library's ListWatch (initial list, watch from its
 * resourceVersion, relist on 410 Gone with removes for what vanished meanwhile, no duplicate
 * events for unchanged resourceVersions) wrapped with what it leaves to its caller:
 *
 * - Lists are read in pages of 500 (listInPages, as client-go's reflector), and watches are
 *   paced and bounded (PacedWatch). A list page or a watch head that does not come within its
 *   timeout is an error like any other: logged, then retried after the backoff.
 * - ListWatch stops for good on any error other than 410; here every error restarts it after
 *   an exponential backoff (it resumes from its last resourceVersion; a 410 then relists).
 * - A 404 for an optional kind means its CRD is not installed: reported once as a problem,
 *   counted as listed (so the first build is not blocked), and looked for again every
 *   `absentRetryMs`.
 * - Objects get their kind and apiVersion (list items carry neither) and are slimmed to what
 *   Pier reads (slim-object.ts) as each list page or watch event arrives, before ListWatch caches
 *   them: the object ListWatch keeps is the very one the store keeps, not a second copy. Secrets
 *   of types Pier does not keep (isKeptSecretType) are dropped there, even if a server ignored
 *   the selector.
 */
export class KindInformer {
  readonly #options: KindInformerOptions;
  readonly #backoff: Backoff;
  readonly #watch: PacedWatch;
  readonly #listWatch: ListWatch<KubernetesObject>;
  readonly #apiVersion: string;
  #listed = false;
  #absent = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  /** Aborted by stop(): a list in flight (a hung one, or one of many pages) ends at once. */
  #lists = new AbortController();

  constructor(options: KindInformerOptions) {
    this.#options = options;
    const { kubeConfig, resource, namespace } = options;
    this.#apiVersion = apiVersionOf(resource);
    this.#backoff = new Backoff(options.backoff);
    this.#watch = new PacedWatch(kubeConfig, {
      backoff: this.#backoff,
      timeoutSeconds: options.watchTimeoutSeconds,
      minIntervalMs: options.minWatchIntervalMs,
      headTimeoutMs: options.watchHeadTimeoutMs,
      onWatch: () => this.#onListedOrResumed(),
      admit: (obj) => this.#admit(obj as KubernetesObject),
    });
    const path = collectionPath(resource, namespace);
    const list = () => listInPages(kubeConfig, path, {
      fieldSelector: resource.fieldSelector, timeoutMs: options.listTimeoutMs, signal: this.#lists.signal, admit: (item) => this.#admit(item),
    });
    this.#listWatch = new ListWatch(path, this.#watch, list, false, undefined, resource.fieldSelector);
    this.#listWatch.on('add', (obj) => this.#upsert(obj));
    this.#listWatch.on('update', (obj) => this.#upsert(obj));
    this.#listWatch.on('delete', (obj) => this.#remove(obj));
    this.#listWatch.on('error', (err) => this.#onError(err));
  }

  /** Lists, then watches; resolves once the first attempt is done (failures retry on their own). */
  async start(): Promise<void> {
    this.#stopped = false;
    if (this.#lists.signal.aborted) this.#lists = new AbortController();
    this.#watch.resume();
    await this.#listWatch.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#lists.abort();
    this.#watch.stop();
    await this.#listWatch.stop();
  }

  /**
   * What ListWatch and then the store keep of an object: its slim form (slim-object.ts) with kind
   * and apiVersion, or nothing for a Secret of a type Pier does not keep. Applied to every list
   * page and watch event before ListWatch sees it, so its cache and the store share one object.
   */
  #admit(obj: KubernetesObject): KubernetesObject | undefined {
    const { kind } = this.#options.resource;
    if (kind === 'Secret' && !isKeptSecretType((obj as { type?: string }).type)) return undefined;
    return slimObject({ ...obj, kind, apiVersion: this.#apiVersion } as KubeObject) as KubernetesObject;
  }

  // Guarded by #stopped: a list in flight at stop() still delivers its items afterwards.
  #upsert(obj: KubernetesObject): void {
    if (this.#stopped) return;
    this.#options.emit({ type: 'upsert', object: obj as KubeObject });
  }

  #remove(obj: KubernetesObject): void {
    if (this.#stopped) return;
    const { kind } = this.#options.resource;
    this.#options.emit({ type: 'remove', ref: { kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' } });
  }

  #onListedOrResumed(): void {
    if (this.#stopped) return;
    if (this.#absent) {
      this.#absent = false;
      this.#options.logger.info({ kind: this.#options.resource.kind }, 'kind is served by the API server now; watching it');
    }
    this.#markListed();
  }

  #markListed(): void {
    if (this.#listed) return;
    this.#listed = true;
    this.#options.onListed();
  }

  #onError(err: unknown): void {
    if (this.#stopped) return;
    const { resource, logger } = this.#options;
    if (resource.optional && httpStatusOf(err) === 404) {
      const retryMs = this.#options.absentRetryMs ?? 60_000;
      if (!this.#absent) this.#reportAbsent(retryMs);
      this.#markListed();
      return this.#restartIn(retryMs);
    }
    const delay = this.#backoff.next();
    logger.warn({ kind: resource.kind, err: (err as Error)?.message ?? String(err), retryInMs: delay }, 'list/watch failed; retrying');
    this.#restartIn(delay);
  }

  #reportAbsent(retryMs: number): void {
    this.#absent = true;
    const { resource } = this.#options;
    const crd = `${resource.plural}.${resource.group}`;
    this.#options.emit({
      type: 'problem',
      problem: {
        kind: 'CustomResourceDefinition', namespace: '', name: crd, reason: 'CustomResourceNotInstalled', severity: 'Warning',
        message: `The ${resource.kind} CRD (${crd}, ${this.#apiVersion}) is not installed; ${resource.kind} objects are ignored until it is (checked every ${Math.round(retryMs / 1000)}s).`,
      },
    });
  }

  #restartIn(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (!this.#stopped) void this.#listWatch.start();
    }, ms);
  }
}
