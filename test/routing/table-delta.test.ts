import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type Backend, type Certificate, type RouteTable, type VirtualHost } from '../../src/routing/route-table.ts';
import { applyDelta, diffTables, isEmptyDelta, type TableDelta } from '../../src/routing/table-delta.ts';
import { compareBackends, compareHosts } from '../../src/routing/table-order.ts';

/** fast-check's records have no prototype; tables crossing IPC are plain objects. */
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const HOSTS = ['', 'a.com', 'b.com', 'B.com', '*.a.com', 'c.org', 'x.y.z', 'long-name.example'];
const IDS = ['service:ns/a:80', 'service:ns/b:80', 'service:ns/c:80', 'upstream:ns/u', 'service:zz/d:8080'];
const KEYS = ['ns/one', 'ns/two', 'other/three'];
/** --proxy-set-headers / --add-headers lists a table may carry. */
const HEADER_LISTS: readonly (readonly string[])[] = [['x-a', '1'], ['x-a', '2'], ['x-a', '1', 'x-b', '$host']];

const vhostArb: fc.Arbitrary<VirtualHost> = fc.record({
  host: fc.constantFrom(...HOSTS),
  routes: fc.array(fc.record({ path: fc.constantFrom('/', '/api', '/x/y'), pathType: fc.constantFrom('Exact' as const, 'Prefix' as const), backend: fc.constantFrom(...IDS), origin: fc.constant('ns/ing') }), { maxLength: 3 }),
  tls: fc.option(fc.constantFrom(...KEYS), { nil: undefined }),
}).map((v) => plain(v.tls === undefined ? { host: v.host, routes: v.routes } : v));
const backendArb: fc.Arbitrary<Backend> = fc.record({
  id: fc.constantFrom(...IDS),
  port: fc.integer({ min: 1, max: 3 }),
}).map(({ id, port }) => ({ id, servers: [{ host: '10.0.0.1', port, weight: 1, backup: false, maxFails: 1, failTimeoutMs: 10_000 }], policy: DEFAULT_POLICY }));
const certificateArb: fc.Arbitrary<Certificate> = fc.record({ certPem: fc.constantFrom('c1', 'c2'), keyPem: fc.constantFrom('k1', 'k2') }).map(plain);

/** A table in the documented order, duplicates of a key allowed (they form runs). */
const tableArb = (sorted: boolean): fc.Arbitrary<RouteTable> => fc.record({
  virtualHosts: fc.array(vhostArb, { maxLength: 8 }),
  backends: fc.array(backendArb, { maxLength: 6 }),
  defaultBackend: fc.option(fc.constantFrom(...IDS), { nil: undefined }),
  certificates: fc.option(fc.dictionary(fc.constantFrom(...KEYS), certificateArb).map(plain), { nil: undefined }),
  defaultCertificate: fc.option(fc.constantFrom(...KEYS), { nil: undefined }),
  proxySetHeaders: fc.option(fc.constantFrom(...HEADER_LISTS), { nil: undefined }),
  addHeaders: fc.option(fc.constantFrom(...HEADER_LISTS), { nil: undefined }),
}).map((t) => clean({ ...t, virtualHosts: sorted ? [...t.virtualHosts].sort(compareHosts) : t.virtualHosts, backends: sorted ? [...t.backends].sort(compareBackends) : t.backends }));

/** Drops undefined fields, as translate's tables have none. */
function clean(t: RouteTable): RouteTable {
  return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as unknown as RouteTable;
}

/** `next` as the controller makes it from `prev`: unchanged entries are prev's objects. */
const editArb = (prev: RouteTable): fc.Arbitrary<RouteTable> => fc.record({
  hostEdits: fc.array(fc.constantFrom('keep', 'keep', 'keep', 'replace', 'drop'), { minLength: prev.virtualHosts.length, maxLength: prev.virtualHosts.length }),
  addedHosts: fc.array(vhostArb, { maxLength: 3 }),
  backendEdits: fc.array(fc.constantFrom('keep', 'keep', 'replace', 'drop'), { minLength: prev.backends.length, maxLength: prev.backends.length }),
  addedBackends: fc.array(backendArb, { maxLength: 2 }),
  certificates: fc.constantFrom('keep', 'copy', 'replace-one', 'drop-all', 'add'),
  defaults: fc.constantFrom('keep', 'change'),
  // A header list kept, rebuilt equal (a new array, as the controller may make), or changed.
  headers: fc.constantFrom('keep', 'copy', 'change'),
}).map((e) => {
  const list = (prevList: readonly string[] | undefined) => (e.headers === 'keep' ? prevList : e.headers === 'copy' ? prevList?.slice() : prevList === undefined ? ['x-new', 'v'] : undefined);
  const hosts = prev.virtualHosts.flatMap((v, i) => (e.hostEdits[i] === 'drop' ? [] : e.hostEdits[i] === 'replace' ? [{ ...v }] : [v]));
  const backends = prev.backends.flatMap((b, i) => (e.backendEdits[i] === 'drop' ? [] : e.backendEdits[i] === 'replace' ? [{ ...b, servers: [] }] : [b]));
  const certs = prev.certificates;
  const certificates = e.certificates === 'keep' ? certs
    : e.certificates === 'copy' ? (certs === undefined ? undefined : { ...certs })
      : e.certificates === 'drop-all' ? undefined
        : e.certificates === 'add' ? { ...certs, 'new/cert': { certPem: 'n', keyPem: 'n' } }
          : Object.fromEntries(Object.entries(certs ?? {}).map(([k, c], i) => [k, i === 0 ? { ...c } : c]));
  return clean({
    virtualHosts: [...hosts, ...e.addedHosts].sort(compareHosts),
    backends: [...backends, ...e.addedBackends].sort(compareBackends),
    defaultBackend: e.defaults === 'keep' ? prev.defaultBackend : prev.defaultBackend === undefined ? IDS[0] : undefined,
    certificates,
    defaultCertificate: e.defaults === 'keep' ? prev.defaultCertificate : prev.defaultCertificate === undefined ? KEYS[0] : undefined,
    proxySetHeaders: list(prev.proxySetHeaders),
    addHeaders: list(prev.addHeaders),
  });
});

/** What a worker does: applies the delta, after IPC, to its own copy of the previous table. */
function overIpc(prev: RouteTable, delta: TableDelta): RouteTable {
  return applyDelta(structuredClone(prev), structuredClone(delta));
}

describe('diffTables / applyDelta (property)', () => {
  it('applyDelta(prev, diffTables(prev, next)) equals next, entry order included, for edited tables', () => {
    fc.assert(fc.property(tableArb(true).chain((prev) => fc.tuple(fc.constant(prev), editArb(prev))), ([prev, next]) => {
      const delta = diffTables(prev, next);
      expect(applyDelta(prev, delta)).toStrictEqual(next);
      expect(overIpc(prev, delta)).toStrictEqual(next);
      expect(applyDelta(prev, JSON.parse(JSON.stringify(delta)) as TableDelta)).toStrictEqual(next);
    }), { numRuns: 500 });
  });

  it('holds along chains of tables (each diffed against the one before, as the primary does), also when one comes out of order', () => {
    const step = (prev: RouteTable): fc.Arbitrary<RouteTable> => fc.tuple(editArb(prev), fc.integer({ min: 0, max: 9 }), fc.nat()).map(([next, roll, at]) => {
      if (roll !== 0 || next.virtualHosts.length < 2) return next;
      // Two entries swapped: a list out of order, which must be sent whole.
      const hosts = [...next.virtualHosts];
      const k = at % (hosts.length - 1);
      [hosts[k], hosts[k + 1]] = [hosts[k + 1]!, hosts[k]!];
      return { ...next, virtualHosts: hosts };
    });
    const chain = (prev: RouteTable, left: number): fc.Arbitrary<RouteTable[]> =>
      left === 0 ? fc.constant([prev]) : step(prev).chain((next) => chain(next, left - 1).map((rest) => [prev, ...rest]));
    fc.assert(fc.property(tableArb(true).chain((first) => chain(first, 6)), (tables) => {
      for (let i = 1; i < tables.length; i++) {
        const [prev, next] = [tables[i - 1]!, tables[i]!];
        expect(overIpc(prev, diffTables(prev, next))).toStrictEqual(next);
      }
    }), { numRuns: 300 });
  });

  it('holds for unrelated tables, sorted or not', () => {
    const arb = fc.boolean().chain((sorted) => fc.tuple(tableArb(sorted), tableArb(sorted)));
    fc.assert(fc.property(arb, ([prev, next]) => {
      expect(overIpc(prev, diffTables(prev, next))).toStrictEqual(next);
    }), { numRuns: 500 });
  });

  it('holds for a table out of order with some of its entries replaced', () => {
    const arb = fc.tuple(tableArb(false), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }));
    fc.assert(fc.property(arb, ([prev, replace]) => {
      const next = { ...prev, virtualHosts: prev.virtualHosts.map((v, i) => (replace[i] ? { ...v } : v)) };
      expect(overIpc(prev, diffTables(prev, next))).toStrictEqual(next);
    }), { numRuns: 1000 });
  });

  it('carries exactly the entries that are not the same objects, and keeps the others as prev\'s objects', () => {
    fc.assert(fc.property(tableArb(true).chain((prev) => fc.tuple(fc.constant(prev), editArb(prev))), ([prev, next]) => {
      const delta = diffTables(prev, next);
      const old = new Set<object>([...prev.virtualHosts, ...prev.backends]);
      // Every entry of next that is not one of prev's is sent; one of prev's is sent only with
      // another entry of its key (a run that changed).
      for (const entry of [...next.virtualHosts, ...next.backends]) {
        if (!old.has(entry)) expect([...delta.virtualHosts.upsert, ...delta.backends.upsert]).toContain(entry);
      }
      const applied = applyDelta(prev, delta);
      for (let i = 0; i < next.virtualHosts.length; i++) expect(applied.virtualHosts[i]).toBe(next.virtualHosts[i]);
      for (let i = 0; i < next.backends.length; i++) expect(applied.backends[i]).toBe(next.backends[i]);
    }), { numRuns: 300 });
  });
});

describe('diffTables / applyDelta on larger tables (many changed keys at once)', () => {
  const manyHosts = Array.from({ length: 120 }, (_, i) => `h${i}.test`);
  const bigTable = fc.record({
    hosts: fc.uniqueArray(fc.constantFrom(...manyHosts), { minLength: 20, maxLength: 90, size: 'max' }),
    dup: fc.array(fc.constantFrom(...manyHosts), { maxLength: 5 }),
  }).map(({ hosts, dup }): RouteTable => ({
    virtualHosts: [...hosts, ...dup].map((host) => ({ host, routes: [] })).sort(compareHosts),
    backends: [],
  }));

  it('applyDelta(prev, diffTables(prev, next)) equals next', () => {
    fc.assert(fc.property(bigTable, bigTable, fc.boolean(), (prev, other, edited) => {
      // Either an unrelated table, or prev with some hosts replaced by new objects.
      const next = edited ? { ...prev, virtualHosts: prev.virtualHosts.map((v, i) => (i % 3 === 0 ? { ...v } : v)) } : other;
      expect(overIpc(prev, diffTables(prev, next))).toStrictEqual(next);
    }), { numRuns: 300 });
  });
});

describe('diffTables: small changes are small deltas', () => {
  const backend = (id: string, port: number): Backend => ({ id, servers: [{ host: '10.0.0.1', port, weight: 1, backup: false, maxFails: 1, failTimeoutMs: 10_000 }], policy: DEFAULT_POLICY });
  const vhost = (host: string, id: string): VirtualHost => ({ host, routes: [{ path: '/', pathType: 'Prefix', backend: id, origin: 'ns/i' }] });
  const hosts = Array.from({ length: 1000 }, (_, i) => vhost(`h${String(i).padStart(4, '0')}.test`, `service:ns/s${i}:80`));
  const backends = Array.from({ length: 1000 }, (_, i) => backend(`service:ns/s${i}:80`, 8000 + i)).sort(compareBackends);
  const base: RouteTable = { virtualHosts: [...hosts, vhost('', 'service:ns/s0:80')], backends, certificates: { 'ns/c': { certPem: 'c', keyPem: 'k' } } };

  it('an endpoint change of one Service is one backend and nothing else', () => {
    const changed = base.backends.map((b, i) => (i === 500 ? backend(b.id, 9999) : b));
    const next = { ...base, backends: changed };
    expect(diffTables(base, next)).toEqual({ virtualHosts: { upsert: [], remove: [] }, backends: { upsert: [changed[500]], remove: [] } });
  });

  it('an edited, an added and a removed host', () => {
    const edited = vhost('h0007.test', 'service:ns/s8:80');
    const added = vhost('h0007x.test', 'service:ns/s9:80');
    const next = { ...base, virtualHosts: [...base.virtualHosts.slice(0, 7), edited, added, ...base.virtualHosts.slice(8, 20), ...base.virtualHosts.slice(21)] };
    const delta = diffTables(base, next);
    expect(delta).toEqual({ virtualHosts: { upsert: [edited, added], remove: ['h0020.test'] }, backends: { upsert: [], remove: [] } });
    expect(applyDelta(base, delta)).toStrictEqual(next);
  });

  it('the same table is an empty delta; defaults and certificates are carried when they change', () => {
    expect(isEmptyDelta(diffTables(base, base))).toBe(true);
    expect(isEmptyDelta(diffTables(base, { ...base }))).toBe(true);
    const next: RouteTable = { ...base, defaultBackend: 'service:ns/s1:80', certificates: { 'ns/d': { certPem: 'd', keyPem: 'd' } }, defaultCertificate: 'ns/d' };
    const delta = diffTables(base, next);
    expect(delta).toEqual({
      virtualHosts: { upsert: [], remove: [] }, backends: { upsert: [], remove: [] },
      defaultBackend: { id: 'service:ns/s1:80' }, certificates: { upsert: { 'ns/d': { certPem: 'd', keyPem: 'd' } }, remove: ['ns/c'] }, defaultCertificate: { key: 'ns/d' },
    });
    expect(isEmptyDelta(delta)).toBe(false);
    expect(diffTables(next, base)).toMatchObject({ defaultBackend: {}, defaultCertificate: {} });
    expect(diffTables(base, { virtualHosts: base.virtualHosts, backends: base.backends }).certificates).toBeNull();
  });

  it('the header lists are carried when their entries change, not when only the array is new', () => {
    const next: RouteTable = { ...base, proxySetHeaders: ['x-a', '$host'], addHeaders: ['x-frame-options', 'DENY'] };
    const delta = diffTables(base, next);
    expect(delta).toMatchObject({ proxySetHeaders: { list: ['x-a', '$host'] }, addHeaders: { list: ['x-frame-options', 'DENY'] } });
    expect(isEmptyDelta(delta)).toBe(false);
    expect(applyDelta(base, delta)).toStrictEqual(next);
    expect(isEmptyDelta(diffTables(next, { ...next, proxySetHeaders: ['x-a', '$host'] }))).toBe(true);
    const dropped = diffTables(next, { ...next, proxySetHeaders: undefined });
    expect(dropped).toMatchObject({ proxySetHeaders: {} });
    expect(dropped.addHeaders).toBeUndefined();
    expect(applyDelta(next, dropped).proxySetHeaders).toBeUndefined();
  });
});
