/** Marks a key an overlay removes from its base. */
const GONE: unique symbol = Symbol('gone');

/**
 * An immutable map made of a large base shared with the maps it was derived from and a small
 * overlay of what changed since: `with(changes)` costs the size of the overlay, not of the
 * map, so a table delta that changes one of 100,000 backends does not copy the other 99,999.
 * Once the overlay outgrows a share of the base it is folded into a new base (a whole copy,
 * rare enough that the cost per change stays constant).
 *
 * Lookups read the overlay, then the base: meant for maps read at swap time, not per request.
 */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  readonly #base: ReadonlyMap<K, V>;
  readonly #overlay: ReadonlyMap<K, V | typeof GONE>;
  readonly size: number;

  constructor(base: ReadonlyMap<K, V> = new Map(), overlay: ReadonlyMap<K, V | typeof GONE> = new Map(), size = base.size) {
    this.#base = base;
    this.#overlay = overlay;
    this.size = size;
  }

  /** This map with `set` entries set and `remove` keys deleted (a key in both ends up set). */
  with(set: ReadonlyMap<K, V>, remove: Iterable<K> = []): LayeredMap<K, V> {
    const overlay = new Map(this.#overlay);
    const base = this.#base;
    const present = (key: K) => (overlay.has(key) ? overlay.get(key) !== GONE : base.has(key));
    let size = this.size;
    for (const key of remove) {
      if (set.has(key) || !present(key)) continue;
      overlay.set(key, GONE);
      size--;
    }
    for (const [key, value] of set) {
      if (!present(key)) size++;
      overlay.set(key, value);
    }
    if (overlay.size <= Math.max(1024, this.#base.size / 32)) return new LayeredMap(this.#base, overlay, size);
    return new LayeredMap(new Map(new LayeredMap(this.#base, overlay, size)));
  }

  get(key: K): V | undefined {
    if (this.#overlay.size > 0) {
      const value = this.#overlay.get(key);
      if (value !== undefined) return value === GONE ? undefined : value;
    }
    return this.#base.get(key);
  }

  has(key: K): boolean {
    const value = this.#overlay.get(key);
    return value === undefined ? this.#base.has(key) : value !== GONE;
  }

  *entries(): MapIterator<[K, V]> {
    const overlay = this.#overlay;
    for (const entry of this.#base) if (!overlay.has(entry[0])) yield entry;
    for (const [key, value] of overlay) if (value !== GONE) yield [key, value];
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}

/** Edits to a LayeredMap, recorded while a table is patched, applied at once by `apply`. */
export class MapEdits<K, V> {
  readonly #base: LayeredMap<K, V>;
  readonly #set = new Map<K, V>();
  readonly #removed = new Set<K>();

  constructor(base: LayeredMap<K, V>) {
    this.#base = base;
  }

  has(key: K): boolean {
    return this.#set.has(key) || (!this.#removed.has(key) && this.#base.has(key));
  }

  set(key: K, value: V): void {
    this.#removed.delete(key);
    this.#set.set(key, value);
  }

  delete(key: K): void {
    this.#set.delete(key);
    this.#removed.add(key);
  }

  /** The base with the edits: a new map (the base is unchanged). */
  apply(): LayeredMap<K, V> {
    return this.#base.with(this.#set, this.#removed);
  }
}
