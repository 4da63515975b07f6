import { describe, expect, it } from 'vitest';
import type { Certificate, VirtualHost } from '../../src/routing/route-table.ts';
import type { TranslateResult } from '../../src/translate/translate.ts';
import { readTlsSecret } from '../../src/translate/tls-secret.ts';
import { A, A_SERVER, backend, HTTPS_REDIRECT, prefix, problem, table, withPolicies } from './builders.ts';
import { translateCase } from './fixture-case.ts';
import type { FixtureCase } from './fixture-case.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * spec.tls as a table: test/fixtures/translate/tls-*.yaml → the complete { table, problems }.
 * The fixtures carry test-only EC certificates; the expected PEMs are read back from the same
 * Secrets so the table stays readable.
 */

function pemOf(fixture: string, secret: string): Certificate {
  const s = loadSnapshot(fixture).secrets.find((x) => x.metadata.name === secret)!;
  const text = (field: string) => Buffer.from(s.data![field]!, 'base64').toString('utf8');
  return { certPem: text('tls.crt'), keyPem: text('tls.key') };
}

/** A host with a certificate: its routes redirect plain HTTP to HTTPS (ssl-redirect's default). */
function tlsHost(host: string, tls: string | undefined, ...routes: VirtualHost['routes']): VirtualHost {
  return tls === undefined ? { host, routes } : { host, routes: routes.map((r) => withPolicies(r, HTTPS_REDIRECT)), tls };
}

const cases: FixtureCase[] = [
  {
    name: 'valid Secrets: exact and wildcard hosts get tls; a tls host without a rule gets nothing',
    fixture: 'tls-valid',
    want: {
      table: {
        ...table(
          [
            tlsHost('*.wild.test', 'default/wild-cert', prefix('/w', A, 'default/wild')),
            tlsHost('foo.test', 'default/foo-cert', prefix('/', A)),
            tlsHost('plain.test', undefined, prefix('/', A, 'default/wild')),
          ],
          [backend(A, A_SERVER)],
        ),
        certificates: { 'default/foo-cert': pemOf('tls-valid', 'foo-cert'), 'default/wild-cert': pemOf('tls-valid', 'wild-cert') },
      },
      problems: [],
    },
  },
  {
    name: 'broken Secrets: hosts still served without tls, one problem per Ingress and Secret',
    fixture: 'tls-invalid',
    want: {
      table: {
        ...table(
          ['bad-pem.test', 'bad-pem2.test', 'mismatch.test', 'missing.test', 'nohosts.test', 'opaque.test'].map((h) =>
            tlsHost(h, undefined, prefix('/', A, `default/${h === 'bad-pem2.test' ? 'bad-pem' : h === 'nohosts.test' ? 'no-hosts' : h === 'opaque.test' ? 'wrong-type' : h.replace('.test', '')}`)))
            .concat([tlsHost('ok.test', 'default/foo-cert', prefix('/', A, 'default/bad-shape'))])
            .sort((a, b) => (a.host < b.host ? -1 : 1)),
          [backend(A, A_SERVER)],
        ),
        certificates: { 'default/foo-cert': pemOf('tls-invalid', 'foo-cert') },
      },
      problems: [
        problem('default/bad-pem', 'InvalidTLSSecret', 'TLS Secret default/bad-pem has a tls.crt that is not a PEM X.509 certificate: its hosts are served over HTTPS with the default certificate'),
        problem('default/bad-shape', 'InvalidTLS', 'spec.tls[0] ignored: secretName is required'),
        problem('default/bad-shape', 'InvalidTLS', 'spec.tls[1].hosts: "1.2.3.4" must be a DNS name, not an IP address; host ignored'),
        problem('default/mismatch', 'InvalidTLSSecret', 'Secret default/mismatch has a tls.key that does not match its tls.crt'),
        problem('default/missing', 'TLSSecretNotFound', 'Secret default/nope does not exist'),
        problem('default/no-hosts', 'TLSWithoutHosts', 'spec.tls[0] ignored: it lists no hosts'),
        problem('default/wrong-type', 'InvalidTLSSecret', 'Secret default/opaque has type "Opaque", not kubernetes.io/tls'),
      ],
    },
  },
  {
    name: 'two Ingresses name different Secrets for one host: the older wins, the newer is reported',
    fixture: 'tls-conflict',
    want: {
      table: {
        ...table([tlsHost('foo.test', 'default/foo-cert', prefix('/new', A, 'default/newer'), prefix('/', A, 'default/older'))], [backend(A, A_SERVER)]),
        certificates: { 'default/foo-cert': pemOf('tls-conflict', 'foo-cert') },
      },
      problems: [problem('default/newer', 'TLSConflict', 'TLS for host foo.test ignored: Ingress default/older names Secret default/foo-cert for it and takes precedence')],
    },
  },
];

describe('translate: spec.tls', () => {
  for (const c of cases) {
    it(c.name, () => expect(translateCase(c)).toEqual(c.want));
    it(`${c.name} (input reversed: same output)`, () => expect(translateCase({ ...c, reverse: true })).toEqual(c.want));
  }

  it('never puts key material in a problem', () => {
    const { problems } = translateCase({ name: 'tls-invalid', want: undefined as unknown as TranslateResult });
    const key = pemOf('tls-invalid', 'foo-cert').keyPem;
    const body = key.split('\n')[1]!;
    for (const p of problems) {
      expect(p.message).not.toContain('PRIVATE KEY');
      expect(p.message).not.toContain(body.slice(0, 16));
    }
  });

  it('the certificates record is in key order whatever the input order (serialized output equal)', () => {
    const a = JSON.stringify(translateCase({ name: 'tls-valid', want: undefined as unknown as TranslateResult }));
    const b = JSON.stringify(translateCase({ name: 'tls-valid', reverse: true, want: undefined as unknown as TranslateResult }));
    expect(b).toBe(a);
  });
});

describe('readTlsSecret', () => {
  const valid = loadSnapshot('tls-valid').secrets.find((s) => s.metadata.name === 'foo-cert')!;
  const rows: { name: string; data: Record<string, string> | undefined; reason: string }[] = [
    { name: 'no data', data: undefined, reason: 'InvalidTLSSecret' },
    { name: 'tls.key missing', data: { 'tls.crt': valid.data!['tls.crt']! }, reason: 'InvalidTLSSecret' },
    { name: 'tls.crt not base64', data: { ...valid.data, 'tls.crt': '%%%' }, reason: 'InvalidTLSSecret' },
    { name: 'tls.key not a key', data: { ...valid.data, 'tls.key': Buffer.from('junk').toString('base64') }, reason: 'InvalidTLSSecret' },
  ];
  for (const row of rows) {
    it(`rejects ${row.name}`, () => {
      const result = readTlsSecret({ ...valid, data: row.data });
      expect(result).toMatchObject({ ok: false, reason: row.reason });
    });
  }
  it('accepts a valid Secret', () => expect(readTlsSecret(valid).ok).toBe(true));
  it('reports a missing Secret as not found', () => expect(readTlsSecret(undefined)).toMatchObject({ ok: false, reason: 'TLSSecretNotFound' }));
});
