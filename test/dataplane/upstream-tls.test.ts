import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type BackendPolicy, type BackendTls } from '../../src/routing/route-table.ts';
import { h2PoolKey } from '../../src/dataplane/upstream/h2/h2-options.ts';
import { poolKey } from '../../src/dataplane/upstream/pool-options.ts';
import { upstreamTlsOptions } from '../../src/dataplane/upstream/upstream-tls.ts';
import { DEFAULT_SERVER_LIMITS } from '../../src/routing/route-table.ts';

/*
 * The node:tls options every upstream connection takes (HTTP/1.1 pools, the HTTP/2 client, the
 * health probes): which name is sent as SNI and which is checked, and pool keys that change with
 * every TLS setting (connections made with other settings must never be shared).
 */

const server = (host: string) => ({ host, port: 443, ...DEFAULT_SERVER_LIMITS });
const https = (tls?: BackendTls): BackendPolicy => ({ ...DEFAULT_POLICY, protocol: 'HTTPS', ...(tls === undefined ? {} : { tls }) });

describe('upstreamTlsOptions: SNI and the name checked', () => {
  const cases = [
    { name: 'no tls: verified, an IP gets no SNI', policy: https(), host: '10.0.0.1', servername: undefined, ownCheck: false, reject: true },
    { name: 'no tls: a DNS name is the SNI', policy: https(), host: 'api.example', servername: 'api.example', ownCheck: false, reject: true },
    { name: 'serverName: sent and checked by node', policy: https({ verify: true, serverName: 'b.internal' }), host: '10.0.0.1', servername: 'b.internal', ownCheck: false, reject: true },
    { name: 'serverName with sni off: checked, not sent', policy: https({ verify: true, serverName: 'b.internal', sni: false }), host: '10.0.0.1', servername: undefined, ownCheck: true, reject: true },
    { name: 'sni off leaves a DNS-named server its own name', policy: https({ verify: false, sni: false }), host: 'api.example', servername: 'api.example', ownCheck: false, reject: false },
    { name: 'an IP address as serverName is never SNI', policy: https({ verify: true, serverName: '10.9.9.9' }), host: '10.0.0.1', servername: undefined, ownCheck: true, reject: true },
    { name: 'a depth limit needs its own check', policy: https({ verify: true, verifyDepth: 1 }), host: '10.0.0.1', servername: undefined, ownCheck: true, reject: true },
  ];
  it.each(cases)('$name', ({ policy, host, servername, ownCheck, reject }) => {
    const o = upstreamTlsOptions(policy, host);
    expect(o.servername).toBe(servername);
    expect(o.checkServerIdentity !== undefined).toBe(ownCheck);
    expect(o.rejectUnauthorized).toBe(reject);
  });

  it('the client certificate, ciphers and protocol range pass through', () => {
    const o = upstreamTlsOptions(https({ verify: false, certPem: 'C', keyPem: 'K', caPem: 'A', ciphers: 'HIGH', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }), '10.0.0.1');
    expect(o).toMatchObject({ cert: 'C', key: 'K', ca: 'A', ciphers: 'HIGH', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  });
});

describe('pool keys change with every TLS setting', () => {
  const base: BackendTls = { verify: true };
  const variants: BackendTls[] = [
    { ...base, serverName: 'a' }, { ...base, sni: false }, { verify: false }, { ...base, verifyDepth: 1 }, { ...base, caPem: 'CA' },
    { ...base, certPem: 'C' }, { ...base, keyPem: 'K' }, { ...base, ciphers: 'HIGH' }, { ...base, minVersion: 'TLSv1.2' }, { ...base, maxVersion: 'TLSv1.2' },
  ];
  it('HTTP/1.1 and HTTP/2', () => {
    const keys = [base, ...variants].map((t) => poolKey(server('10.0.0.1'), https(t)));
    expect(new Set(keys).size).toBe(keys.length);
    const h2 = [base, ...variants].map((t) => h2PoolKey(server('10.0.0.1'), { ...https(t), protocol: 'GRPCS' }));
    expect(new Set(h2).size).toBe(h2.length);
  });

  it('key material is hashed, not copied into the key', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(poolKey(server('10.0.0.1'), https({ verify: true, caPem: pem, certPem: pem, keyPem: pem }))).not.toContain('BEGIN');
  });
});
