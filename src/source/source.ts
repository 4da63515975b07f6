import type { KubeObject, ObjectRef } from './objects.ts';
import type { Problem } from '../translate/problem.ts';

/**
 * What a source (cluster informers or a manifest directory) tells the store. Both sources emit
 * exactly these events, so everything downstream is source-agnostic.
 *
 * - `upsert`: an object was added or changed (full object, not a patch).
 * - `remove`: an object is gone.
 * - `synced`: the initial list of every watched kind is complete; nothing is built before it.
 * - `problem`: input the source could not turn into objects (a YAML error, an unknown kind);
 *   reported, never fatal.
 */
export type SourceEvent =
  | { readonly type: 'upsert'; readonly object: KubeObject }
  | { readonly type: 'remove'; readonly ref: ObjectRef }
  | { readonly type: 'synced' }
  | { readonly type: 'problem'; readonly problem: Problem };

export type SourceListener = (event: SourceEvent) => void;

export interface Source {
  /** Starts listing and watching; resolves once watching has begun (not necessarily synced). */
  start(listener: SourceListener): Promise<void>;
  stop(): Promise<void>;
}
