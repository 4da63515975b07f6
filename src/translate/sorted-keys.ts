/**
 * A set of strings kept in one order (binary search, splice), for the incremental translator's
 * host and backend lists: one change costs a search and a move, not a sort of everything.
 */
export class SortedKeys {
  readonly #compare: (a: string, b: string) => number;
  readonly #keys: string[] = [];

  constructor(compare: (a: string, b: string) => number) {
    this.#compare = compare;
  }

  get keys(): readonly string[] {
    return this.#keys;
  }

  /** Adds `key` in order; false if it was there. */
  add(key: string): boolean {
    const at = this.#search(key);
    if (at < this.#keys.length && this.#keys[at] === key) return false;
    this.#keys.splice(at, 0, key);
    return true;
  }

  /** Removes `key`; false if it was not there. */
  delete(key: string): boolean {
    const at = this.#search(key);
    if (at >= this.#keys.length || this.#keys[at] !== key) return false;
    this.#keys.splice(at, 1);
    return true;
  }

  /** The position of `key`, or -1. */
  indexOf(key: string): number {
    const at = this.#search(key);
    return at < this.#keys.length && this.#keys[at] === key ? at : -1;
  }

  clear(): void {
    this.#keys.length = 0;
  }

  /** The first position whose key is not before `key`. */
  #search(key: string): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#compare(this.#keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Code-unit order, never locale (sort.ts). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Host order of the table: by host, the any-host entry `''` last (sort.ts compareHosts). */
export function compareHostNames(a: string, b: string): number {
  if (a === '' || b === '') return Number(a === '') - Number(b === '');
  return compareText(a, b);
}
