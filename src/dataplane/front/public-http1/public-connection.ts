import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CidrSet } from '../../cidr-set.ts';
import type { ClientErrorStatus } from '../../error-response.ts';
import { clientCertFacts } from '../../client-cert-facts.ts';
import { proxyDestinationPort } from '../http1/proxy-protocol.ts';
import type { ClientCertFacts, DownstreamConnection } from '../downstream.ts';
import { plainAddress } from '../http1/client-connection.ts';
import type { PublicResponse } from './public-response.ts';

/**
 * One client connection of the public-API HTTP/1.1 front, as the pipeline sees it (client
 * address, X-Forwarded-Proto/Port, request count, client certificate). node:http owns the
 * socket; this record hangs on it (see connectionOf).
 */
export class PublicConnection implements DownstreamConnection {
  readonly socket: Socket;
  readonly clientAddress: string;
  readonly proto: string;
  readonly port: string;
  /** The balancer's port from this plain connection's PROXY header (forward-headers.ts). */
  readonly proxyDestinationPort: string | undefined;
  readonly trustedProxies: CidrSet | undefined;
  requests = 0;
  /** Responses node:http has not finished writing (a pipelined one waits for those before it). */
  open = 0;
  /** The response whose request body is still arriving (a malformed body is its to answer). */
  receiving: PublicResponse | null = null;
  /** A malformed request came after requests still being answered: its status, answered once
   * they are (as the lean front), then the connection closes. */
  pendingError: ClientErrorStatus | 0 = 0;
  /** A client error was answered: the connection only lingers until it closes. */
  failed = false;
  /** The response being produced: requests are handled one at a time, in order, as the lean
   * front does (node:http would start pipelined ones at once). */
  current: PublicResponse | null = null;
  /** Pipelined requests waiting for it (the socket is paused meanwhile). */
  readonly waiting: PublicResponse[] = [];
  #clientCert: ClientCertFacts | undefined;

  constructor(socket: Socket, port: string, source: string | undefined, trusted: CidrSet | undefined) {
    this.socket = socket;
    this.clientAddress = source ?? plainAddress(socket.remoteAddress);
    this.proto = (socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
    this.proxyDestinationPort = proxyDestinationPort(socket);
    this.port = port;
    this.trustedProxies = trusted !== undefined && trusted.has(this.clientAddress) ? trusted : undefined;
  }

  get clientCert(): ClientCertFacts | undefined {
    if (this.proto !== 'https') return undefined;
    return (this.#clientCert ??= clientCertFacts(this.socket as TLSSocket));
  }
}

const kConn = Symbol('pier.public.conn');
type Tagged = Socket & { [kConn]?: PublicConnection };

/** Hangs `conn` on its socket (node:http's events hand out the socket, not our record). */
export function attach(conn: PublicConnection): void {
  (conn.socket as Tagged)[kConn] = conn;
}

/** The record of a socket the front accepted (undefined for one it never saw). */
export function connectionOf(socket: Socket): PublicConnection | undefined {
  return (socket as Tagged)[kConn];
}
