import { createSecureContext } from 'node:tls';

/**
 * The characters of an OpenSSL cipher list, as ingress-nginx's ssl-ciphers check
 * (regexValidSSLCipher): names, `!`, `+`, `-`, `_`, `:` and the `@STRENGTH` / `@SECLEVEL=n`
 * commands. Written without nested repetition (theirs nests `*`, which backtracks
 * exponentially in a JavaScript engine); it accepts the same strings.
 */
export const CIPHER_LIST_SYNTAX = /^(?:[A-Za-z0-9!:+\-_]|@STRENGTH|@SECLEVEL=[0-5])*$/;

/**
 * Whether OpenSSL, through node:tls, accepts `ciphers` as a cipher list: it throws when no name
 * of the list is a cipher it knows ("no cipher match"), as nginx fails on such an ssl_ciphers.
 * Unknown names next to known ones are skipped silently by both. Node reads the names that
 * start with `TLS_` as TLS 1.3 suites (SSL_CTX_set_ciphersuites) and the rest as the TLS 1.2
 * list; an unknown TLS 1.3 suite is refused. Checked where a list is configured (a flag at
 * start, an annotation when its Ingress is translated), never per handshake.
 */
export function opensslAcceptsCiphers(ciphers: string): boolean {
  try {
    createSecureContext({ ciphers });
    return true;
  } catch {
    return false;
  }
}

/** Whether the list names TLS 1.3 suites only (`TLS_…`): Node then leaves TLS 1.2 and below without any cipher. */
export function onlyTls13Suites(ciphers: string): boolean {
  return ciphers.split(':').every((name) => name === '' || name.startsWith('TLS_'));
}
