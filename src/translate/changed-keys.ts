import { SortedKeys } from './sorted-keys.ts';

/**
 * A sorted list of keyed objects (the table's hosts or backends) rebuilt from what changed: a
 * replaced object is written at its position in a copy of the last list; only a key added or
 * removed rebuilds the whole list (a map lookup per key, still no sort).
 */
export class ChangedKeys<V> {
  readonly #keys: SortedKeys;
  #list: readonly V[] = [];
  #replaced = new Map<string, V>();
  #reshaped = true;

  constructor(compare: (a: string, b: string) => number) {
    this.#keys = new SortedKeys(compare);
  }

  indexOf(key: string): number {
    return this.#keys.indexOf(key);
  }

  /** `key` now holds `value`; `added` when the key is new. */
  set(key: string, value: V, added: boolean): void {
    if (added) {
      this.#keys.add(key);
      this.#reshaped = true;
    } else this.#replaced.set(key, value);
  }

  remove(key: string): void {
    if (this.#keys.delete(key)) this.#reshaped = true;
  }

  /** The list in key order; `valueOf` is asked only when keys were added or removed. */
  list(valueOf: (key: string) => V): readonly V[] {
    if (this.#reshaped) {
      this.#list = this.#keys.keys.map(valueOf);
      this.#reshaped = false;
    } else if (this.#replaced.size > 0) {
      const next = [...this.#list];
      for (const [key, value] of this.#replaced) next[this.#keys.indexOf(key)] = value;
      this.#list = next;
    }
    this.#replaced.clear();
    return this.#list;
  }
}
