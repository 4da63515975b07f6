import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/routing/route-table.ts';
import type { KubeObject, Secret } from '../../src/source/objects.ts';
import { Store } from '../../src/store/store.ts';
import { IncrementalTranslator } from '../../src/translate/incremental-translate.ts';
import type { Snapshot } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { OPTIONS } from './builders.ts';
import { translateCase } from './fixture-case.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * proxy-ssl-* through translate(): what each Ingress's backend gets as its TLS (the Secret's
 * PEMs, the annotations' settings), the 503 and problem of a Secret that cannot be used, and a
 * Secret that appears later re-resolving the backend (incremental translation).
 */

const fixture = readFileSync(new URL('../fixtures/translate/proxy-ssl.yaml', import.meta.url), 'utf8');
const pem = (marker: string) => new RegExp(`-----BEGIN ${marker}-----[\\s\\S]*?-----END ${marker}-----\\n`).exec(
  Buffer.from(/tls\.crt: (\S+)/.exec(fixture)![1]!, 'base64').toString() + Buffer.from(/tls\.key: (\S+)/.exec(fixture)![1]!, 'base64').toString(),
)![0];
const CERT = pem('CERTIFICATE');
const KEY = pem('PRIVATE KEY');

function backendOf(backends: readonly Backend[], ingressName: string, table = translateCase({ name: 'proxy-ssl', want: undefined as never }).table): Backend {
  const route = table.virtualHosts.find((v) => v.host === `${ingressName}.test`)!.routes[0]!;
  return (backends.length > 0 ? backends : table.backends).find((b) => b.id === route.backend)!;
}

describe('proxy-ssl-* in the table', () => {
  const result = translateCase({ name: 'proxy-ssl', want: undefined as never });
  const get = (name: string) => backendOf(result.table.backends, name, result.table);

  it('backend-protocol HTTPS alone: not verified, no SNI from a name, nothing else', () => {
    expect(get('plain-https').policy.tls).toEqual({ verify: false });
    expect(get('plain-https').servers).toHaveLength(1);
  });

  it('every annotation with a Secret holding a key pair and a CA', () => {
    expect(get('full').policy.tls).toEqual({
      serverName: 'backend.test', caPem: CERT, verify: true, verifyDepth: 2, certPem: CERT, keyPem: KEY,
      ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3',
    });
  });

  it('a CA-only Opaque Secret by bare name (the Ingress\'s namespace), verify off, SNI off', () => {
    const b = get('ca-only');
    expect(b.policy.protocol).toBe('GRPCS');
    expect(b.policy.tls).toEqual({ sni: false, caPem: CERT, verify: false });
  });

  it('a missing, cross-namespace or unusable Secret: the backend is unavailable (503) with a problem naming the annotation', () => {
    expect(get('missing')).toMatchObject({ servers: [], unavailable: 'ProxySSLSecretNotFound' });
    expect(get('elsewhere')).toMatchObject({ servers: [], unavailable: 'ProxySSLSecretRefused' });
    expect(get('unusable')).toMatchObject({ servers: [], unavailable: 'InvalidProxySSLSecret' });
    const about = (name: string) => result.problems.filter((p) => p.name === name).map((p) => [p.reason, p.severity, p.message]);
    expect(about('missing')).toEqual([['ProxySSLSecretNotFound', 'Warning', 'proxy-ssl-secret default/nowhere does not exist (Pier reads Secrets of type Opaque or kubernetes.io/tls): requests get 503']]);
    expect(about('elsewhere')).toEqual([['ProxySSLSecretRefused', 'Warning', 'proxy-ssl-secret other/backend-tls is in another namespace (not allowed, as in ingress-nginx): requests get 503']]);
    expect(about('unusable')).toEqual([['InvalidProxySSLSecret', 'Warning', 'proxy-ssl-secret default/unusable has neither tls.crt and tls.key nor ca.crt: requests get 503']]);
  });

  it('verify on without ca.crt: the system CAs, said by a Normal problem; the client certificate is still presented', () => {
    expect(get('verify-no-ca').policy.tls).toEqual({ sni: false, verify: true, verifyDepth: 1, certPem: CERT, keyPem: KEY });
    expect(result.problems.filter((p) => p.name === 'verify-no-ca').map((p) => [p.reason, p.severity])).toEqual([['ProxySSLWithoutCA', 'Normal']]);
  });

  it('two Ingresses with different proxy-ssl settings for one Service get different backends', () => {
    const ids = new Set(['plain-https', 'full', 'ca-only', 'verify-no-ca'].map((n) => get(n).id));
    expect(ids.size).toBe(4);
  });
});

describe('proxy-ssl-secret and incremental translation', () => {
  it('a Secret that appears, changes or goes re-resolves the backend, as a full translation does', () => {
    const snapshot = loadSnapshot('proxy-ssl');
    const store = new Store();
    for (const obj of Object.values(snapshot).flat() as KubeObject[]) store.upsert(obj);
    const incremental = new IncrementalTranslator(OPTIONS);
    const step = () => {
      const inc = incremental.update(store.index(), store.takeChanges());
      const full = translate(store.snapshot() as Snapshot, OPTIONS);
      expect(inc.table).toStrictEqual(full.table);
      expect(inc.problems).toStrictEqual(full.problems);
      return inc.table;
    };
    expect(backendOf([], 'missing', step()).unavailable).toBe('ProxySSLSecretNotFound');
    const caOnly = snapshot.secrets.find((s) => s.metadata.name === 'ca-only')!;
    store.upsert({ ...caOnly, metadata: { ...caOnly.metadata, name: 'nowhere' } } as Secret);
    const found = backendOf([], 'missing', step());
    expect(found.unavailable).toBeUndefined();
    expect(found.policy.tls).toEqual({ sni: false, caPem: CERT, verify: false });
    store.upsert({ ...caOnly, metadata: { ...caOnly.metadata, name: 'nowhere' }, data: { 'ca.crt': Buffer.from('not a certificate').toString('base64') } } as Secret);
    expect(backendOf([], 'missing', step()).unavailable).toBe('InvalidProxySSLSecret');
    store.remove({ kind: 'Secret', namespace: 'default', name: 'nowhere' });
    expect(backendOf([], 'missing', step()).unavailable).toBe('ProxySSLSecretNotFound');
  });
});
