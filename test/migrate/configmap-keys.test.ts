import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTIONS, parseCommandLine, type PierConfig } from '../../src/config.ts';
import type { ConfigMapData } from '../../src/migrate/configmap-key.ts';
import { CONFIGMAP_KEYS, configMapKey } from '../../src/migrate/configmap-keys.ts';
import { judgeKey } from '../../src/migrate/configmap-report.ts';
import { checkedInKeys, deriveKeys } from '../../scripts/ingress-nginx-configmap-keys.ts';

/*
 * The ConfigMap table (src/migrate/configmap-keys*.ts): one row per key ingress-nginx reads, and
 * every `flag` row's conversion accepted by Pier's own flag parser, so neither can drift.
 */

/** ingress-nginx's repository (a checkout or git directory), to re-derive the checked-in key
 * list: INGRESS_NGINX_REPO=/path/to/ingress-nginx npx vitest run test/migrate/configmap-keys.test.ts */
const REPO = process.env.INGRESS_NGINX_REPO;
if (REPO === undefined || !existsSync(REPO)) console.warn('configmap-keys: re-deriving the key list from ingress-nginx\'s repository skipped: set INGRESS_NGINX_REPO to a checkout or git directory of it (the checked-in list is still compared)');

function serve(args: readonly string[]): PierConfig {
  const r = parseCommandLine(['serve', ...args], {});
  if (r.command !== 'serve') throw new Error('not serve');
  return r.config;
}

function argsOf(key: string, data: ConfigMapData): readonly string[] {
  const c = configMapKey(key)!.convert!(data[key]!, data);
  if ('error' in c) throw new Error(`${key}: ${c.error}`);
  return c.args;
}

/** What a group key needs beside it to produce its flag (the gzip keys need gzip on, ...). */
const CONTEXT: Readonly<Record<string, ConfigMapData>> = {
  'gzip-types': { 'use-gzip': 'true' }, 'gzip-min-length': { 'use-gzip': 'true' },
  'brotli-types': { 'enable-brotli': 'true' }, 'brotli-min-length': { 'enable-brotli': 'true' },
  'proxy-real-ip-cidr': { 'use-forwarded-headers': 'true' },
};

/** Flags a key's flag needs beside it that no ConfigMap key gives (ingress-nginx's own flags). */
const NEEDS: Readonly<Record<string, readonly string[]>> = {
  'custom-http-errors': ['--default-backend-service=ingress-nginx/default-http-backend'],
};

/** ingress-nginx's defaults (config.go NewDefault) for the flag keys whose default makes a flag. */
const DEFAULTS: Readonly<Record<string, string>> = {
  'keep-alive': '75', 'keep-alive-requests': '1000', 'client-header-timeout': '60', 'client-body-timeout': '60', 'large-client-header-buffers': '4 8k',
  'proxy-body-size': '1m', 'proxy-connect-timeout': '5', 'proxy-send-timeout': '60', 'proxy-read-timeout': '60', 'upstream-keepalive-connections': '320',
  'upstream-keepalive-requests': '10000', 'upstream-keepalive-time': '1h', 'upstream-keepalive-timeout': '60', 'ssl-redirect': 'true', 'force-ssl-redirect': 'false',
  'http-redirect-code': '308', 'no-tls-redirect-locations': '/.well-known/acme-challenge', 'limit-req-status-code': '503', 'limit-conn-status-code': '503',
  'ssl-protocols': 'TLSv1.2 TLSv1.3', 'hsts': 'true', 'hsts-max-age': '31536000', 'hsts-include-subdomains': 'true', 'hsts-preload': 'false',
  'http2-max-concurrent-streams': '128', 'error-log-level': 'notice', 'worker-shutdown-timeout': '240s', 'access-log-path': '/var/log/nginx/access.log',
  'disable-access-log': 'false', 'disable-http-access-log': 'false', 'ssl-ciphers': 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256',
};

describe('the ConfigMap table covers exactly the keys ingress-nginx reads', () => {
  it('has one row per key of the checked-in list (192 table rows, 3 sections, 14 undocumented)', () => {
    const listed = checkedInKeys();
    const keys = CONFIGMAP_KEYS.map((k) => k.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(listed.map((k) => k.key).sort());
    expect(listed.filter((k) => k.source === 'table')).toHaveLength(192);
    expect(listed.filter((k) => k.source === 'section').map((k) => k.key)).toEqual(['ssl-early-data', 'jaeger-tracer-baggage-header-prefix', 'global-auth-always-set-cookie']);
    expect(listed.filter((k) => k.source === 'source')).toHaveLength(14);
  });

  it.skipIf(REPO === undefined || !existsSync(REPO))('the checked-in list is what scripts/ingress-nginx-configmap-keys.ts derives from INGRESS_NGINX_REPO', () => {
    expect(deriveKeys(REPO!)).toEqual(checkedInKeys());
  });

  it('every row has what its status needs', () => {
    for (const k of CONFIGMAP_KEYS) {
      expect(k.note, k.key).not.toBe('');
      if (k.status === 'flag') expect([k.flags?.length, typeof k.convert, typeof k.example], k.key).toEqual([1, 'function', 'string']);
      else expect([k.flags, k.convert, k.example], k.key).toEqual([undefined, undefined, undefined]);
      if (k.fails === true) expect(['always', 'unsupported'], k.key).toContain(k.status);
      if (k.status === 'unsupported' && k.fails === true) expect(typeof k.honours, `${k.key}: a failing key must pass at its harmless value`).toBe('function');
    }
  });
});

describe('each flag row\'s conversion is accepted by Pier\'s flag parser (src/config.ts)', () => {
  const flagRows = CONFIGMAP_KEYS.filter((k) => k.status === 'flag');

  it.each(flagRows.map((k) => [k.key, k.example!]))('%s: %j', (key, example) => {
    const row = configMapKey(key)!;
    const args = argsOf(key, { ...CONTEXT[key], [key]: example });
    expect(args.length, 'the example turns into a flag').toBeGreaterThan(0);
    for (const arg of args) expect(row.flags, arg).toContain(/^--([^=]+)/.exec(arg)![1]);
    for (const flag of row.flags!) expect(Object.keys(OPTIONS)).toContain(flag);
    expect(() => serve([...args, ...(NEEDS[key] ?? [])])).not.toThrow();
  });

  it.each(Object.entries(DEFAULTS))('%s at ingress-nginx\'s default %j', (key, value) => {
    const args = argsOf(key, { [key]: value });
    expect(args.length).toBeGreaterThan(0);
    expect(() => serve(args)).not.toThrow();
  });

  it('the parsed configuration is what the ConfigMap asked for', () => {
    const config = (data: ConfigMapData) => serve(Object.keys(data).flatMap((k) => argsOf(k, data)));
    expect(config({ 'proxy-read-timeout': '120', 'proxy-connect-timeout': '1m30s' }).backendDefaults.timeouts).toMatchObject({ readMs: 120_000, connectMs: 90_000 });
    expect(config({ 'proxy-body-size': '8m' }).maxBodySize).toBe(8 * 1024 * 1024);
    expect(config({ 'large-client-header-buffers': '4 8k' }).maxHeaderSize).toBe(32 * 1024);
    expect(config({ 'keep-alive': '0', 'keep-alive-requests': '50' })).toMatchObject({ keepaliveTimeoutMs: 0, keepaliveRequests: 50 });
    expect(config({ 'error-log-level': 'notice' }).logLevel).toBe('info');
    expect(config({ 'error-log-level': 'crit' }).logLevel).toBe('fatal');
    expect(config({ 'worker-processes': '3', 'worker-shutdown-timeout': '240s' })).toMatchObject({ workers: 3, shutdownTimeoutMs: 240_000 });
    expect(config({ hsts: 'true', 'hsts-max-age': '63072000', 'hsts-preload': 'true' }).hsts).toBe('max-age=63072000; includeSubDomains; preload');
    expect(config({ hsts: 'False', 'hsts-max-age': '63072000' }).hsts).toBe('');
    expect(config({ 'use-gzip': 'true', 'enable-brotli': 'true', 'gzip-min-length': '1000' }).annotationDefaults.compression).toMatchObject({ codings: ['br', 'gzip'], minLength: 1000 });
    expect(config({ 'use-forwarded-headers': 'true', 'proxy-real-ip-cidr': '10.0.0.0/8, 192.168.1.7' }).trustedProxies).toEqual(['10.0.0.0/8', '192.168.1.7/32']);
    expect(config({ 'use-forwarded-headers': 'true' }).trustedProxies).toEqual(['0.0.0.0/0']);
    expect(config({ 'ssl-redirect': 'F', 'force-ssl-redirect': 'TRUE' }).annotationDefaults).toMatchObject({ sslRedirect: false, forceSslRedirect: true });
    expect(config({ 'use-proxy-protocol': 'true' }).proxyProtocol).toBe(true);
    expect(config({ 'disable-access-log': 'false' }).accessLog).toBe('stdout');
    expect(config({ 'disable-access-log': 'false', 'access-log-path': '/var/log/pier/access.log' }).accessLog).toBe('/var/log/pier/access.log');
    expect(config({ 'disable-access-log': 'true', 'access-log-path': '/var/log/pier/access.log' }).accessLog).toBeUndefined();
    expect(config({ 'upstream-keepalive-time': '1h30m', 'upstream-keepalive-connections': '0' }).backendDefaults.keepalive).toMatchObject({ timeMs: 5_400_000, connections: 0 });
    expect(config({ 'bind-address': '127.0.0.1' }).bindAddress).toBe('127.0.0.1');
    expect(config({ 'ssl-protocols': 'TLSv1.3' }).sslProtocols).toEqual({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  });
});

describe('judging one key', () => {
  const judge = (data: ConfigMapData, key = Object.keys(data)[0]!) => judgeKey(key, data[key]!, data);

  it('a value Pier\'s flag refuses is REFUSED with Pier\'s own message', () => {
    expect(judge({ 'ssl-protocols': 'SSLv3 TLSv1.2' })).toMatchObject({ verdict: 'REFUSED', why: expect.stringMatching(/^pier: invalid value for --ssl-protocols: "SSLv3 TLSv1.2" \(expected TLS versions only: SSLv3 cannot be enabled/) });
    expect(judge({ 'http-redirect-code': '303' }).why).toBe('pier: invalid value for --http-redirect-code: "303" (expected 301, 302, 307 or 308)');
    expect(judge({ 'bind-address': '10.0.0.1,fd00::1' })).toMatchObject({ verdict: 'REFUSED', why: expect.stringContaining('Pier binds one address, not 2') });
    expect(judge({ 'use-gzip': 'yes please' })).toMatchObject({ verdict: 'REFUSED', why: '"yes please" is not a boolean ingress-nginx reads (true or false)' });
  });

  it('always: ok for the value Pier matches; the other is ignored, or LOST where it matters', () => {
    expect(judge({ 'generate-request-id': 'true' }).verdict).toBe('ok');
    expect(judge({ 'generate-request-id': 'false' }).verdict).toBe('ignored');
    expect(judge({ 'allow-cross-namespace-resources': 'true' }).verdict).toBe('LOST');
    expect(judge({ 'annotations-risk-level': 'Critical' }).verdict).toBe('ok');
    expect(judge({ 'annotations-risk-level': 'Medium' }).verdict).toBe('LOST');
  });

  it('unsupported: ok at a harmless value, LOST when security or routing changes, else ignored', () => {
    expect(judge({ 'enable-modsecurity': 'false' })).toMatchObject({ verdict: 'ok', why: 'nothing to carry over' });
    expect(judge({ 'enable-modsecurity': 'true' }).verdict).toBe('LOST');
    expect(judge({ 'global-auth-snippet': 'set $x 1;' }).verdict).toBe('ok');
    expect(judge({ 'global-auth-snippet': 'set $x 1;', 'global-auth-url': 'https://a/' }).verdict).toBe('ignored');
    expect(judge({ 'gzip-level': '5' }).verdict).toBe('ignored');
    expect(judge({ 'forwarded-host-header': 'x-forwarded-host' }).verdict).toBe('ok');
    expect(judge({ 'forwarded-host-header': 'X-Original-Host' }).verdict).toBe('LOST');
  });

  it('per-ingress, not-needed, inert and unknown keys', () => {
    expect(judge({ 'load-balance': 'round_robin' }).verdict).toBe('ok');
    expect(judge({ 'load-balance': 'ewma' }).verdict).toBe('per-ingress');
    expect(judge({ 'proxy-next-upstream': 'error timeout' }).verdict).toBe('per-ingress');
    expect(judge({ 'map-hash-bucket-size': '128' }).verdict).toBe('no-op');
    expect(judge({ 'jaeger-collector-host': 'jaeger' }).verdict).toBe('no-op');
    expect(judge({ 'not-a-key': 'x' }).verdict).toBe('unknown');
  });

  it('a group key that another decides is ignored, not a second flag', () => {
    expect(judge({ 'brotli-types': 'text/css', 'enable-brotli': 'true', 'use-gzip': 'true' })).toMatchObject({ verdict: 'ignored', args: [] });
    expect(judge({ 'access-log-path': '/var/log/a.log', 'http-access-log-path': '/var/log/b.log' })).toMatchObject({ verdict: 'ok', args: [] });
    expect(judge({ 'access-log-path': 'syslog:server=10.0.0.1' })).toMatchObject({ verdict: 'REFUSED' });
    expect(judge({ 'worker-processes': 'auto' })).toMatchObject({ verdict: 'ok', args: [] });
  });
});
