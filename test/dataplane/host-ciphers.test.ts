import { describe, expect, it } from 'vitest';
import { HostCiphers } from '../../src/dataplane/host-ciphers.ts';
import { cipherPolicyKey, type CipherPolicy } from '../../src/dataplane/tls-servers.ts';
import type { RouteTable, VirtualHost } from '../../src/routing/route-table.ts';
import { diffTables } from '../../src/routing/table-delta.ts';

/*
 * Which cipher policy a handshake's server name gets: nginx's choice of server block (exact
 * name, single-label wildcard, default server), the host's own ssl-ciphers settings over the
 * controller's, and nothing kept while no host has any.
 */

const GLOBAL_LIST = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384';
const GLOBAL: CipherPolicy = { key: cipherPolicyKey(GLOBAL_LIST, true), ciphers: GLOBAL_LIST, honorCipherOrder: true };
const STRICT = 'ECDHE-ECDSA-AES256-GCM-SHA384';

function host(name: string, own: Pick<VirtualHost, 'sslCiphers' | 'sslPreferServerCiphers'> = {}): VirtualHost {
  return { host: name, routes: [], ...own };
}

function table(...virtualHosts: VirtualHost[]): RouteTable {
  return { virtualHosts, backends: [] };
}

function terms(policy: CipherPolicy | undefined): string {
  return policy === undefined ? 'global' : `${policy.ciphers}/${policy.honorCipherOrder ? 'server' : 'client'}`;
}

describe('HostCiphers', () => {
  const hosts = new HostCiphers(GLOBAL);
  hosts.update(table(
    host('strict.test', { sslCiphers: STRICT }),
    host('client-order.test', { sslPreferServerCiphers: false }),
    host('*.wild.test', { sslCiphers: STRICT }),
    host('plain.wild.test'),
    host('same.test', { sslCiphers: GLOBAL_LIST, sslPreferServerCiphers: true }),
    host('', { sslCiphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' }),
  ));

  it.each([
    ['exact host', 'strict.test', `${STRICT}/server`],
    ['any case, trailing dot', 'STRICT.test.', `${STRICT}/server`],
    ['only the order changed: the controller\'s list, the client\'s order', 'client-order.test', `${GLOBAL_LIST}/client`],
    ['single-label wildcard', 'a.wild.test', `${STRICT}/server`],
    ['an exact host without its own keeps the controller\'s, whatever the wildcard says', 'plain.wild.test', 'global'],
    ['the controller\'s terms written again: the global policy', 'same.test', 'global'],
    ['two labels below the wildcard: the default server', 'a.b.wild.test', 'ECDHE-ECDSA-CHACHA20-POLY1305/server'],
    ['unknown name: the default server (rules without host)', 'nope.test', 'ECDHE-ECDSA-CHACHA20-POLY1305/server'],
  ])('%s', (_name, serverName, want) => {
    expect(terms(hosts.policyFor(serverName))).toBe(want);
  });

  it('no SNI: the default server', () => {
    expect(terms(hosts.policyFor(null))).toBe('ECDHE-ECDSA-CHACHA20-POLY1305/server');
  });

  it('hosts asking for the same terms share one policy object; its key is listed', () => {
    expect(hosts.policyFor('strict.test')).toBe(hosts.policyFor('x.wild.test'));
    expect([...hosts.keys].sort()).toEqual([cipherPolicyKey(GLOBAL_LIST, false), cipherPolicyKey('ECDHE-ECDSA-CHACHA20-POLY1305', true), cipherPolicyKey(STRICT, true)].sort());
    expect(hosts.size).toBe(4);
  });

  it('no host with its own terms: size 0, every name global, nothing kept', () => {
    const plain = new HostCiphers(GLOBAL);
    plain.update(table(host('a.test'), host('b.test', { sslCiphers: GLOBAL_LIST })));
    expect(plain.size).toBe(0);
    expect(plain.policyFor('a.test')).toBeUndefined();
    expect(plain.keys.size).toBe(0);
  });

  it('follows deltas: a host gaining, changing and losing its ciphers', () => {
    const live = new HostCiphers(GLOBAL);
    const t0 = table(host('a.test'), host('b.test'));
    live.update(t0);
    const t1 = table(host('a.test', { sslCiphers: STRICT }), t0.virtualHosts[1]!);
    live.change(t1, diffTables(t0, t1));
    expect(terms(live.policyFor('a.test'))).toBe(`${STRICT}/server`);
    expect(terms(live.policyFor('b.test'))).toBe('global');
    const t2 = table(t1.virtualHosts[0]!, host('b.test', { sslPreferServerCiphers: false }), host('c.test'));
    live.change(t2, diffTables(t1, t2));
    expect(terms(live.policyFor('b.test'))).toBe(`${GLOBAL_LIST}/client`);
    expect(terms(live.policyFor('c.test'))).toBe('global');
    const t3 = table(host('a.test'), t2.virtualHosts[1]!);
    live.change(t3, diffTables(t2, t3));
    expect(terms(live.policyFor('a.test'))).toBe('global');
    const t4 = table(t3.virtualHosts[0]!, host('b.test'));
    live.change(t4, diffTables(t3, t4));
    expect(live.size).toBe(0);
  });

  it('without --ssl-ciphers (Node\'s default list) a host\'s order alone still makes a policy', () => {
    const node = new HostCiphers({ key: cipherPolicyKey(undefined, true), ciphers: undefined, honorCipherOrder: true });
    node.update(table(host('a.test', { sslPreferServerCiphers: false })));
    expect(node.policyFor('a.test')).toMatchObject({ ciphers: undefined, honorCipherOrder: false });
  });
});
