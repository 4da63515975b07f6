import type { TlsVersion } from '../../routing/route-table.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';
import { opensslAcceptsCiphers } from './openssl-ciphers.ts';

/** ingress-nginx's BasicCharsRegex (proxy-ssl-secret) and proxy-ssl-ciphers check. */
const SECRET_REF = /^[-._~a-zA-Z0-9/:]+$/;
const CIPHERS = /^[A-Za-z0-9+:_\-!]*$/;
/** A DNS name or address: no nginx variable (Pier evaluates none). */
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;
const ON_OFF = ['on', 'off'] as const;
/** Node's versions, lowest first; ingress-nginx also names SSLv2 and SSLv3, which OpenSSL 3
 * (and so Node) cannot speak at all. */
const VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const UNSPEAKABLE = new Set(['SSLv2', 'SSLv3']);

/** What the proxy-ssl-* annotations ask for, before their Secret is read (proxy-ssl-secret.ts). */
export interface ProxySslSettings {
  /** `namespace/name` as written (a bare name: the Ingress's namespace). */
  readonly secret: string;
  readonly verify: boolean;
  readonly verifyDepth: number;
  /** proxy_ssl_name: the name the certificate is checked against (and the SNI with serverName). */
  readonly name?: string;
  /** proxy_ssl_server_name on: send SNI. */
  readonly serverName: boolean;
  readonly ciphers?: string;
  readonly minVersion?: TlsVersion;
  readonly maxVersion?: TlsVersion;
}

/**
 * Backend certificate authentication, as ingress-nginx's proxyssl parser (nginx proxy_ssl_*):
 * - `proxy-ssl-secret`: the Secret (Ingress's namespace) with `tls.crt`/`tls.key` (the client
 *   certificate Pier presents to the backend) and/or `ca.crt` (the CAs the backend is verified
 *   against). The other annotations only take effect with it, as in ingress-nginx.
 * - `proxy-ssl-verify` on|off (default off), `proxy-ssl-verify-depth` (default 1; 0 is 1 as in
 *   ingress-nginx), `proxy-ssl-name` (a DNS name; no nginx variables), `proxy-ssl-server-name`
 *   on|off (default off), `proxy-ssl-ciphers` (OpenSSL list), `proxy-ssl-protocols` (space
 *   separated; the range from the lowest to the highest version named).
 * Invalid values reject the Ingress (ingress-nginx falls back to defaults with a log line; Pier
 * does not guess at how a backend is authenticated).
 */
export function parseProxySsl(r: AnnotationReader, s: IngressSettings): void {
  const errors = r.errors.length;
  const verify = r.choice('proxy-ssl-verify', ON_OFF);
  const depth = r.int('proxy-ssl-verify-depth', 0, 100);
  const serverName = r.choice('proxy-ssl-server-name', ON_OFF);
  const name = r.string('proxy-ssl-name');
  if (name !== undefined && name !== '' && !NAME.test(name)) r.fail('proxy-ssl-name', 'is not a host name (nginx variables are not supported)');
  const ciphers = r.string('proxy-ssl-ciphers');
  if (ciphers !== undefined && ciphers !== '') {
    if (!CIPHERS.test(ciphers)) r.fail('proxy-ssl-ciphers', 'is not an OpenSSL cipher list');
    else if (!opensslAcceptsCiphers(ciphers)) r.fail('proxy-ssl-ciphers', 'names no cipher OpenSSL knows');
  }
  const range = protocolRange(r);
  const secret = r.string('proxy-ssl-secret');
  if (secret === undefined || secret === '') return;
  if (!SECRET_REF.test(secret)) r.fail('proxy-ssl-secret', 'is not a Secret name (namespace/name)');
  if (r.errors.length > errors) return;
  s.backend.proxySsl = {
    secret,
    verify: verify === 'on',
    verifyDepth: depth === undefined || depth === 0 ? 1 : depth,
    ...(name === undefined || name === '' ? {} : { name }),
    serverName: serverName === 'on',
    ...(ciphers === undefined || ciphers === '' ? {} : { ciphers }),
    ...range,
  };
}

/** `proxy-ssl-protocols` → the range Node enables: lowest to highest version named (Node sets a
 * range, so a gap such as "TLSv1 TLSv1.2" also enables TLSv1.1). Absent or empty: Node's own
 * defaults (TLS 1.2 and 1.3). */
function protocolRange(r: AnnotationReader): { minVersion?: TlsVersion; maxVersion?: TlsVersion } {
  const text = r.string('proxy-ssl-protocols');
  if (text === undefined || text.trim() === '') return {};
  const names = text.split(/\s+/).filter((t) => t !== '');
  const unknown = names.filter((n) => !UNSPEAKABLE.has(n) && !VERSIONS.includes(n as TlsVersion));
  if (unknown.length > 0) return r.fail('proxy-ssl-protocols', `names ${unknown.join(', ')}: use SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3`) ?? {};
  const indexes = names.filter((n) => !UNSPEAKABLE.has(n)).map((n) => VERSIONS.indexOf(n as TlsVersion));
  if (indexes.length === 0) return r.fail('proxy-ssl-protocols', 'enables only SSLv2/SSLv3, which Node cannot speak: name TLSv1 to TLSv1.3') ?? {};
  return { minVersion: VERSIONS[Math.min(...indexes)]!, maxVersion: VERSIONS[Math.max(...indexes)]! };
}
