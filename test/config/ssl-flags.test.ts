import { describe, expect, it } from 'vitest';
import { helpText } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { DEFAULT_SSL_CIPHERS } from '../../src/ssl-flags.ts';
import { serve } from './serve-config.ts';

/** ingress-nginx's ssl-ciphers default, as configmap.md writes it. */
const INGRESS_NGINX_CIPHERS = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256';

describe('--ssl-protocols', () => {
  it.each([
    ['default: ingress-nginx\'s TLSv1.2 TLSv1.3', [], {}, 'TLSv1.2', 'TLSv1.3'],
    ['TLS 1.3 only', ['--ssl-protocols', 'TLSv1.3'], {}, 'TLSv1.3', 'TLSv1.3'],
    ['TLS 1.2 only', ['--ssl-protocols', 'TLSv1.2'], {}, 'TLSv1.2', 'TLSv1.2'],
    ['every TLS version, in any order and case (nginx reads them without case)', ['--ssl-protocols', 'tlsv1.3  TLSv1 TLSV1.2 TLSv1.1'], {}, 'TLSv1', 'TLSv1.3'],
    ['a name twice, commas between', ['--ssl-protocols', 'TLSv1.2,TLSv1.3,TLSv1.3'], {}, 'TLSv1.2', 'TLSv1.3'],
    ['from the environment', [], { PIER_SSL_PROTOCOLS: 'TLSv1.3' }, 'TLSv1.3', 'TLSv1.3'],
    ['the flag wins over the environment', ['--ssl-protocols', 'TLSv1.2'], { PIER_SSL_PROTOCOLS: 'TLSv1.3' }, 'TLSv1.2', 'TLSv1.2'],
  ] as const)('%s', (_name, args, env, minVersion, maxVersion) => {
    expect(serve([...args], env).sslProtocols).toEqual({ minVersion, maxVersion });
  });

  it.each([
    ['a gap', 'TLSv1 TLSv1.2', 'one range without gaps, such as TLSv1.2 TLSv1.3: Node enables every version from the lowest to the highest named, so add TLSv1.1 or leave out the versions on one side of it'],
    ['a gap of two', 'TLSv1 TLSv1.3', 'one range without gaps, such as TLSv1.2 TLSv1.3: Node enables every version from the lowest to the highest named, so add TLSv1.1, TLSv1.2 or leave out the versions on one side of it'],
    ['SSLv3', 'SSLv3 TLSv1 TLSv1.1 TLSv1.2', 'TLS versions only: SSLv3 cannot be enabled, Node\'s OpenSSL speaks TLSv1 to TLSv1.3'],
    ['SSLv2', 'SSLv2', 'TLS versions only: SSLv2 cannot be enabled, Node\'s OpenSSL speaks TLSv1 to TLSv1.3'],
    ['an unknown name', 'TLSv1.4', 'TLS versions from TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, separated by spaces'],
    ['Node\'s spelling of a range', 'TLSv1.2-TLSv1.3', 'TLS versions from TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, separated by spaces'],
    ['nothing', ' ', 'TLS versions separated by spaces, such as TLSv1.2 TLSv1.3'],
  ])('%s is refused, naming the flag', (_name, value, expected) => {
    const parse = () => serve(['--ssl-protocols', value]);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(`invalid value for --ssl-protocols: ${JSON.stringify(value)} (expected ${expected})`);
  });

  it('a bad value from PIER_SSL_PROTOCOLS names the variable and the flag', () => {
    expect(() => serve([], { PIER_SSL_PROTOCOLS: 'TLSv1 TLSv1.3' })).toThrow('invalid value for PIER_SSL_PROTOCOLS (--ssl-protocols): "TLSv1 TLSv1.3"');
  });
});

describe('--ssl-ciphers', () => {
  it('defaults to ingress-nginx\'s list, as written in its configmap.md', () => {
    expect(DEFAULT_SSL_CIPHERS).toBe(INGRESS_NGINX_CIPHERS);
    expect(serve([]).sslCiphers).toBe(INGRESS_NGINX_CIPHERS);
  });

  it.each([
    ['one cipher', ['--ssl-ciphers', 'ECDHE-ECDSA-AES256-GCM-SHA384'], {}, 'ECDHE-ECDSA-AES256-GCM-SHA384'],
    ['OpenSSL\'s operators and commands', ['--ssl-ciphers', 'HIGH:!aNULL:!MD5:+ECDHE-ECDSA-AES128-GCM-SHA256:@STRENGTH:@SECLEVEL=2'], {}, 'HIGH:!aNULL:!MD5:+ECDHE-ECDSA-AES128-GCM-SHA256:@STRENGTH:@SECLEVEL=2'],
    ['unknown names next to known ones (skipped by OpenSSL, as nginx)', ['--ssl-ciphers', 'NOT-A-CIPHER:ECDHE-ECDSA-AES128-GCM-SHA256'], {}, 'NOT-A-CIPHER:ECDHE-ECDSA-AES128-GCM-SHA256'],
    ['TLS 1.3 suites next to TLS 1.2 ciphers', ['--ssl-ciphers', 'TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256'], {}, 'TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256'],
    ['TLS 1.3 suites alone when only TLS 1.3 is on', ['--ssl-protocols', 'TLSv1.3', '--ssl-ciphers', 'TLS_CHACHA20_POLY1305_SHA256'], {}, 'TLS_CHACHA20_POLY1305_SHA256'],
    ['trimmed, from the environment', [], { PIER_SSL_CIPHERS: ' ECDHE-RSA-AES128-GCM-SHA256 ' }, 'ECDHE-RSA-AES128-GCM-SHA256'],
  ] as const)('%s', (_name, args, env, want) => {
    expect(serve([...args], env).sslCiphers).toBe(want);
  });

  it.each([
    ['a name OpenSSL does not know', ['--ssl-ciphers', 'NOT-A-CIPHER'], 'OpenSSL knows none of these ciphers'],
    ['an unknown TLS 1.3 suite', ['--ssl-ciphers', 'TLS_NOT_A_SUITE:ECDHE-RSA-AES128-GCM-SHA256'], 'OpenSSL knows none of these ciphers'],
    ['everything excluded', ['--ssl-ciphers', '!ALL'], 'OpenSSL knows none of these ciphers'],
    ['a character outside ingress-nginx\'s check', ['--ssl-ciphers', 'HIGH;rm -rf'], '(letters, digits, ! + - _ : and @STRENGTH, @SECLEVEL=N)'],
    ['a quote', ['--ssl-ciphers', "HIGH'"], '(letters, digits, ! + - _ : and @STRENGTH, @SECLEVEL=N)'],
    ['nothing', ['--ssl-ciphers', '  '], '(letters, digits, ! + - _ : and @STRENGTH, @SECLEVEL=N)'],
    ['TLS 1.3 suites alone while TLS 1.2 is the highest version', ['--ssl-protocols', 'TLSv1.2', '--ssl-ciphers', 'TLS_AES_128_GCM_SHA256'], 'these are TLS 1.3 suites only (TLS_...) and --ssl-protocols enables no TLSv1.3'],
  ])('%s is refused, naming the flag', (_name, args, expected) => {
    const value = args[args.length - 1]!;
    const parse = () => serve(args);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(`invalid value for --ssl-ciphers: ${JSON.stringify(value)} (expected `);
    expect(parse).toThrow(expected);
  });

  it('a long list that fails the character check is refused at once (no backtracking)', () => {
    const started = performance.now();
    expect(() => serve(['--ssl-ciphers', `${'A'.repeat(5000)}@`])).toThrow(ConfigError);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('--help shows both flags with ingress-nginx\'s defaults and their PIER_* variables', () => {
    expect(helpText()).toContain('--ssl-protocols VERSIONS');
    expect(helpText()).toContain('[default: TLSv1.2 TLSv1.3]  (PIER_SSL_PROTOCOLS)');
    expect(helpText()).toContain(`--ssl-ciphers LIST`);
    expect(helpText()).toContain(`[default: ${INGRESS_NGINX_CIPHERS}]  (PIER_SSL_CIPHERS)`);
  });
});
