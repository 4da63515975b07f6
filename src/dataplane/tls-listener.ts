import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { readProxyHeader } from './front/http1/proxy-protocol.ts';
import type { Certificate } from '../routing/route-table.ts';
import { SniCertificates } from './sni-certificates.ts';

/** What the HTTPS listener needs beyond what the HTTP one has. */
export interface TlsListenerOptions {
  /** Served when the client's server name matches no certificate, or it sends none, unless
   * the table names a default certificate (--default-ssl-certificate). */
  readonly defaultCertificate: Certificate;
  /** `--proxy-protocol`: a PROXY header precedes the TLS handshake; read it within this long. */
  readonly proxyProtocolTimeoutMs?: number;
  /** Offer HTTP/2: ALPN picks `h2` when the client offers it and this says yes for its server
   * name (the per-host opt-out); else `http/1.1`. Absent: `http/1.1` only. */
  readonly http2?: (servername: string) => boolean;
  /** `--enable-ssl-passthrough`: each connection (after its PROXY header) goes to this first;
   * it calls `terminate` to hand the socket, with any bytes it read put back, to the TLS server,
   * or keeps it (ssl-passthrough relays it undeciphered). */
  readonly front?: (socket: Socket, source: string | undefined, terminate: () => void) => void;
}

/** The HTTPS server, its certificates, and a way to close connections still in their handshake. */
export interface TlsListener {
  readonly server: Server;
  /** What listens: `server` itself, or with `--proxy-protocol` or `front` a TCP server that
   * reads each connection's PROXY header, passes it to `front`, and then hands the socket to
   * `server`. */
  readonly listener: NetServer;
  /** The client address a PROXY header gave for this connection, if any. */
  sourceOf(socket: TLSSocket): string | undefined;
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
 * ALPN: with `http2`, `h2` for clients that offer it (their connections go to the HTTP/2
 * front) unless the host opted out, then `http/1.1`; without it `http/1.1` only, so an
 * h2-preferring client settles on HTTP/1.1 instead of failing. With `http2`, a client that
 * sends ALPN offering neither is refused (no_application_protocol); one sending no ALPN at all
 * speaks HTTP/1.1.
 */
export function createTlsListener(options: TlsListenerOptions): TlsListener {
  const server: Server = createServer({
    cert: options.defaultCertificate.certPem,
    key: options.defaultCertificate.keyPem,
    SNICallback: (name, callback) => certificates.sniCallback(name, callback),
    ...(options.http2 === undefined ? { ALPNProtocols: ['http/1.1'] } : { ALPNCallback: alpnChooser(options.http2) }),
    // As the HTTP listener: a client's FIN is the connection's to interpret (create-dataplane.ts).
    allowHalfOpen: true,
  });
  // A client without SNI gets the server's own context: it follows the table's default.
  const certificates = new SniCertificates(options.defaultCertificate, (c) => server.setSecureContext({ cert: c.certPem, key: c.keyPem }));
  // A failed handshake (unknown CA on the client side, plain HTTP on the TLS port, a scanner)
  // only concerns that client: swallow it rather than let it surface as an error.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  const closeHandshaking = trackHandshakes(server);
  const timeoutMs = options.proxyProtocolTimeoutMs;
  const front = options.front;
  if (timeoutMs === undefined && front === undefined) return { server, listener: server, sourceOf: () => undefined, certificates, closeHandshaking };
  // The raw socket and its TLSSocket share the peer address and port (see trackHandshakes).
  const sources = new Map<string, string>();
  const terminate = (socket: Socket, source: string | undefined) => {
    if (source !== undefined) {
      const key = `${socket.remoteAddress}|${socket.remotePort}`;
      sources.set(key, source);
      socket.once('close', () => sources.delete(key));
    }
    server.emit('connection', socket);
  };
  const accept = front === undefined ? terminate : (socket: Socket, source: string | undefined) => front(socket, source, () => terminate(socket, source));
  const listener = createNetServer({ allowHalfOpen: true, noDelay: true }, (raw) => (timeoutMs === undefined ? accept(raw, undefined) : readProxyHeader(raw, timeoutMs, accept)));
  const sourceOf = (socket: TLSSocket) => sources.get(`${socket.remoteAddress}|${socket.remotePort}`);
  return { server, listener, sourceOf, certificates, closeHandshaking };
}

/** ALPN by server name: `h2` when offered and allowed, else `http/1.1` when offered. */
function alpnChooser(http2: (servername: string) => boolean): (arg: { servername: string; protocols: string[] }) => string | undefined {
  return ({ servername, protocols }) => {
    if (protocols.includes('h2') && http2(servername ?? '')) return 'h2';
    return protocols.includes('http/1.1') ? 'http/1.1' : undefined;
  };
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
