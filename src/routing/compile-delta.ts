import { DEFAULT_ENTRY, attachIndex, detachIndex, indexOf, type CompileIndex } from './compile-index.ts';
import type { CompiledTable, RouteBinder, RouteMeterBinder } from './compile-table.ts';
import { claim, CompiledRoutes, slotOf, unclaim, type HostSlots, type Slot } from './compiled-routes.ts';
import { HostBuilder } from './host-builder.ts';
import type { HostRules } from './host-rules.ts';
import { MapEdits } from './layered-map.ts';
import type { Backend, RouteTable, VirtualHost } from './route-table.ts';
import type { TableDelta } from './table-delta.ts';

/** A delta touching fewer hosts than this is patched in, however small the table. */
const MIN_WHOLE = 64;

/**
 * Compiles `next`, which is `applyDelta(previous.table, delta)`, from `previous`: only the
 * virtual hosts the delta names, and those whose rules hold a backend it changed or removed,
 * get new HostRules; the others keep `previous`'s objects (and so their compiled pipelines).
 * Changed backends are bound again (`bind` may hand over state from `previous.backends`); the
 * others keep their bound objects. The host lookup maps and the bound backends are LayeredMaps
 * over `previous`'s with the changed entries on top: `previous` stays valid and unchanged (requests that matched on it finish on it),
 * but cannot be patched again: the next delta applies to the result.
 *
 * Undefined when a whole compile must do it (then nothing was bound or changed): `previous`
 * was not compiled from a table that can be patched, or already was; the delta replaces a
 * whole list; a new host would share a lookup slot with another (`Foo.com` next to
 * `foo.com`); the delta changes the table's header lists, which every route's pipeline holds;
 * or the delta touches more than half of the hosts.
 */
export function compileDelta<B = Backend, P = unknown, M = undefined>(previous: CompiledTable<B, P, M>, next: RouteTable, delta: TableDelta, bind?: (backend: Backend) => B, bindRoute?: RouteBinder<B, P>, meterOf?: RouteMeterBinder<B, M>): CompiledTable<B, P, M> | undefined {
  const index = indexOf(previous);
  if (index === undefined || !(previous instanceof CompiledRoutes) || delta.virtualHosts.whole === true || delta.backends.whole === true) return undefined;
  // --proxy-set-headers / --add-headers are part of every route's pipeline.
  if (delta.proxySetHeaders !== undefined || delta.addHeaders !== undefined) return undefined;
  const upserts = new Map<string, VirtualHost>();
  for (const vhost of delta.virtualHosts.upsert) {
    if (upserts.has(vhost.host)) return undefined;
    upserts.set(vhost.host, vhost);
  }
  const removed = new Set(delta.virtualHosts.remove);
  if (!slotsStayDistinct(previous, index, upserts, removed)) return undefined;
  const dirty = new Set<string>([...removed, ...upserts.keys()]);
  for (const id of [...delta.backends.remove, ...delta.backends.upsert.map((b) => b.id)]) for (const host of index.usersOf(id)) dirty.add(host);
  if (delta.defaultBackend !== undefined) dirty.add(DEFAULT_ENTRY);
  if (dirty.size > Math.max(MIN_WHOLE, index.size / 2)) return undefined;

  detachIndex(previous);
  const binder = bind ?? ((b: Backend) => b as unknown as B);
  // The bound backends that change; the others stay in previous.backends, shared.
  const changed = new Map<string, B>();
  const removedIds = new Set(delta.backends.remove);
  for (const backend of delta.backends.upsert) {
    if (changed.has(backend.id)) continue; // a table holding one id twice: the first one counts
    index.placeholders.delete(backend.id);
    changed.set(backend.id, binder(backend));
  }
  const backends = {
    get: (id: string) => changed.get(id) ?? (removedIds.has(id) ? undefined : previous.backends.get(id)),
    set: (id: string, bound: B) => void changed.set(id, bound),
  };
  const slots: HostSlots<B, P, M, MapEdits<string, HostRules<B, P, M>>> = { exact: new MapEdits(previous.slots.exact), wildcard: new MapEdits(previous.slots.wildcard), anyHost: previous.slots.anyHost };
  const builder = new HostBuilder(backends, binder, bindRoute, meterOf);
  for (const vhost of vacate(slots, index, dirty, upserts, removed)) {
    const { rules, ids } = builder.host(vhost);
    claim(slots, slotOf(vhost.host), rules, true);
    index.set(vhost.host, vhost, ids);
  }
  let fallback = previous.fallback;
  if (dirty.has(DEFAULT_ENTRY)) {
    const built = builder.fallback(next.defaultBackend);
    fallback = built.match;
    index.set(DEFAULT_ENTRY, undefined, built.ids);
  }
  for (const id of dropUnusedPlaceholders(index, builder.placeholders)) {
    changed.delete(id);
    removedIds.add(id);
  }
  const hostMaps = { exact: slots.exact.apply(), wildcard: slots.wildcard.apply(), anyHost: slots.anyHost };
  const compiled = new CompiledRoutes(next, previous.backends.with(changed, removedIds), hostMaps, fallback);
  attachIndex(compiled, index);
  return compiled;
}

/**
 * Takes every dirty host out of its slot and the index, and returns the virtual hosts to build
 * again: all of them out first, so a host leaving a slot is gone before another takes it.
 */
function vacate<B, P, M>(slots: HostSlots<B, P, M>, index: CompileIndex, dirty: ReadonlySet<string>, upserts: ReadonlyMap<string, VirtualHost>, removed: ReadonlySet<string>): VirtualHost[] {
  const rebuild: VirtualHost[] = [];
  for (const host of dirty) {
    if (host === DEFAULT_ENTRY) continue;
    const old = index.get(host);
    if (old !== undefined) {
      unclaim(slots, slotOf(host));
      index.forget(host);
    }
    const vhost = upserts.get(host) ?? (removed.has(host) ? undefined : old?.vhost);
    if (vhost !== undefined) rebuild.push(vhost);
  }
  return rebuild;
}

/** Ids bound as missing that no host holds any more: they leave the bound backends. */
function dropUnusedPlaceholders(index: CompileIndex, added: readonly string[]): string[] {
  for (const id of added) index.placeholders.add(id);
  const unused = [...index.placeholders].filter((id) => !index.used(id));
  for (const id of unused) index.placeholders.delete(id);
  return unused;
}

/** True unless a host new to the index would take a slot that a host it keeps holds, or two
 * upserted hosts would share one. */
function slotsStayDistinct<B, P, M>(previous: CompiledRoutes<B, P, M>, index: CompileIndex, upserts: ReadonlyMap<string, VirtualHost>, removed: ReadonlySet<string>): boolean {
  const key = (slot: Slot) => `${slot.kind}:${slot.key}`;
  const freed = new Set<string>();
  for (const host of [...removed, ...upserts.keys()]) if (index.get(host) !== undefined) freed.add(key(slotOf(host)));
  const taken = new Set<string>();
  for (const host of upserts.keys()) {
    const slot = slotOf(host);
    if (taken.has(key(slot))) return false;
    taken.add(key(slot));
    if (index.get(host) === undefined && previous.holds(slot) && !freed.has(key(slot))) return false;
  }
  return true;
}
