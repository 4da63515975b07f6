import type { Logger } from './observe/logger.ts';
import { logProblem } from './observe/logger.ts';
import type { RouteTable } from './routing/route-table.ts';
import type { Source } from './source/source.ts';
import { RebuildScheduler } from './store/rebuild-scheduler.ts';
import { createStoreFeeder } from './store/store-feeder.ts';
import { Store } from './store/store.ts';
import type { Problem } from './translate/problem.ts';
import type { Snapshot, TranslateOptions } from './translate/snapshot.ts';
import { IncrementalTranslator } from './translate/incremental-translate.ts';
import type { TranslateResult } from './translate/translate.ts';

export interface ControllerOptions {
  readonly source: Source;
  readonly translateOptions: TranslateOptions;
  /** Hands a new table to the dataplane; returns its generation. */
  readonly publish: (table: RouteTable) => number;
  readonly logger: Logger;
  /** After each build (status writer, events): what it was built from and the result. */
  readonly onBuilt?: (built: BuiltFrom, result: TranslateResult, generation: number) => void;
  /** Translation threw (a bug in Pier): the previous table keeps serving. */
  readonly onFailed?: (err: unknown) => void;
  readonly holdoffMs?: number;
  readonly maxDelayMs?: number;
}

/** What a build was made from, for the hooks that follow it. */
export interface BuiltFrom {
  /** The store's objects (made on first call: a copy of every list, so hooks ask only when
   * `changes` concern them). */
  snapshot(): Snapshot;
  /** Dependency keys (translate/dependency-keys.ts) that changed since the previous build. */
  readonly changes: ReadonlySet<string>;
}

/**
 * The control loop: source events → store → (batched) translate → publish. Runs in the primary
 * process only. Translation problems are logged when they first appear, not on every rebuild.
 */
export class Controller {
  readonly #options: ControllerOptions;
  readonly #store = new Store();
  readonly #scheduler: RebuildScheduler;
  #translator: IncrementalTranslator;
  #reported = new Set<string>();
  #syncedGeneration: number | undefined;
  #lastBuildMs = 0;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#translator = new IncrementalTranslator(options.translateOptions);
    this.#scheduler = new RebuildScheduler({
      holdoffMs: options.holdoffMs ?? 100,
      maxDelayMs: options.maxDelayMs ?? 500,
      build: () => this.#build(),
    });
  }

  /** Generation of the first table built after the initial sync; undefined before. */
  get syncedGeneration(): number | undefined {
    return this.#syncedGeneration;
  }

  get lastBuildMs(): number {
    return this.#lastBuildMs;
  }

  async start(): Promise<void> {
    const logger = this.#options.logger;
    const feed = createStoreFeeder({ store: this.#store, scheduler: this.#scheduler, onProblem: (p) => logProblem(logger, p) });
    await this.#options.source.start((event) => {
      if (event.type === 'synced') logger.info('initial sync complete');
      feed(event);
    });
  }

  async stop(): Promise<void> {
    this.#scheduler.stop();
    await this.#options.source.stop();
  }

  #build(): void {
    const started = performance.now();
    let result: TranslateResult;
    const changes = this.#store.takeChanges();
    try {
      // Re-translates only what the changes since the last build affect (incremental-translate.ts).
      result = this.#translator.update(this.#store.index(), changes);
    } catch (err) {
      // translate() reports bad objects as problems; a throw is a bug in Pier. Keep serving the
      // last table rather than crash the primary, and say so loudly. The next build starts over.
      this.#translator = new IncrementalTranslator(this.#options.translateOptions);
      this.#options.logger.error({ err }, 'translation failed; still serving the previous routing table');
      this.#options.onFailed?.(err);
      return;
    }
    let snapshot: Snapshot | undefined;
    const built: BuiltFrom = { snapshot: () => (snapshot ??= this.#store.snapshot()), changes };
    this.#lastBuildMs = performance.now() - started;
    this.#logNewProblems(result.problems);
    const generation = this.#options.publish(result.table);
    this.#syncedGeneration ??= generation;
    this.#options.logger.debug(
      { generation, virtualHosts: result.table.virtualHosts.length, backends: result.table.backends.length, problems: result.problems.length, translateMs: Math.round(this.#lastBuildMs * 10) / 10 },
      'routing table published',
    );
    this.#options.onBuilt?.(built, result, generation);
  }

  #logNewProblems(problems: readonly Problem[]): void {
    const current = new Set<string>();
    for (const p of problems) {
      const key = `${p.kind}\0${p.namespace}\0${p.name}\0${p.reason}\0${p.message}`;
      current.add(key);
      if (!this.#reported.has(key)) logProblem(this.#options.logger, p);
    }
    this.#reported = current;
  }
}
