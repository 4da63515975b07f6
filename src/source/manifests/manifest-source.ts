import { watch, type FSWatcher } from 'node:fs';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ManifestError } from '../../errors.ts';
import { slimObject } from '../slim-object.ts';
import type { Source, SourceEvent, SourceListener } from '../source.ts';
import type { LabelSelector } from '../label-selector.ts';
import { NamespaceGate } from '../namespace-gate.ts';
import { DeclarationIndex } from './declaration-index.ts';
import { isManifestFileName } from './manifest-file-name.ts';
import { fileProblem, parseManifest } from './parse-manifest.ts';

/** Options of {@link ManifestSource}. */
export interface ManifestSourceOptions {
  /** Only namespaced objects in this namespace are kept (IngressClass is cluster-scoped). */
  readonly watchNamespace?: string;
  /** `--watch-namespace-selector`: the manifests' Namespace objects decide (namespace-gate.ts). */
  readonly namespaceSelector?: LabelSelector;
  readonly logger?: Logger;
  /** Quiet time after the last change to a file before it is re-read (default 50 ms). */
  readonly debounceMs?: number;
  /** Read only this file of the directory (`--manifests file.yaml`), whatever its extension. */
  readonly file?: string;
}

/** Error codes that mean "this name is not a readable file now": treated as deleted. */
const GONE = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/**
 * A {@link Source} over a directory of manifests (`pier serve --manifests DIR`), or over one
 * file of a directory (`--manifests FILE`, the `file` option: the directory is still what is
 * watched, so a file replaced by a rename is followed).
 *
 * Reads every manifest file directly in DIR (see isManifestFileName); subdirectories are not
 * read. The directory, not each file, is watched with `fs.watch`, because an atomic rename
 * replaces a file's inode and a per-file watch would go deaf. Events are debounced per file.
 * A `rename` event (create, delete, rename-over) triggers a rescan that re-reads every file,
 * which also catches Kubernetes ConfigMap volumes, where an update swaps the hidden `..data`
 * link and no event names the visible files. A rescan skips files whose inode, size and
 * modification time are unchanged (a stat each, so one edit among many large files costs one
 * read), and any read whose content hashes as before is not parsed again.
 *
 * Concurrency: all reads go through one queue drained sequentially, so a file's reads are
 * applied in the order they happened and never interleave.
 */
export class ManifestSource implements Source {
  readonly #dir: string;
  readonly #watchNamespace: string | undefined;
  readonly #logger: Logger | undefined;
  readonly #debounceMs: number;
  readonly #file: string | undefined;
  readonly #index = new DeclarationIndex();
  readonly #gate: NamespaceGate | undefined;
  /** file → what its last read saw (stat and content hash), to skip unchanged files. */
  readonly #contents = new Map<string, { readonly stat: string; readonly hash: string }>();
  /** Names queued by a rescan (stat may skip them) rather than by an event naming the file. */
  readonly #fromRescan = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #pending = new Set<string>();
  #watcher: FSWatcher | undefined;
  #listener: SourceListener | undefined;
  #draining: Promise<void> | undefined;
  #stopped = false;

  constructor(dir: string, options: ManifestSourceOptions = {}) {
    this.#dir = dir;
    this.#watchNamespace = options.watchNamespace;
    this.#logger = options.logger;
    this.#debounceMs = options.debounceMs ?? 50;
    this.#file = options.file;
    this.#gate = options.namespaceSelector && new NamespaceGate(options.namespaceSelector, (event) => this.#listener?.(event));
  }

  /** Watches DIR, reads it fully, emits `synced`; rejects with ManifestError if DIR is unusable. */
  async start(listener: SourceListener): Promise<void> {
    this.#listener = listener;
    // Watch before listing, so that no change between the listing and the watch is lost.
    try {
      this.#watcher = watch(this.#dir, { persistent: true }, (type, name) => this.#onWatch(type, name));
    } catch (err) {
      throw new ManifestError(`cannot watch manifest directory ${this.#dir}: ${(err as Error).message}`, { cause: err });
    }
    this.#watcher.on('error', (err) => this.#logger?.error({ err, dir: this.#dir }, 'manifest directory watch failed'));
    try {
      await this.#rescan();
    } catch (err) {
      await this.stop();
      throw new ManifestError(`cannot read manifest directory ${this.#dir}: ${(err as Error).message}`, { cause: err });
    }
    this.#emit({ type: 'synced' });
  }

  /** Closes the watcher and drops pending reads; no event is emitted afterwards. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#pending.clear();
    await this.#draining?.catch(() => undefined);
  }

  #onWatch(type: string, name: string | null): void {
    if (this.#stopped) return;
    if (type === 'rename' || !name) this.#debounce('', () => void this.#rescan().catch((err) => this.#failed(err)));
    else if (this.#accepts(name)) this.#debounce(name, () => this.#enqueue([name]));
  }

  /** Whether a directory entry is read: the one file asked for, else every manifest file. */
  #accepts(name: string): boolean {
    return this.#file === undefined ? isManifestFileName(name) : name === this.#file;
  }

  /** Coalesces bursts: the action runs once `debounceMs` after the last event for `key`. */
  #debounce(key: string, action: () => void): void {
    clearTimeout(this.#timers.get(key));
    this.#timers.set(key, setTimeout(() => {
      this.#timers.delete(key);
      if (!this.#stopped) action();
    }, this.#debounceMs));
  }

  /** Re-reads every manifest file listed now plus every file read before (it may be gone). */
  async #rescan(): Promise<void> {
    const listed = (await readdir(this.#dir)).filter((name) => this.#accepts(name));
    const names = new Set([...listed, ...this.#contents.keys()]);
    for (const name of names) if (!this.#pending.has(name)) this.#fromRescan.add(name);
    await this.#enqueue([...names].sort());
  }

  /** Queues reads; the promise settles once the queue is empty (these names included). */
  #enqueue(names: readonly string[]): Promise<void> {
    for (const name of names) this.#pending.add(name);
    // drain() on an empty queue would finish before the assignment below and leave it stale.
    if (this.#stopped || this.#pending.size === 0) return this.#draining ?? Promise.resolve();
    this.#draining ??= this.#drain();
    return this.#draining;
  }

  async #drain(): Promise<void> {
    try {
      for (let name = first(this.#pending); name !== undefined && !this.#stopped; name = first(this.#pending)) {
        this.#pending.delete(name);
        const rescan = this.#fromRescan.delete(name);
        try {
          await this.#refresh(name, rescan);
        } catch (err) {
          this.#failed(err);
        }
      }
      // Once every queued file is read: a Namespace declared in a later file is not missing.
      for (const problem of this.#gate?.reportMissing() ?? []) this.#emit({ type: 'problem', problem });
    } finally {
      // Same tick as the emptiness check above: a name enqueued later starts a new drain.
      this.#draining = undefined;
    }
  }

  /** Reads one file and emits what changed; a vanished file removes its objects. A rescan
   * (`trustStat`) skips a file whose stat is unchanged. */
  async #refresh(file: string, trustStat: boolean): Promise<void> {
    let text: string;
    let statKey: string;
    try {
      const info = await stat(join(this.#dir, file), { bigint: true });
      statKey = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
      if (trustStat && this.#contents.get(file)?.stat === statKey) return;
      text = await readFile(join(this.#dir, file), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (GONE.has(code)) return this.#forget(file);
      // Unreadable for now (EACCES, EMFILE): like a syntax error, keep the last good objects.
      this.#emit({ type: 'problem', problem: fileProblem(file, 'ManifestReadError', `${file}: cannot read: ${(err as Error).message}; its last good objects are kept.`) });
      return;
    }
    if (this.#stopped) return;
    const hash = createHash('sha256').update(text).digest('base64');
    const same = this.#contents.get(file)?.hash === hash;
    this.#contents.set(file, { stat: statKey, hash });
    if (same) return;
    const parsed = parseManifest(text, file, { watchNamespace: this.#watchNamespace });
    for (const problem of parsed.problems) this.#emit({ type: 'problem', problem });
    // Slim before the index keeps them: the index and the store then share one object each.
    if (parsed.objects) this.#emitAll(this.#index.declare(file, parsed.objects.map(slimObject)));
    this.#logger?.debug({ file, objects: parsed.objects?.length }, 'manifest file read');
  }

  #forget(file: string): void {
    if (!this.#contents.delete(file)) return;
    this.#emitAll(this.#index.declare(file, []));
    this.#logger?.debug({ file }, 'manifest file removed');
  }

  #emitAll(events: readonly SourceEvent[]): void {
    for (const event of events) this.#emit(event);
  }

  #emit(event: SourceEvent): void {
    if (this.#stopped) return;
    if (this.#gate) this.#gate.listener(event);
    else this.#listener?.(event);
  }

  #failed(err: unknown): void {
    this.#logger?.error({ err, dir: this.#dir }, 'manifest directory read failed');
  }
}

function first<T>(set: ReadonlySet<T>): T | undefined {
  for (const value of set) return value;
  return undefined;
}
