import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CidrSet } from '../../cidr-set.ts';
import { clientCertFacts } from '../../client-cert-facts.ts';
import { proxyDestinationPort } from '../http1/proxy-protocol.ts';
import type { ClientCertFacts, DownstreamConnection } from '../downstream.ts';

/**
 * One client HTTP/2 connection as the pipeline sees it (DownstreamConnection), made once per
 * connection; the client certificate facts of a TLS connection are read on first use (a route
 * with `auth-tls-*`), as the HTTP/1.1 front does.
 */
export class H2Connection implements DownstreamConnection {
  readonly clientAddress: string;
  readonly proto: string;
  readonly port: string;
  /** The balancer's port from this plain connection's PROXY header (forward-headers.ts). */
  readonly proxyDestinationPort: string | undefined;
  requests = 0;
  /** Streams open (a drain closes the connections that have none). */
  active = 0;
  /** The TLS server name the client asked for (null in the clear, or without SNI). */
  readonly servername: string | null;
  readonly trustedProxies: CidrSet | undefined;
  /** The Strict-Transport-Security value of this connection's responses ('' in the clear). */
  readonly sts: string;
  readonly #socket: Socket;
  #clientCert: ClientCertFacts | undefined;

  constructor(socket: Socket, clientAddress: string, port: string, trustedProxies: CidrSet | undefined, hsts = '') {
    const tls = (socket as TLSSocket).encrypted === true;
    this.#socket = socket;
    this.clientAddress = clientAddress;
    this.proto = tls ? 'https' : 'http';
    this.proxyDestinationPort = proxyDestinationPort(socket);
    this.port = port;
    this.servername = tls ? ((socket as TLSSocket).servername || null) : null;
    this.trustedProxies = trustedProxies;
    this.sts = tls ? hsts : '';
  }

  get clientCert(): ClientCertFacts | undefined {
    if (this.proto !== 'https') return undefined;
    return (this.#clientCert ??= clientCertFacts(this.#socket as TLSSocket));
  }
}
