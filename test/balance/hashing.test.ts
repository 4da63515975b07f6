import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../src/dataplane/balance/create-balancer.ts';
import { addressBytes } from '../../src/dataplane/balance/address-bytes.ts';
import { cookieValue } from '../../src/dataplane/balance/hash-key.ts';
import { backend, ctx, server } from './servers.ts';

const clients = Array.from({ length: 2000 }, (_, i) => `172.${16 + (i % 8)}.${i >> 3}.9`);

describe('IP hash', () => {
  const servers = [server(1), server(2), server(3), server(4)];

  it('keys IPv4 clients on the first three octets', () => {
    const b = createBalancer(backend('IPHash', servers));
    const first = b.pick(ctx('198.51.100.1'));
    for (let last = 2; last < 255; last += 17) expect(b.pick(ctx(`198.51.100.${last}`))).toBe(first);
    expect(b.pick(ctx('::ffff:198.51.100.77'))).toBe(first);
  });

  it('moves only the clients of a server that goes down, and brings them back', () => {
    let now = 0;
    const b = createBalancer(backend('IPHash', servers), undefined, { now: () => now });
    const before = clients.map((c) => b.pick(ctx(c)));
    b.failed(2, now);
    const during = clients.map((c) => b.pick(ctx(c)));
    clients.forEach((_, i) => {
      if (before[i] !== 2) expect(during[i]).toBe(before[i]);
      else expect(during[i]).not.toBe(2);
    });
    // A rehash is deterministic: the same client lands on the same replacement every time.
    expect(clients.map((c) => b.pick(ctx(c)))).toEqual(during);
    now = 10_001;
    expect(clients.map((c) => b.pick(ctx(c)))).toEqual(before);
  });

  it('hashes whole IPv6 addresses and falls back to round robin for non-IP clients', () => {
    const b = createBalancer(backend('IPHash', servers));
    const picks = new Set(Array.from({ length: 64 }, (_, i) => b.pick(ctx(`2001:db8::${i.toString(16)}`))));
    expect(picks.size).toBeGreaterThan(1);
    expect(new Set([0, 1, 2, 3].map(() => b.pick(ctx('unix-socket')))).size).toBe(4);
  });
});

describe('consistent hash', () => {
  const servers = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => server(n));
  const keys = Array.from({ length: 4000 }, (_, i) => `session-${i}`);
  const headerBackend = (list = servers) => backend('ConsistentHash', list, { hashKey: { source: 'Header', name: 'x-session' } });
  const owners = (list = servers) => {
    const b = createBalancer(headerBackend(list));
    return keys.map((k) => list[b.pick(ctx('192.0.2.1', { 'x-session': k }))]!.host);
  };

  it('is stable across rebuilds and server order', () => {
    expect(owners([...servers].reverse())).toEqual(owners());
  });

  it.each([0, 3, 7])('remaps about 1/n of the keys when server %i is removed', (removed) => {
    const before = owners();
    const after = owners(servers.filter((_, i) => i !== removed));
    const moved = keys.filter((_, i) => before[i] !== after[i]).length / keys.length;
    expect(moved).toBeLessThanOrEqual(1 / servers.length + 0.05);
    keys.forEach((_, i) => {
      if (before[i] !== servers[removed]!.host) expect(after[i]).toBe(before[i]);
    });
  });

  it('reads the key from a cookie or the client address', () => {
    const byCookie = createBalancer(backend('ConsistentHash', servers, { hashKey: { source: 'Cookie', name: 'sid' } }));
    const a = byCookie.pick(ctx('192.0.2.1', { cookie: 'x=1; sid=abc; y=2' }));
    for (let i = 0; i < 20; i++) expect(byCookie.pick(ctx(`192.0.2.${i}`, { cookie: `sid=abc; n=${i}` }))).toBe(a);
    const byAddress = createBalancer(backend('ConsistentHash', servers, { hashKey: { source: 'ClientAddress' } }));
    const c = byAddress.pick(ctx('203.0.113.5'));
    for (let i = 0; i < 20; i++) expect(byAddress.pick(ctx('203.0.113.5'))).toBe(c);
  });
});

describe('helpers', () => {
  it.each([
    ['10.1.2.3', [10, 1, 2, 3]],
    ['::ffff:10.1.2.3', [10, 1, 2, 3]],
    ['2001:db8::1', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['fe80::1%eth0', [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['1.2.3', []],
    ['256.1.1.1', []],
    ['1::2::3', []],
    ['hello', []],
  ])('addressBytes(%s)', (address, want) => {
    const out = new Uint8Array(16);
    const n = addressBytes(address, out);
    expect(Array.from(out.subarray(0, n))).toEqual(want);
  });

  it.each([
    ['a=1; sid=xyz', 'sid', 'xyz'],
    ['sid="q"', 'sid', 'q'],
    ['xsid=1; sid=2', 'sid', '2'],
    ['a=1', 'sid', ''],
  ])('cookieValue(%s, %s) = %s', (header, name, want) => {
    expect(cookieValue(header, name)).toBe(want);
  });
});
