import type { SourceListener } from '../source/source.ts';
import type { Problem } from '../translate/problem.ts';
import type { RebuildScheduler } from './rebuild-scheduler.ts';
import type { Store } from './store.ts';

/** What {@link createStoreFeeder} connects a source to. */
export interface StoreFeederTargets {
  readonly store: Store;
  readonly scheduler: Pick<RebuildScheduler, 'changed' | 'markSynced'>;
  /** Source problems (YAML errors, unknown kinds): logged or turned into Events by the caller. */
  readonly onProblem: (problem: Problem) => void;
}

/**
 * The listener to pass to `Source.start()`: writes objects into the store and tells the
 * scheduler only about relevant changes; `synced` releases the first build.
 */
export function createStoreFeeder({ store, scheduler, onProblem }: StoreFeederTargets): SourceListener {
  return (event) => {
    switch (event.type) {
      case 'upsert':
        if (store.upsert(event.object)) scheduler.changed();
        break;
      case 'remove':
        if (store.remove(event.ref)) scheduler.changed();
        break;
      case 'synced':
        scheduler.markSynced();
        break;
      case 'problem':
        onProblem(event.problem);
        break;
    }
  };
}
