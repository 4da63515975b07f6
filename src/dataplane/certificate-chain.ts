import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';

/**
 * The number of CA certificates above `cert` in its chain (node's getPeerCertificate(true):
 * each issuerCertificate up to the trust anchor, which is its own issuer). nginx's verify depth
 * bounds it, for client certificates and for backends alike.
 */
export function chainDepth(peer: PeerCertificate | DetailedPeerCertificate): number {
  let cert = peer as DetailedPeerCertificate | undefined;
  let depth = 0;
  const seen = new Set<string>();
  while (cert?.issuerCertificate !== undefined && cert.issuerCertificate !== cert && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    cert = cert.issuerCertificate;
    depth++;
  }
  return depth;
}
