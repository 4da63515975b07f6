import type { Server } from 'node:net';
import type { Socket } from 'node:net';

/** Listeners whose clients arrive on another port (`--public-http-port`, `--public-https-port`). */
const PUBLIC = new WeakMap<Server, string>();

/**
 * Says that clients reach `server` on `port`: in a cluster they connect to the Service's 80 and
 * 443, which map to Pier's unprivileged 8080 and 8443. ingress-nginx listens on 80 and 443
 * itself, so its backends get those as X-Forwarded-Port, and applications build their absolute
 * URLs from it: the listener's own port would send their users to :8443.
 */
export function advertisePort(server: Server, port: number | undefined): void {
  if (port !== undefined) PUBLIC.set(server, String(port));
}

/**
 * The port requests accepted on `server` came to, as X-Forwarded-Port (nginx's `$server_port`):
 * the advertised one, else the one it listens on. Callers read it once per listener (an accepted
 * socket's local port is the listener's; asking each socket would cost a getsockname per
 * connection).
 */
export function listenerPort(server: Server, socket: Socket): string {
  const advertised = PUBLIC.get(server);
  if (advertised !== undefined) return advertised;
  const address = server.address();
  return String(typeof address === 'object' && address !== null ? address.port : (socket.localPort ?? ''));
}
