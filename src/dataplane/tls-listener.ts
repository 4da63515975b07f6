import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server, TLSSocket } from 'node:tls';
import { readProxyHeader } from './front/http1/proxy-protocol.ts';
import type { Certificate } from '../routing/route-table.ts';
import { HostCiphers } from './host-ciphers.ts';
import { peekClientHello } from './passthrough/peek-client-hello.ts';
import { SniCertificates } from './sni-certificates.ts';
import { cipherPolicyKey, TlsServers, type CipherPolicy, type ServerTlsSettings } from './tls-servers.ts';

/** What the HTTPS listener needs beyond what the HTTP one has. */
export interface TlsListenerOptions {
  /** Served when the client's server name matches no certificate, or it sends none, unless
   * the table names a default certificate (--default-ssl-certificate). */
  readonly defaultCertificate: Certificate;
  /** `--ssl-protocols` and `--ssl-ciphers`, for every handshake (a host's `ssl-ciphers` replaces
   * the list for its name). Absent: Node's defaults. */
  readonly settings?: ServerTlsSettings;
  /** How long a client may take to send its ClientHello while the listener reads it first (some
   * host has ciphers of its own): the client header timeout. Default 60 s. */
  readonly helloTimeoutMs?: number;
  /** `--proxy-protocol`: a PROXY header precedes the TLS handshake; read it within this long. */
  readonly proxyProtocolTimeoutMs?: number;
  /** Offer HTTP/2: ALPN picks `h2` when the client offers it and this says yes for its server
   * name (the per-host opt-out); else `http/1.1`. Absent: `http/1.1` only. */
  readonly http2?: (servername: string) => boolean;
  /** `--enable-ssl-passthrough`: each connection (after its PROXY header) goes to this first;
   * it calls `terminate` to hand the socket, with any bytes it read put back, to TLS (with the
   * server name it read from the ClientHello, null for none, so it is not read twice), or keeps
   * it (ssl-passthrough relays it undeciphered). */
  readonly front?: (socket: Socket, source: string | undefined, terminate: (serverName?: string | null) => void) => void;
}

/** The HTTPS server, its certificates, and a way to close connections still in their handshake. */
export interface TlsListener {
  /** Emits `secureConnection` for every connection, whichever server ran its handshake. */
  readonly server: Server;
  /** What listens: a TCP server that reads each connection's PROXY header (`--proxy-protocol`),
   * passes it to `front`, reads its ClientHello when some host has ciphers of its own, and then
   * hands the socket to the tls.Server of its cipher policy. */
  readonly listener: NetServer;
  /** The client address a PROXY header gave for this connection, if any. */
  sourceOf(socket: TLSSocket): string | undefined;
  readonly certificates: SniCertificates;
  /** The cipher policy of each server name; the table swap updates it (table-swap.ts). */
  readonly ciphers: HostCiphers;
  /** Ask clients for a certificate (some host checks them), on every server. */
  setRequestCert(on: boolean): void;
  /** Drops the tls.Servers of cipher policies no host uses any more (after `ciphers` changed). */
  retainCipherServers(): void;
  /**
   * Destroys the connections that have not finished their TLS handshake. The HTTP layer only
   * sees a connection once it is secure, so closing idle connections misses these, and a client
   * that connects and stalls would hold a drain until the handshake timeout.
   */
  closeHandshaking(): void;
}

/**
 * The `--https-port` listener: tls.Servers (tls-servers.ts) whose secure connections the
 * dataplane's HTTP/1.1 layer serves exactly as plain ones (it sees `socket.encrypted` and sends
 * `X-Forwarded-Proto: https`). The certificate is chosen per handshake by SniCertificates; clients
 * without SNI get the default one.
 *
 * Cipher policies: while no host has `ssl-ciphers` or `ssl-prefer-server-ciphers`, a connection
 * goes straight to the main server (one function call more than a tls.Server listening itself).
 * Otherwise its ClientHello is read first (peek-client-hello.ts, within `helloTimeoutMs`), and
 * the server of the policy of its server name (host-ciphers.ts) runs the handshake: node:tls
 * takes no ciphers from an SNI context.
 *
 * ALPN: with `http2`, `h2` for clients that offer it (their connections go to the HTTP/2
 * front) unless the host opted out, then `http/1.1`; without it `http/1.1` only, so an
 * h2-preferring client settles on HTTP/1.1 instead of failing. With `http2`, a client that
 * sends ALPN offering neither is refused (no_application_protocol); one sending no ALPN at all
 * speaks HTTP/1.1. The cipher does not change the offer (nginx does not either): see README
 * (TLS) for TLS 1.2 ciphers RFC 9113 forbids for HTTP/2.
 */
export function createTlsListener(options: TlsListenerOptions): TlsListener {
  const settings = options.settings;
  const global: CipherPolicy = { key: cipherPolicyKey(settings?.ciphers, true), ciphers: settings?.ciphers, honorCipherOrder: true };
  const handshakes = new HandshakeTracker();
  const servers = new TlsServers(options.defaultCertificate, {
    SNICallback: (name, callback) => certificates.sniCallback(name, callback),
    ...(options.http2 === undefined ? { ALPNProtocols: ['http/1.1'] } : { ALPNCallback: alpnChooser(options.http2) }),
    ...(settings === undefined ? {} : { minVersion: settings.minVersion, maxVersion: settings.maxVersion }),
    // As the HTTP listener: a client's FIN is the connection's to interpret (create-dataplane.ts).
    allowHalfOpen: true,
  }, global, (server) => {
    // A failed handshake (unknown CA on the client side, plain HTTP on the TLS port, a scanner,
    // no common cipher or version) only concerns that client: swallow it.
    server.on('tlsClientError', (_err, socket) => socket.destroy());
    handshakes.watch(server);
  });
  const server = servers.main;
  // A client without SNI gets the server's own context: it follows the table's default.
  const certificates = new SniCertificates(options.defaultCertificate, (c) => servers.setDefaultCertificate(c));
  const ciphers = new HostCiphers(global);
  const helloTimeoutMs = options.helloTimeoutMs ?? 60_000;
  const peeking = new Set<() => void>();
  // The raw socket and its TLSSocket share the peer address and port (see HandshakeTracker).
  const sources = new Map<string, string>();
  const handshake = (socket: Socket, serverName: string | null) => servers.serverFor(ciphers.policyFor(serverName)).emit('connection', socket);
  const terminate = (socket: Socket, source: string | undefined, serverName?: string | null) => {
    if (source !== undefined) {
      const key = `${socket.remoteAddress}|${socket.remotePort}`;
      sources.set(key, source);
      socket.once('close', () => sources.delete(key));
    }
    if (ciphers.size === 0) server.emit('connection', socket);
    else if (serverName !== undefined) handshake(socket, serverName);
    else {
      const close = peekClientHello(socket, helloTimeoutMs, (name, hello) => {
        peeking.delete(close);
        socket.unshift(hello);
        handshake(socket, name ?? null);
      });
      peeking.add(close);
      socket.once('close', () => peeking.delete(close));
    }
  };
  const front = options.front;
  const accept = front === undefined ? terminate : (socket: Socket, source: string | undefined) => front(socket, source, (name) => terminate(socket, source, name));
  const timeoutMs = options.proxyProtocolTimeoutMs;
  const listener = createNetServer({ allowHalfOpen: true, noDelay: true }, (raw) => (timeoutMs === undefined ? accept(raw, undefined) : readProxyHeader(raw, timeoutMs, accept)));
  return {
    server, listener, certificates, ciphers,
    sourceOf: (socket) => sources.get(`${socket.remoteAddress}|${socket.remotePort}`),
    setRequestCert: (on) => {
      servers.requestCert = on;
    },
    retainCipherServers: () => servers.retain(ciphers.keys),
    closeHandshaking: () => {
      handshakes.closeAll();
      for (const close of peeking) close();
      peeking.clear();
    },
  };
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
 * port, which identify a connection on one listener. One tracker for every server: a connection
 * reaches exactly one of them.
 */
class HandshakeTracker {
  readonly #handshaking = new Map<string, Socket>();

  watch(server: Server): void {
    const handshaking = this.#handshaking;
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
  }

  closeAll(): void {
    for (const raw of this.#handshaking.values()) raw.destroy();
    this.#handshaking.clear();
  }
}
