import { describe, expect, it } from 'vitest';
import type { Ingress } from '../../src/source/objects.ts';
import { translate } from '../../src/translate/translate.ts';
import { OPTIONS, problem } from './builders.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * ssl-ciphers and ssl-prefer-server-ciphers as ingress-nginx resolves them per server block:
 * the host's first Ingress (by precedence) that sets each one wins, canaries set none, aliases
 * share the host's, a bad value is reported and leaves the host with the controller's settings
 * while the Ingress is served.
 */

const NGINX = 'nginx.ingress.kubernetes.io/';
const STRICT = 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384';

function ingress(name: string, hosts: (string | undefined)[], annotations: Record<string, string> = {}, created = '2020-01-01T00:00:00Z', path = `/${name}`): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default', annotations, creationTimestamp: created },
    spec: {
      ingressClassName: 'pier',
      rules: hosts.map((host) => ({ ...(host === undefined ? {} : { host }), http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: 'a', port: { number: 80 } } } }] } })),
    },
  } as Ingress;
}

function run(ingresses: Ingress[]) {
  const snapshot = loadSnapshot('server-alias');
  return translate({ ...snapshot, ingresses }, OPTIONS);
}

/** Each host's cipher fields, `-` when it has none. */
function ciphersOf(result: ReturnType<typeof run>): Record<string, string> {
  return Object.fromEntries(result.table.virtualHosts.map((v) => [v.host, `${v.sslCiphers ?? '-'} ${v.sslPreferServerCiphers ?? '-'}`]));
}

describe('translate: ssl-ciphers, ssl-prefer-server-ciphers', () => {
  it('apply to every host of the Ingress, not to other hosts; the Ingress is served without problems', () => {
    const result = run([ingress('tls', ['a.test', 'b.test'], { [`${NGINX}ssl-ciphers`]: STRICT, [`${NGINX}ssl-prefer-server-ciphers`]: 'false' }), ingress('other', ['c.test'])]);
    expect(ciphersOf(result)).toEqual({ 'a.test': `${STRICT} false`, 'b.test': `${STRICT} false`, 'c.test': '- -' });
    expect(result.problems).toEqual([]);
  });

  it.each([
    ['true', true], ['True', true], ['1', true], ['false', false], ['F', false], ['0', false],
  ] as const)('ssl-prefer-server-ciphers %s reads as Go\'s ParseBool: %s', (value, want) => {
    const result = run([ingress('tls', ['a.test'], { [`${NGINX}ssl-prefer-server-ciphers`]: value })]);
    expect(result.table.virtualHosts[0]!.sslPreferServerCiphers).toBe(want);
    expect(result.table.virtualHosts[0]!.sslCiphers).toBeUndefined();
  });

  it('OpenSSL\'s syntax as ingress-nginx allows it: operators, @STRENGTH, @SECLEVEL, TLS 1.3 suite names; pier.dev/ wins', () => {
    const list = 'HIGH:!aNULL:!MD5:+ECDHE-RSA-AES128-GCM-SHA256:@STRENGTH:@SECLEVEL=2:TLS_AES_128_GCM_SHA256';
    expect(run([ingress('tls', ['a.test'], { [`${NGINX}ssl-ciphers`]: ` ${list} ` })]).table.virtualHosts[0]!.sslCiphers).toBe(list);
    const both = run([ingress('tls', ['a.test'], { [`${NGINX}ssl-ciphers`]: 'HIGH', 'pier.dev/ssl-ciphers': STRICT })]);
    expect(both.table.virtualHosts[0]!.sslCiphers).toBe(STRICT);
  });

  it.each([
    ['a character ingress-nginx refuses', 'ssl-ciphers', 'HIGH;!aNULL', 'is not an OpenSSL cipher list (letters, digits, ! + - _ : and @STRENGTH, @SECLEVEL=N); ignored: the Ingress is served and its hosts keep the controller\'s --ssl-ciphers'],
    ['a list OpenSSL knows nothing of', 'ssl-ciphers', 'NOT-A-CIPHER:ALSO-NOT', 'names no cipher OpenSSL knows; ignored: the Ingress is served and its hosts keep the controller\'s --ssl-ciphers'],
    ['an unknown TLS 1.3 suite', 'ssl-ciphers', 'TLS_NOT_A_SUITE', 'names no cipher OpenSSL knows'],
    ['not a boolean', 'ssl-prefer-server-ciphers', 'yes', 'is not a boolean (use "true" or "false"); ignored: the Ingress is served and its hosts keep the controller\'s order (the server\'s)'],
  ])('%s: a Warning naming the annotation; the host keeps the controller\'s settings and the Ingress serves', (_name, annotation, value, why) => {
    const result = run([ingress('tls', ['a.test'], { [`${NGINX}${annotation}`]: value })]);
    expect(ciphersOf(result)).toEqual({ 'a.test': '- -' });
    expect(result.table.virtualHosts[0]!.routes.map((r) => r.path)).toEqual(['/tls']);
    expect(result.problems).toEqual([problem('default/tls', 'IgnoredAnnotation', `annotation ${NGINX}${annotation}: ${JSON.stringify(value)} ${why}`)]);
  });

  it('an empty ssl-ciphers is no setting (ingress-nginx: "")', () => {
    const result = run([ingress('tls', ['a.test'], { [`${NGINX}ssl-ciphers`]: ' ' })]);
    expect(ciphersOf(result)).toEqual({ 'a.test': '- -' });
    expect(result.problems).toEqual([]);
  });

  it('two Ingresses of one host: the older wins each setting on its own; the other gets SSLCiphersConflict (Normal)', () => {
    const result = run([
      ingress('newer', ['a.test'], { [`${NGINX}ssl-ciphers`]: 'HIGH', [`${NGINX}ssl-prefer-server-ciphers`]: 'false' }, '2021-01-01T00:00:00Z'),
      ingress('older', ['a.test'], { [`${NGINX}ssl-ciphers`]: STRICT }, '2020-01-01T00:00:00Z'),
      ingress('same', ['a.test'], { [`${NGINX}ssl-ciphers`]: STRICT }, '2022-01-01T00:00:00Z'),
    ]);
    expect(ciphersOf(result)).toEqual({ 'a.test': `${STRICT} false` });
    expect(result.problems).toEqual([problem('default/newer', 'SSLCiphersConflict', 'ssl-ciphers for host a.test ignored: Ingress default/older sets it for this host and takes precedence', 'Normal')]);
  });

  it('an Ingress whose routes all lost a conflict still sets the host\'s ciphers (ingress-nginx reads every Ingress of the server)', () => {
    const loser = ingress('b-loser', ['a.test'], { [`${NGINX}ssl-ciphers`]: STRICT }, '2021-01-01T00:00:00Z');
    const winner = ingress('a-winner', ['a.test'], {}, '2020-01-01T00:00:00Z', '/b-loser');
    const result = run([loser, winner]);
    expect(result.table.virtualHosts[0]!.routes.map((r) => r.origin)).toEqual(['default/a-winner']);
    expect(ciphersOf(result)).toEqual({ 'a.test': `${STRICT} -` });
  });

  it('a canary Ingress sets none; an Ingress skipped as invalid sets none', () => {
    const main = ingress('main', ['a.test']);
    const canary = ingress('canary', ['a.test'], { [`${NGINX}canary`]: 'true', [`${NGINX}canary-weight`]: '10', [`${NGINX}ssl-ciphers`]: STRICT }, undefined, '/main');
    const invalid = ingress('invalid', ['b.test'], { [`${NGINX}ssl-ciphers`]: STRICT, [`${NGINX}proxy-body-size`]: 'huge' });
    const result = run([main, canary, invalid, ingress('b', ['b.test'])]);
    expect(ciphersOf(result)).toEqual({ 'a.test': '- -', 'b.test': '- -' });
  });

  it('aliases get the host\'s settings; a from-to-www redirect host does not (a server block of its own)', () => {
    const result = run([ingress('tls', ['shop.test'], { [`${NGINX}ssl-ciphers`]: STRICT, [`${NGINX}server-alias`]: 'store.test', [`${NGINX}from-to-www-redirect`]: 'true' })]);
    expect(ciphersOf(result)).toEqual({ 'shop.test': `${STRICT} -`, 'store.test': `${STRICT} -`, 'www.shop.test': '- -' });
  });

  it('rules without host set them on the any-host entry (nginx\'s default server) and wildcard hosts on theirs', () => {
    const result = run([ingress('any', [undefined], { [`${NGINX}ssl-ciphers`]: STRICT }), ingress('wild', ['*.wild.test'], { [`${NGINX}ssl-prefer-server-ciphers`]: 'false' })]);
    expect(ciphersOf(result)).toEqual({ '*.wild.test': '- false', '': `${STRICT} -` });
  });

  it('are no longer reported as unsupported', () => {
    const result = run([ingress('tls', ['a.test'], { [`${NGINX}ssl-ciphers`]: STRICT, [`${NGINX}ssl-prefer-server-ciphers`]: 'true' })]);
    expect(result.problems.filter((p) => p.reason === 'UnsupportedAnnotation')).toEqual([]);
  });
});
