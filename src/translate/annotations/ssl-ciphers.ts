import { parseGoBool, type AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';
import { CIPHER_LIST_SYNTAX, opensslAcceptsCiphers } from './openssl-ciphers.ts';

const KEEPS = 'ignored: the Ingress is served and its hosts keep the controller\'s';

/**
 * `ssl-ciphers` and `ssl-prefer-server-ciphers`, as ingress-nginx's sslcipher parser: an
 * OpenSSL cipher list (its check: letters, digits, `! + - _ :`, `@STRENGTH`, `@SECLEVEL=n`) and
 * a boolean, both for the server block of the Ingress's hosts (ssl-cipher-hosts.ts resolves
 * them per host; the dataplane applies them to TLS handshakes naming the host).
 *
 * A bad value does not take the Ingress down: it is reported (`IgnoredAnnotation`, Warning,
 * naming the annotation) and the hosts keep the controller's `--ssl-ciphers` / server order,
 * a safe choice for TLS. ingress-nginx drops an invalid boolean silently, and refuses the
 * Ingress for a list its check rejects (or fails the nginx reload for one OpenSSL rejects).
 */
export function parseSslCiphers(r: AnnotationReader, s: IngressSettings): void {
  const ciphers = r.string('ssl-ciphers');
  if (ciphers !== undefined && ciphers !== '') {
    if (!CIPHER_LIST_SYNTAX.test(ciphers)) r.ignore('ssl-ciphers', `is not an OpenSSL cipher list (letters, digits, ! + - _ : and @STRENGTH, @SECLEVEL=N); ${KEEPS} --ssl-ciphers`);
    else if (!opensslAcceptsCiphers(ciphers)) r.ignore('ssl-ciphers', `names no cipher OpenSSL knows; ${KEEPS} --ssl-ciphers`);
    else s.sslCiphers = ciphers;
  }
  const prefer = r.string('ssl-prefer-server-ciphers');
  if (prefer === undefined) return;
  const on = parseGoBool(prefer);
  if (on !== undefined) s.sslPreferServerCiphers = on;
  else r.ignore('ssl-prefer-server-ciphers', `is not a boolean (use "true" or "false"); ${KEEPS} order (the server's)`);
}
