import { isDeepStrictEqual } from 'node:util';
import { displayName, refOf, type KubeObject } from '../objects.ts';
import type { SourceEvent } from '../source.ts';
import type { Problem } from '../../translate/problem.ts';

/**
 * Which file declares which object, and which declaration is in effect.
 *
 * Each file owns the objects it declared in its last good read. When the same object
 * (kind + namespace + name) is declared by several files, the lexically first file name wins
 * (a stable rule that does not depend on the order events arrive in); the others are reported
 * as `DuplicateObject`. Removing or changing the winner lets the next file take over. Within one
 * file the first declaration wins and later ones are reported the same way.
 *
 * `declare()` returns the events that bring a listener from the previous effective state to
 * the new one: `upsert` for new or changed objects, `remove` for objects no file declares now.
 */
export class DeclarationIndex {
  /** file → key → object, the file's last good declarations. */
  readonly #files = new Map<string, Map<string, KubeObject>>();
  /** key → files declaring it. */
  readonly #declaredBy = new Map<string, Set<string>>();
  /** key → the object last emitted as upsert. */
  readonly #effective = new Map<string, KubeObject>();

  /** Replaces what `file` declares (an empty list: the file is gone). */
  declare(file: string, objects: readonly KubeObject[]): SourceEvent[] {
    const events: SourceEvent[] = [];
    const next = new Map<string, KubeObject>();
    for (const obj of objects) {
      const key = keyOf(obj);
      if (next.has(key)) events.push(duplicate(obj, file, file));
      else next.set(key, obj);
    }
    const previous = this.#files.get(file);
    if (next.size > 0) this.#files.set(file, next);
    else this.#files.delete(file);
    for (const key of previous?.keys() ?? []) if (!next.has(key)) this.#undeclare(key, file);
    for (const key of next.keys()) this.#declaredBy.set(key, (this.#declaredBy.get(key) ?? new Set()).add(file));
    // Declaration order, then what was dropped: deterministic, and reads like the file.
    const affected = new Set([...next.keys(), ...(previous?.keys() ?? [])]);
    for (const key of affected) this.#settle(key, file, events);
    return events;
  }

  #undeclare(key: string, file: string): void {
    const owners = this.#declaredBy.get(key);
    owners?.delete(file);
    if (owners?.size === 0) this.#declaredBy.delete(key);
  }

  /** Emits what changed for `key`; reports a duplicate when `file` is one of several owners. */
  #settle(key: string, file: string, events: SourceEvent[]): void {
    const owners = [...(this.#declaredBy.get(key) ?? [])].sort();
    const winner = owners[0];
    const before = this.#effective.get(key);
    if (winner === undefined) {
      if (before) events.push({ type: 'remove', ref: refOf(before) });
      this.#effective.delete(key);
      return;
    }
    const obj = this.#files.get(winner)?.get(key);
    if (!obj) return;
    if (!before || !isDeepStrictEqual(before, obj)) {
      events.push({ type: 'upsert', object: obj });
      this.#effective.set(key, obj);
    }
    if (owners.length > 1 && owners.includes(file)) {
      for (const loser of owners.slice(1)) events.push(duplicate(obj, winner, loser));
    }
  }
}

function keyOf(obj: KubeObject): string {
  return `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

function duplicate(obj: KubeObject, winner: string, loser: string): SourceEvent {
  const what = `${obj.kind} ${displayName(refOf(obj))}`;
  const message = winner === loser
    ? `${what} is declared more than once in ${winner}; the first declaration is used, the others are ignored.`
    : `${what} is declared in both ${winner} and ${loser}; ${winner} (lexically first) is used, ${loser}'s copy is ignored.`;
  const problem: Problem = { ...refOf(obj), reason: 'DuplicateObject', message, severity: 'Warning' };
  return { type: 'problem', problem };
}
