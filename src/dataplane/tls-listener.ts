import { createServer, type Server } from 'node:https';
import type { Certificate } from '../routing/route-table.ts';
import { SniCertificates } from './sni-certificates.ts';

/** What the HTTPS listener needs beyond what the HTTP one has. */
export interface TlsListenerOptions {
  /** Served when the client's server name matches no certificate, or it sends none. */
  readonly defaultCertificate: Certificate;
  readonly keepAliveTimeout: number;
}

/**
 * The `--https-port` server: node:https, so requests reach the very handler the HTTP server
 * uses (it sees `socket.encrypted` and sends `X-Forwarded-Proto: https`). The certificate is
 * chosen per handshake by SniCertificates; clients without SNI get the default one.
 *
 * ALPN offers `http/1.1` only: HTTP/2 needs its own server and is a later issue. Offering
 * nothing else makes an h2-preferring client settle on HTTP/1.1 instead of failing.
 */
export function createTlsListener(options: TlsListenerOptions): { server: Server; certificates: SniCertificates } {
  const certificates = new SniCertificates(options.defaultCertificate);
  const server = createServer({
    cert: options.defaultCertificate.certPem,
    key: options.defaultCertificate.keyPem,
    SNICallback: certificates.sniCallback,
    ALPNProtocols: ['http/1.1'],
    // As the HTTP server: no fixed total request time (long uploads), idle keepalive bounded.
    requestTimeout: 0,
    keepAliveTimeout: options.keepAliveTimeout,
  });
  // A failed handshake (unknown CA on the client side, plain HTTP on the TLS port, a scanner)
  // only concerns that client: swallow it rather than let it surface as an error.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return { server, certificates };
}
