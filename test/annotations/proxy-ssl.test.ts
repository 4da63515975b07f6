import { describe, expect, it } from 'vitest';
import type { Ingress } from '../../src/source/objects.ts';
import { parseAnnotations } from '../../src/translate/annotations/parse-annotations.ts';
import type { ProxySslSettings } from '../../src/translate/annotations/proxy-ssl.ts';

/*
 * The proxy-ssl-* family as a table: annotations in, the backend's proxy-ssl settings out (the
 * Secret itself is read later, when the backend is resolved), or the exact problem text.
 */

const N = 'nginx.ingress.kubernetes.io/';
const P = 'pier.dev/';

function parse(annotations: Record<string, string>) {
  const ingress: Ingress = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default', annotations }, spec: {} };
  return parseAnnotations(ingress);
}

const DEFAULTS: ProxySslSettings = { secret: 'default/backend', verify: false, verifyDepth: 1, serverName: false };

const valid: { name: string; annotations: Record<string, string>; want: ProxySslSettings | undefined }[] = [
  { name: 'the Secret alone: verify off, depth 1, no SNI, Node\'s ciphers and protocols', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend' }, want: DEFAULTS },
  {
    name: 'every annotation',
    annotations: {
      [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-verify`]: 'on', [`${N}proxy-ssl-verify-depth`]: '3', [`${N}proxy-ssl-name`]: 'backend.internal',
      [`${N}proxy-ssl-server-name`]: 'on', [`${N}proxy-ssl-ciphers`]: 'ECDHE-RSA-AES128-GCM-SHA256:!aNULL', [`${N}proxy-ssl-protocols`]: 'TLSv1.2 TLSv1.3',
    },
    want: { ...DEFAULTS, verify: true, verifyDepth: 3, name: 'backend.internal', serverName: true, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:!aNULL', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' },
  },
  { name: 'a bare Secret name (read in the Ingress\'s namespace)', annotations: { [`${N}proxy-ssl-secret`]: 'backend' }, want: { ...DEFAULTS, secret: 'backend' } },
  { name: 'verify-depth 0 is 1, as ingress-nginx', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-verify-depth`]: '0' }, want: DEFAULTS },
  { name: 'protocols with a gap: the range from the lowest to the highest', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-protocols`]: 'TLSv1.2  TLSv1' }, want: { ...DEFAULTS, minVersion: 'TLSv1', maxVersion: 'TLSv1.2' } },
  { name: 'SSLv2/SSLv3 next to TLS versions are dropped (Node cannot speak them)', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-protocols`]: 'SSLv3 TLSv1.2' }, want: { ...DEFAULTS, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } },
  { name: 'empty ciphers, protocols and name are absent', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-ciphers`]: '', [`${N}proxy-ssl-protocols`]: ' ', [`${N}proxy-ssl-name`]: '' }, want: DEFAULTS },
  { name: 'pier.dev/ wins over nginx', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-verify`]: 'off', [`${P}proxy-ssl-verify`]: 'on' }, want: { ...DEFAULTS, verify: true } },
  { name: 'without proxy-ssl-secret the others have no effect (as ingress-nginx)', annotations: { [`${N}proxy-ssl-verify`]: 'on', [`${N}proxy-ssl-name`]: 'backend.internal' }, want: undefined },
];

describe('proxy-ssl-*: valid values', () => {
  it.each(valid)('$name', ({ annotations, want }) => {
    const parsed = parse(annotations);
    expect(parsed.problems).toEqual([]);
    expect(parsed.rejected).toBe(false);
    expect(parsed.settings.backend.proxySsl).toEqual(want);
  });
});

const invalid: { name: string; annotations: Record<string, string>; message: string }[] = [
  { name: 'verify neither on nor off', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-verify`]: 'true' }, message: `annotation ${N}proxy-ssl-verify: "true" is not one of on, off` },
  { name: 'server-name neither on nor off', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-server-name`]: 'yes' }, message: `annotation ${N}proxy-ssl-server-name: "yes" is not one of on, off` },
  { name: 'verify-depth not a number', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-verify-depth`]: 'deep' }, message: `annotation ${N}proxy-ssl-verify-depth: "deep" is not a whole number` },
  { name: 'verify-depth out of range', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-verify-depth`]: '101' }, message: `annotation ${N}proxy-ssl-verify-depth: "101" must be between 0 and 100` },
  { name: 'name with an nginx variable', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-name`]: '$host' }, message: `annotation ${N}proxy-ssl-name: "$host" is not a host name (nginx variables are not supported)` },
  { name: 'ciphers with a character OpenSSL lists never have', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-ciphers`]: 'HIGH;rm' }, message: `annotation ${N}proxy-ssl-ciphers: "HIGH;rm" is not an OpenSSL cipher list` },
  { name: 'ciphers OpenSSL does not know', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-ciphers`]: 'NO-SUCH-CIPHER' }, message: `annotation ${N}proxy-ssl-ciphers: "NO-SUCH-CIPHER" names no cipher OpenSSL knows` },
  { name: 'an unknown protocol', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-protocols`]: 'TLSv1.2 TLSv1.4' }, message: `annotation ${N}proxy-ssl-protocols: "TLSv1.2 TLSv1.4" names TLSv1.4: use SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3` },
  { name: 'only protocols Node cannot speak', annotations: { [`${N}proxy-ssl-secret`]: 'default/backend', [`${N}proxy-ssl-protocols`]: 'SSLv2 SSLv3' }, message: `annotation ${N}proxy-ssl-protocols: "SSLv2 SSLv3" enables only SSLv2/SSLv3, which Node cannot speak: name TLSv1 to TLSv1.3` },
  { name: 'a Secret name with a space', annotations: { [`${N}proxy-ssl-secret`]: 'default/my secret' }, message: `annotation ${N}proxy-ssl-secret: "default/my secret" is not a Secret name (namespace/name)` },
  { name: 'an invalid value without the Secret still rejects', annotations: { [`${N}proxy-ssl-verify`]: 'maybe' }, message: `annotation ${N}proxy-ssl-verify: "maybe" is not one of on, off` },
];

describe('proxy-ssl-*: invalid values reject the Ingress with a problem naming the annotation', () => {
  it.each(invalid)('$name', ({ annotations, message }) => {
    const parsed = parse(annotations);
    expect(parsed.rejected).toBe(true);
    expect(parsed.problems).toEqual([{ kind: 'Ingress', namespace: 'default', name: 'web', reason: 'InvalidAnnotation', message: `Ingress skipped: ${message}`, severity: 'Warning' }]);
  });
});
