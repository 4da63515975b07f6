import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileDelta } from '../../src/routing/compile-delta.ts';
import { compileTable, type CompiledTable, type RouteBinder } from '../../src/routing/compile-table.ts';
import type { CompiledRoutes } from '../../src/routing/compiled-routes.ts';
import { DEFAULT_POLICY, type Backend, type Route, type RouteTable, type VirtualHost } from '../../src/routing/route-table.ts';
import { applyDelta, diffTables } from '../../src/routing/table-delta.ts';
import { compareBackends, compareHosts } from '../../src/routing/table-order.ts';

/** A bound backend: which object of the table it was bound from, and when. */
interface Bound {
  readonly backend: Backend;
  readonly serial: number;
}
type Pipeline = readonly Bound[];

let serial = 0;
const bind = (backend: Backend): Bound => ({ backend, serial: serial++ });
/** A route's "pipeline" holds the backends its fallback policies resolve, as the dataplane's filters do. */
const bindRoute: RouteBinder<Bound, Pipeline> = (route, _vhost, _backend, resolve) =>
  route?.policies?.flatMap((p) => (p.kind === 'fallback-backend' ? [resolve(p.backend)] : []));

const HOSTS = ['', 'a.com', 'b.com', 'B.com', '*.a.com', 'c.org', 'd.net', 'e.io'];
const IDS = ['b1', 'b2', 'b3', 'b4', 'b5', 'gone'];
const PROBE_HOSTS = [undefined, '', 'a.com', 'A.COM:8080', 'b.com', 'x.a.com', 'c.org.', 'd.net', 'e.io', 'nowhere.test'];
const PROBE_PATHS = ['/', '/api', '/api/v1', '/x', '/x/y/z'];

/** A small deterministic PRNG (mulberry32), so edit sequences shrink with their seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

function randomRoute(r: () => number): Route {
  const route: Route = { path: pick(r, ['/', '/api', '/x/y']), pathType: pick(r, ['Prefix', 'Exact'] as const), backend: pick(r, IDS), origin: 'ns/i' };
  return r() < 0.3 ? { ...route, policies: [{ kind: 'fallback-backend', backend: pick(r, IDS) }] } : route;
}
function randomHost(r: () => number, host = pick(r, HOSTS)): VirtualHost {
  return { host, routes: Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomRoute(r)) };
}
function randomBackend(r: () => number, id = pick(r, IDS.slice(0, -1))): Backend {
  return { id, servers: [{ host: '10.0.0.1', port: 1 + Math.floor(r() * 5), weight: 1, backup: false, maxFails: 1, failTimeoutMs: 1 }], policy: DEFAULT_POLICY };
}
function randomTable(r: () => number): RouteTable {
  const hosts: VirtualHost[] = [];
  for (let i = 0; i < 5; i++) {
    const v = randomHost(r);
    // Mostly distinct hosts, as translate's; a duplicate now and then (compiled whole).
    if (!hosts.some((h) => h.host === v.host) || r() < 0.1) hosts.push(v);
  }
  const backends = new Map(IDS.slice(0, -1).filter(() => r() < 0.8).map((id) => [id, randomBackend(r, id)]));
  return { virtualHosts: hosts.sort(compareHosts), backends: [...backends.values()].sort(compareBackends), ...(r() < 0.5 ? { defaultBackend: pick(r, IDS) } : {}) };
}
/** The controller's next table: a few entries replaced, added or removed; the rest the same objects. */
function edit(prev: RouteTable, r: () => number): RouteTable {
  const hosts = prev.virtualHosts.flatMap((v) => {
    const x = r();
    return x < 0.15 ? [] : x < 0.3 ? [randomHost(r, v.host)] : [v];
  });
  if (r() < 0.3) {
    const added = randomHost(r);
    if (!hosts.some((v) => v.host === added.host)) hosts.push(added);
  }
  const backends = prev.backends.flatMap((b) => {
    const x = r();
    return x < 0.1 ? [] : x < 0.35 ? [randomBackend(r, b.id)] : [b];
  });
  for (const id of IDS.slice(0, -1)) if (!backends.some((b) => b.id === id) && r() < 0.2) backends.push(randomBackend(r, id));
  const defaultBackend = r() < 0.2 ? (r() < 0.5 ? undefined : pick(r, IDS)) : prev.defaultBackend;
  return { virtualHosts: hosts.sort(compareHosts), backends: backends.sort(compareBackends), ...(defaultBackend === undefined ? {} : { defaultBackend }) };
}

/** What every probe request gets: route, backend content, pipeline backends' content. */
function answers(compiled: CompiledTable<Bound, Pipeline>): unknown[] {
  return PROBE_HOSTS.flatMap((host) => PROBE_PATHS.map((path) => {
    const m = compiled.match(host, path);
    return m === undefined ? '404' : [m.route, m.backend.backend, m.pipeline?.map((b) => b.backend)];
  }));
}
function boundContent(compiled: CompiledTable<Bound, Pipeline>): [string, Backend][] {
  return [...compiled.backends].map(([id, b]): [string, Backend] => [id, b.backend]).sort(([a], [b]) => (a < b ? -1 : 1));
}

describe('compileDelta', () => {
  it('gives, after every step of random edit sequences, the answers and backends of a whole compile', () => {
    let patched = 0;
    let whole = 0;
    fc.assert(fc.property(fc.integer(), fc.integer({ min: 1, max: 12 }), (seed, steps) => {
      const r = rng(seed);
      let table = randomTable(r);
      let compiled = compileTable(table, bind, bindRoute);
      for (let i = 0; i < steps; i++) {
        const next = edit(table, r);
        // As a worker: its own copy of the previous table, the delta after IPC.
        const delta = structuredClone(diffTables(table, next));
        const applied = applyDelta(compiled.table, delta);
        const patch = compileDelta(compiled, applied, delta, bind, bindRoute);
        if (patch === undefined) whole++;
        else patched++;
        compiled = patch ?? compileTable(applied, bind, bindRoute);
        const reference = compileTable(next, bind, bindRoute);
        expect(answers(compiled)).toEqual(answers(reference));
        expect(boundContent(compiled)).toEqual(boundContent(reference));
        table = next;
      }
    }), { numRuns: 400 });
    // Most steps are patched (the rest: tables whose hosts share a slot, compiled whole).
    expect(patched).toBeGreaterThan(whole);
  });

  describe('at scale: one changed backend', () => {
    const vhost = (i: number): VirtualHost => ({
      host: `h${i}.test`,
      routes: [
        { path: '/', pathType: 'Prefix', backend: `web-${i}`, origin: 'ns/i' },
        // Host 7's route falls back to backend web-500 through its policy.
        { path: '/api', pathType: 'Prefix', backend: `api-${i}`, origin: 'ns/i', ...(i === 7 ? { policies: [{ kind: 'fallback-backend' as const, backend: 'web-500' }] } : {}) },
      ],
    });
    const backend = (id: string, port = 80): Backend => ({ id, servers: [{ host: '10.0.0.1', port, weight: 1, backup: false, maxFails: 1, failTimeoutMs: 1 }], policy: DEFAULT_POLICY });
    const hosts = Array.from({ length: 2000 }, (_, i) => vhost(i)).sort(compareHosts);
    const table: RouteTable = { virtualHosts: hosts, backends: hosts.flatMap((_, i) => [backend(`web-${i}`), backend(`api-${i}`)]).sort(compareBackends) };

    it('rebuilds the hosts holding it (by route or by policy) and keeps every other host\'s rules and bound backends', () => {
      const before = compileTable(table, bind, bindRoute) as CompiledRoutes<Bound, Pipeline, undefined>;
      const next = { ...table, backends: table.backends.map((b) => (b.id === 'web-500' ? backend('web-500', 81) : b)) };
      const delta = diffTables(table, next);
      expect(delta.backends.upsert.map((b) => b.id)).toEqual(['web-500']);
      const after = compileDelta(before, applyDelta(table, delta), delta, bind, bindRoute) as CompiledRoutes<Bound, Pipeline, undefined>;
      expect(after).toBeDefined();
      const rebuilt = hosts.filter((v) => after.rulesOf(v.host) !== before.rulesOf(v.host)).map((v) => v.host);
      expect(rebuilt.sort()).toEqual(['h500.test', 'h7.test']);
      const rebound = [...after.backends].filter(([id, b]) => before.backends.get(id) !== b).map(([id]) => id);
      expect(rebound).toEqual(['web-500']);
      expect(after.match('h500.test', '/')?.backend.backend.servers[0]!.port).toBe(81);
      expect(after.match('h7.test', '/api')?.pipeline?.[0]?.backend.servers[0]!.port).toBe(81);
      // The previous compiled table is untouched: a request that matched on it finishes there.
      expect(before.match('h500.test', '/')?.backend.backend.servers[0]!.port).toBe(80);
      // ...and was handed on: a second delta on it is refused (a whole compile instead).
      expect(compileDelta(before, next, delta, bind, bindRoute)).toBeUndefined();
    });

    it('moves a host between slots and removes another in one delta', () => {
      const before = compileTable(table, bind, bindRoute);
      const renamed = { ...hosts[3]!, host: 'renamed.test' };
      const next = { ...table, virtualHosts: [...hosts.filter((_, i) => i !== 3 && i !== 4), renamed].sort(compareHosts) };
      const delta = diffTables(table, next);
      const after = compileDelta(before, applyDelta(table, delta), delta, bind, bindRoute)!;
      expect(after).toBeDefined();
      expect(after.match(hosts[3]!.host, '/')).toBeUndefined();
      expect(after.match(hosts[4]!.host, '/')).toBeUndefined();
      expect(after.match('renamed.test', '/')?.route).toBe(renamed.routes[0]);
    });

    it('leaves a delta touching most hosts to a whole compile, and a table whose hosts share a slot', () => {
      const before = compileTable(table, bind, bindRoute);
      const next = { ...table, virtualHosts: hosts.map((v) => ({ ...v })) };
      const delta = diffTables(table, next);
      expect(compileDelta(before, applyDelta(table, delta), delta, bind, bindRoute)).toBeUndefined();
      const shared = { ...table, virtualHosts: [{ ...hosts[0]!, host: 'H0.TEST' }, ...hosts] };
      const compiled = compileTable(shared, bind, bindRoute);
      const small = diffTables(shared, { ...shared, backends: next.backends });
      expect(compileDelta(compiled, shared, small, bind, bindRoute)).toBeUndefined();
    });

    it('leaves a change of the table\'s header lists to a whole compile: every route\'s pipeline holds them', () => {
      const before = compileTable(table, bind, bindRoute);
      const next = { ...table, addHeaders: ['x-frame-options', 'DENY'] };
      const delta = diffTables(table, next);
      expect(delta.virtualHosts.upsert).toEqual([]);
      expect(compileDelta(before, applyDelta(table, delta), delta, bind, bindRoute)).toBeUndefined();
    });
  });
});
