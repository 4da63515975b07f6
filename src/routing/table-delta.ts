import type { Backend, Certificate, RouteTable, VirtualHost } from './route-table.ts';
import { compareHostNames, compareText } from './table-order.ts';

/** What changed in one keyed list of a table (virtual hosts by host, backends by id). */
export interface KeyedChanges<T> {
  /** Every entry of each key whose entries changed or are new, in the next table's order (a
   * table holding several entries for one key has all of them here: they replace the old ones). */
  readonly upsert: readonly T[];
  /** Keys the next table has no entry for. */
  readonly remove: readonly string[];
  /** Set when the next table's list is not in the documented order: `upsert` is then that whole
   * list, in its order (only a sorted list can be patched back to the same order). */
  readonly whole?: true;
}

/**
 * The difference between two consecutive tables: what the primary sends a worker that holds the
 * previous one (supervisor/worker-messages.ts). Plain data, JSON and structured-clone friendly.
 * An optional field is absent when that part did not change.
 */
export interface TableDelta {
  readonly virtualHosts: KeyedChanges<VirtualHost>;
  readonly backends: KeyedChanges<Backend>;
  /** The table's default backend changed: its id now (absent: none). */
  readonly defaultBackend?: { readonly id?: string };
  /** Certificates added, replaced or removed, by key; `null`: the next table has none at all. */
  readonly certificates?: { readonly upsert: Readonly<Record<string, Certificate>>; readonly remove: readonly string[] } | null;
  /** The default certificate changed: its key now (absent: none). */
  readonly defaultCertificate?: { readonly key?: string };
  /** `--proxy-set-headers`'s list changed: the list now (absent: none). Every route is compiled
   * again with it (compile-delta.ts leaves that to a whole compile). */
  readonly proxySetHeaders?: { readonly list?: readonly string[] };
  /** `--add-headers`'s list changed, likewise. */
  readonly addHeaders?: { readonly list?: readonly string[] };
}

/** The fields diffTables carries: adding a field to RouteTable fails to compile here until the
 * delta carries it too (otherwise a change of it would never reach the workers). */
type Carried = 'virtualHosts' | 'backends' | 'defaultBackend' | 'certificates' | 'defaultCertificate' | 'proxySetHeaders' | 'addHeaders';
const everyFieldCarried: [keyof RouteTable] extends [Carried] ? true : never = true;
void everyFieldCarried;

const hostOf = (v: VirtualHost): string => v.host;
const idOf = (b: Backend): string => b.id;

/**
 * What turns `prev` into `next`. Object identity is the test: an entry that is the same object in
 * both tables is unchanged (the controller reuses the objects of everything an edit did not
 * touch), any other is sent whole, even when equal in content. Linear in the tables' sizes (a
 * merge of the two sorted lists; a table out of the documented order is compared through maps).
 */
export function diffTables(prev: RouteTable, next: RouteTable): TableDelta {
  const certificates = diffCertificates(prev.certificates, next.certificates);
  return {
    virtualHosts: diffKeyed(prev.virtualHosts, next.virtualHosts, hostOf, compareHostNames),
    backends: diffKeyed(prev.backends, next.backends, idOf, compareText),
    ...(prev.defaultBackend === next.defaultBackend ? {} : { defaultBackend: next.defaultBackend === undefined ? {} : { id: next.defaultBackend } }),
    ...(certificates === undefined ? {} : { certificates }),
    ...(prev.defaultCertificate === next.defaultCertificate ? {} : { defaultCertificate: next.defaultCertificate === undefined ? {} : { key: next.defaultCertificate } }),
    ...(sameStrings(prev.proxySetHeaders, next.proxySetHeaders) ? {} : { proxySetHeaders: next.proxySetHeaders === undefined ? {} : { list: next.proxySetHeaders } }),
    ...(sameStrings(prev.addHeaders, next.addHeaders) ? {} : { addHeaders: next.addHeaders === undefined ? {} : { list: next.addHeaders } }),
  };
}

/** Two header lists (a handful of strings) with equal entries; both absent counts as equal. */
function sameStrings(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return a.every((x, i) => x === b[i]);
}

/**
 * The table `delta` leads to from `prev` (the table diffTables was given as `prev`, or one equal to
 * it): equal to diffTables' `next`, entries in the same order. Unchanged
 * entries are `prev`'s own objects, and a list nothing changed in is `prev`'s own array.
 */
export function applyDelta(prev: RouteTable, delta: TableDelta): RouteTable {
  const defaultBackend = delta.defaultBackend === undefined ? prev.defaultBackend : delta.defaultBackend.id;
  const certificates = delta.certificates === undefined ? prev.certificates : delta.certificates === null ? undefined : applyCertificates(prev.certificates, delta.certificates);
  const defaultCertificate = delta.defaultCertificate === undefined ? prev.defaultCertificate : delta.defaultCertificate.key;
  const proxySetHeaders = delta.proxySetHeaders === undefined ? prev.proxySetHeaders : delta.proxySetHeaders.list;
  const addHeaders = delta.addHeaders === undefined ? prev.addHeaders : delta.addHeaders.list;
  return {
    virtualHosts: applyKeyed(prev.virtualHosts, delta.virtualHosts, hostOf, compareHostNames),
    ...(defaultBackend === undefined ? {} : { defaultBackend }),
    backends: applyKeyed(prev.backends, delta.backends, idOf, compareText),
    ...(certificates === undefined ? {} : { certificates }),
    ...(defaultCertificate === undefined ? {} : { defaultCertificate }),
    ...(proxySetHeaders === undefined ? {} : { proxySetHeaders }),
    ...(addHeaders === undefined ? {} : { addHeaders }),
  };
}

/** How many hosts, backends and certificates the delta carries or removes (its weight). */
export function deltaEntries(delta: TableDelta): number {
  const certificates = delta.certificates ? Object.keys(delta.certificates.upsert).length + delta.certificates.remove.length : 0;
  return delta.virtualHosts.upsert.length + delta.virtualHosts.remove.length + delta.backends.upsert.length + delta.backends.remove.length + certificates;
}

/** A delta of up to this many entries is worth sending, whatever the table's size. */
const SMALL_DELTA = 64;

/** Whether to send `delta` rather than `table` itself: not when it carries more than half of a
 * large table (it would cost more to ship, and the worker compiles such a change whole anyway). */
export function worthSending(delta: TableDelta, table: RouteTable): boolean {
  const entries = deltaEntries(delta);
  return entries <= SMALL_DELTA || entries <= (table.virtualHosts.length + table.backends.length) / 2;
}

/** True when applying `delta` changes nothing. */
export function isEmptyDelta(delta: TableDelta): boolean {
  return deltaEntries(delta) === 0 && delta.certificates !== null && delta.defaultBackend === undefined && delta.defaultCertificate === undefined
    && delta.proxySetHeaders === undefined && delta.addHeaders === undefined;
}

/**
 * Lists diffKeyed found in key order (as `next`, or as a `prev` it checked). The primary diffs
 * each table against the one before, so a list met again as `prev` was checked then: the
 * entries it shares with `next` need no comparison (backend ids are strings built by
 * concatenation, whose comparison costs ten times a flat string's), only the changed ones do.
 */
const sortedLists = new WeakSet<readonly unknown[]>();

function diffKeyed<T>(prev: readonly T[], next: readonly T[], keyOf: (t: T) => string, compare: (a: string, b: string) => number): KeyedChanges<T> {
  if (prev === next) return { upsert: [], remove: [] };
  const merged = mergeDiff(prev, next, keyOf, compare, prev.length <= 1 || sortedLists.has(prev));
  if (merged !== undefined) {
    sortedLists.add(prev);
    sortedLists.add(next);
    return merged;
  }
  const keys = new Set(next.map(keyOf));
  return { upsert: [...next], remove: [...new Set(prev.map(keyOf))].filter((key) => !keys.has(key)), whole: true };
}

/**
 * The two lists walked side by side, in key order (entries of one key form a run); undefined
 * as soon as either list turns out not to be in that order. With `prevSorted` (known from an
 * earlier diff), the entries both lists share are not compared: only next's other entries are.
 */
function mergeDiff<T>(prev: readonly T[], next: readonly T[], keyOf: (t: T) => string, compare: (a: string, b: string) => number, prevSorted: boolean): KeyedChanges<T> | undefined {
  const upsert: T[] = [];
  const remove: string[] = [];
  let i = 0;
  let j = 0;
  let lastA: string | undefined;
  let lastB: string | undefined;
  while (i < prev.length || j < next.length) {
    if (i < prev.length && prev[i] === next[j]) {
      // An entry both lists hold at this point: unchanged. Its order needs checking only when
      // prev's is not known: in a sorted prev, every step before left lastB at most its key (a
      // key equal to the last one continues a run of shared entries).
      const key = keyOf(prev[i]!);
      if (!prevSorted && ((lastA !== undefined && compare(lastA, key) > 0) || (lastB !== undefined && lastB !== lastA && compare(lastB, key) > 0))) return undefined;
      lastA = lastB = key;
      i++;
      j++;
      continue;
    }
    const a = i < prev.length ? keyOf(prev[i]!) : undefined;
    const b = j < next.length ? keyOf(next[j]!) : undefined;
    if ((a !== undefined && lastA !== undefined && compare(lastA, a) >= 0) || (b !== undefined && lastB !== undefined && compare(lastB, b) >= 0)) return undefined;
    const order = a === undefined ? 1 : b === undefined ? -1 : compare(a, b);
    if (order <= 0) {
      const start = i;
      i = runEnd(prev, i, a!, keyOf);
      lastA = a;
      if (order < 0) {
        remove.push(a!);
        continue;
      }
      const end = runEnd(next, j, b!, keyOf);
      if (!sameRun(prev, start, i, next, j, end)) for (let k = j; k < end; k++) upsert.push(next[k]!);
      lastB = b;
      j = end;
      continue;
    }
    const end = runEnd(next, j, b!, keyOf);
    for (let k = j; k < end; k++) upsert.push(next[k]!);
    lastB = b;
    j = end;
  }
  return { upsert, remove };
}

function applyKeyed<T>(prev: readonly T[], changes: KeyedChanges<T>, keyOf: (t: T) => string, compare: (a: string, b: string) => number): readonly T[] {
  if (changes.whole === true) return changes.upsert;
  if (changes.upsert.length === 0 && changes.remove.length === 0) return prev;
  const upserts = groups(changes.upsert, keyOf);
  const keys = [...new Set([...upserts.keys(), ...changes.remove])].sort(compare);
  return keys.length <= SPLICE_MAX ? spliceKeyed(prev, upserts, keys, keyOf, compare) : mergeKeyed(prev, upserts, keys, keyOf, compare);
}

/** Up to this many changed keys are spliced into a copy of the list (a memory copy and a
 * binary search each); more are merged in one walk. */
const SPLICE_MAX = 32;

/** Each key's run replaced in a copy of `prev` (sorted, as diffTables saw it), from the last key
 * to the first so that earlier positions stay valid. */
function spliceKeyed<T>(prev: readonly T[], upserts: ReadonlyMap<string, T[]>, keys: readonly string[], keyOf: (t: T) => string, compare: (a: string, b: string) => number): T[] {
  const out = prev.slice();
  for (let k = keys.length - 1; k >= 0; k--) {
    const key = keys[k]!;
    const start = lowerBound(out, key, keyOf, compare);
    let end = start;
    while (end < out.length && keyOf(out[end]!) === key) end++;
    out.splice(start, end - start, ...(upserts.get(key) ?? []));
  }
  return out;
}

/** The first position whose key is not before `key`. */
function lowerBound<T>(list: readonly T[], key: string, keyOf: (t: T) => string, compare: (a: string, b: string) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(keyOf(list[mid]!), key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `prev` walked once: each changed key's run replaced (or dropped) where its key sorts. */
function mergeKeyed<T>(prev: readonly T[], upserts: ReadonlyMap<string, T[]>, keys: readonly string[], keyOf: (t: T) => string, compare: (a: string, b: string) => number): T[] {
  const changed = new Set(keys);
  const out: T[] = [];
  let p = 0;
  const place = (key: string) => {
    for (const item of upserts.get(key) ?? []) out.push(item);
  };
  for (const item of prev) {
    const key = keyOf(item);
    for (; p < keys.length && compare(keys[p]!, key) < 0; p++) place(keys[p]!);
    if (!changed.has(key)) out.push(item);
    else if (p < keys.length && keys[p] === key) {
      // The first entry of a changed key's run: its replacement goes here, the rest of the run is dropped.
      place(key);
      p++;
    }
  }
  for (; p < keys.length; p++) place(keys[p]!);
  return out;
}

function diffCertificates(prev: RouteTable['certificates'], next: RouteTable['certificates']): TableDelta['certificates'] {
  if (prev === next) return undefined;
  if (next === undefined) return null;
  const upsert: [string, Certificate][] = [];
  for (const [key, certificate] of Object.entries(next)) if (prev === undefined || !Object.hasOwn(prev, key) || prev[key] !== certificate) upsert.push([key, certificate]);
  const remove = prev === undefined ? [] : Object.keys(prev).filter((key) => !Object.hasOwn(next, key));
  if (prev !== undefined && upsert.length === 0 && remove.length === 0) return undefined;
  return { upsert: Object.fromEntries(upsert), remove };
}

function applyCertificates(prev: RouteTable['certificates'], changes: NonNullable<TableDelta['certificates']>): Readonly<Record<string, Certificate>> {
  const removed = new Set(changes.remove);
  const kept = Object.entries(prev ?? {}).filter(([key]) => !removed.has(key) && !Object.hasOwn(changes.upsert, key));
  return Object.fromEntries([...kept, ...Object.entries(changes.upsert)]);
}

/** The end of the run of entries with key `key` starting at `start`. */
function runEnd<T>(list: readonly T[], start: number, key: string, keyOf: (t: T) => string): number {
  let end = start + 1;
  while (end < list.length && keyOf(list[end]!) === key) end++;
  return end;
}

function sameRun<T>(a: readonly T[], aStart: number, aEnd: number, b: readonly T[], bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let k = 0; k < aEnd - aStart; k++) if (a[aStart + k] !== b[bStart + k]) return false;
  return true;
}

function groups<T>(list: readonly T[], keyOf: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of list) {
    const key = keyOf(item);
    const run = map.get(key);
    if (run === undefined) map.set(key, [item]);
    else run.push(item);
  }
  return map;
}
