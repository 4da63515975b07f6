import type { Socket } from 'node:net';
import { createServer, type Server } from 'node:tls';
import type { Certificate } from '../routing/route-table.ts';
import { SniCertificates } from './sni-certificates.ts';

/** What the HTTPS listener needs beyond what the HTTP one has. */
export interface TlsListenerOptions {
  /** Served when the client's server name matches no certificate, or it sends none, unless
   * the table names a default certificate (--default-ssl-certificate). */
  readonly defaultCertificate: Certificate;
}

/** The HTTPS server, its certificates, and a way to close connections still in their handshake. */
export interface TlsListener {
  readonly server: Server;
  readonly certificates: SniCertificates;
  /**
   * Destroys the connections that have not finished their TLS handshake. The HTTP layer only
   * sees a connection once it is secure, so closing idle connections misses these, and a client
   * that connects and stalls would hold a drain until the handshake timeout.
   */
  closeHandshaking(): void;
}

/**
 * The `--https-port` server: a tls.Server whose secure connections the dataplane's HTTP/1.1
 * layer serves exactly as plain ones (it sees `socket.encrypted` and sends `X-Forwarded-Proto:
 * https`). The certificate is chosen per handshake by SniCertificates; clients without SNI get
 * the default one.
 *
 * ALPN offers `http/1.1` only: HTTP/2 needs its own server and is a later issue. Offering
 * nothing else makes an h2-preferring client settle on HTTP/1.1 instead of failing.
 */
export function createTlsListener(options: TlsListenerOptions): TlsListener {
  const server: Server = createServer({
    cert: options.defaultCertificate.certPem,
    key: options.defaultCertificate.keyPem,
    SNICallback: (name, callback) => certificates.sniCallback(name, callback),
    ALPNProtocols: ['http/1.1'],
    // As the HTTP listener: a client's FIN is the connection's to interpret (create-dataplane.ts).
    allowHalfOpen: true,
  });
  // A client without SNI gets the server's own context: it follows the table's default.
  const certificates = new SniCertificates(options.defaultCertificate, (c) => server.setSecureContext({ cert: c.certPem, key: c.keyPem }));
  // A failed handshake (unknown CA on the client side, plain HTTP on the TLS port, a scanner)
  // only concerns that client: swallow it rather than let it surface as an error.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return { server, certificates, closeHandshaking: trackHandshakes(server) };
}

/*
 * The raw TCP socket ('connection') and the TLSSocket built on it ('secureConnection',
 * 'tlsClientError') are different objects with no public link; they share the peer address and
 * port, which identify a connection on one listener.
 */
function trackHandshakes(server: Server): () => void {
  const handshaking = new Map<string, Socket>();
  const keyOf = (s: Socket) => `${s.remoteAddress}|${s.remotePort}`;
  server.on('connection', (raw: Socket) => {
    const key = keyOf(raw);
    handshaking.set(key, raw);
    raw.once('close', () => {
      if (handshaking.get(key) === raw) handshaking.delete(key);
    });
  });
  const done = (socket: Socket) => handshaking.delete(keyOf(socket));
  server.on('secureConnection', done);
  server.on('tlsClientError', (_err, socket) => done(socket));
  return () => {
    for (const raw of handshaking.values()) raw.destroy();
    handshaking.clear();
  };
}
