import { invalid } from './config-values.ts';
import type { TlsVersion } from './routing/route-table.ts';
import { CIPHER_LIST_SYNTAX, onlyTls13Suites, opensslAcceptsCiphers } from './translate/annotations/openssl-ciphers.ts';

/** ingress-nginx's `ssl-protocols` default (configmap.md; controller/config/config.go sslProtocols). */
export const DEFAULT_SSL_PROTOCOLS = 'TLSv1.2 TLSv1.3';

/**
 * ingress-nginx's `ssl-ciphers` default (configmap.md; config.go sslCiphers): ECDHE (and DHE,
 * unused without DH parameters, as in ingress-nginx) with AES-GCM or ChaCha20-Poly1305 only,
 * every one of them allowed for HTTP/2 (RFC 9113 §9.2.2). Like nginx's ssl_ciphers it sets the
 * TLS 1.2 ciphers only: it names no `TLS_` suite, so TLS 1.3 keeps OpenSSL's three suites.
 */
export const DEFAULT_SSL_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305', 'DHE-RSA-AES256-GCM-SHA384', 'DHE-RSA-AES128-GCM-SHA256',
].join(':');

/** The TLS versions the HTTPS listener speaks: node:tls takes a range, not a set. */
export interface TlsVersionRange {
  readonly minVersion: TlsVersion;
  readonly maxVersion: TlsVersion;
}

/** What nginx's ssl_protocols names, lowest first; the SSL ones are not in OpenSSL 3 (nor Node). */
const NGINX_PROTOCOLS = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
const SPEAKABLE: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * `--ssl-protocols`: nginx's ssl_protocols list (names separated by spaces, any case, as nginx
 * reads them; commas allowed too) → the range node:tls enables. The versions must be contiguous
 * (Node sets a minimum and a maximum, so `TLSv1 TLSv1.2` would enable TLSv1.1 too: refused, not
 * widened); SSLv2 and SSLv3 are refused, as no OpenSSL Node ships can speak them.
 */
export function parseSslProtocols(label: string, value: string): TlsVersionRange {
  const names = value.split(/[\s,]+/).filter((n) => n !== '');
  if (names.length === 0) throw invalid(label, value, `TLS versions separated by spaces, such as ${DEFAULT_SSL_PROTOCOLS}`);
  const indexes = new Set<number>();
  for (const name of names) {
    const known = NGINX_PROTOCOLS.find((p) => p.toLowerCase() === name.toLowerCase());
    if (known === undefined) throw invalid(label, value, `TLS versions from ${SPEAKABLE.join(', ')}, separated by spaces`);
    if (known.startsWith('SSL')) throw invalid(label, value, `TLS versions only: ${known} cannot be enabled, Node's OpenSSL speaks TLSv1 to TLSv1.3`);
    indexes.add(SPEAKABLE.indexOf(known as TlsVersion));
  }
  const low = Math.min(...indexes);
  const high = Math.max(...indexes);
  const missing = SPEAKABLE.slice(low, high + 1).filter((_, i) => !indexes.has(low + i));
  if (missing.length > 0) {
    throw invalid(label, value, `one range without gaps, such as ${DEFAULT_SSL_PROTOCOLS}: Node enables every version from the lowest to the highest named, so add ${missing.join(', ')} or leave out the versions on one side of it`);
  }
  return { minVersion: SPEAKABLE[low]!, maxVersion: SPEAKABLE[high]! };
}

/**
 * `--ssl-ciphers`: nginx's ssl_ciphers, an OpenSSL cipher list, checked at start: the characters
 * ingress-nginx allows, at least one cipher OpenSSL knows, and some cipher for the TLS versions
 * `protocols` enables (a list of `TLS_` suites only leaves TLS 1.2 without any).
 */
export function parseSslCiphers(label: string, value: string, protocols: TlsVersionRange): string {
  const ciphers = value.trim();
  const example = 'an OpenSSL cipher list such as ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256';
  if (ciphers === '' || !CIPHER_LIST_SYNTAX.test(ciphers)) throw invalid(label, value, `${example} (letters, digits, ! + - _ : and @STRENGTH, @SECLEVEL=N)`);
  if (!opensslAcceptsCiphers(ciphers)) throw invalid(label, value, `${example}: OpenSSL knows none of these ciphers`);
  if (protocols.maxVersion !== 'TLSv1.3' && onlyTls13Suites(ciphers)) {
    throw invalid(label, value, `TLS 1.2 ciphers: these are TLS 1.3 suites only (TLS_...) and --ssl-protocols enables no TLSv1.3`);
  }
  return ciphers;
}
