import type { TLSSocket } from 'node:tls';
import { chainDepth } from './certificate-chain.ts';
import type { ClientCertFacts } from './front/downstream.ts';

/**
 * nginx's `$ssl_client_*` for one TLS connection: `verify` is `SUCCESS`, `NONE` (no
 * certificate sent) or `FAILED:<OpenSSL reason>`; DNs in RFC 2253 order (`CN=client,O=Org`);
 * `escapedPem` the URL-escaped PEM (`$ssl_client_escaped_cert`); `depth` the number of CA
 * certificates above the client's in the verified chain.
 */
export function clientCertFacts(socket: TLSSocket): ClientCertFacts {
  const x509 = socket.getPeerX509Certificate();
  if (x509 === undefined) return { verify: 'NONE', escapedPem: '', subjectDn: '', issuerDn: '', depth: 0 };
  const verify = socket.authorized ? 'SUCCESS' : `FAILED:${String(socket.authorizationError ?? 'unknown')}`;
  return { verify, escapedPem: encodeURIComponent(x509.toString()), subjectDn: rfc2253(x509.subject), issuerDn: rfc2253(x509.issuer), depth: chainDepth(socket.getPeerCertificate(true)) };
}

/** node:crypto's `C=US\nO=Org\nCN=name` → nginx's `CN=name,O=Org,C=US`. */
function rfc2253(name: string): string {
  return name.split('\n').filter((l) => l !== '').reverse().map((l) => l.replace(/([,+"\\<>;])/g, '\\$1')).join(',');
}
