import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { BackendRuntime } from '../backend-runtime.ts';

/**
 * Relays one ssl-passthrough connection, as ingress-nginx's TLS proxy (pkg/tcpproxy): a TCP
 * connection to one server of the backend (its balancer picks by client address; the connect
 * timeout is the backend's), `hello` (the bytes read to find the server name) written first,
 * then both directions piped with backpressure. Nothing is deciphered, and no PROXY header is
 * sent (ingress-nginx's passthrough servers have ProxyProtocol false). A FIN is relayed as a
 * FIN (each side half-closes on its own, as TLS close_notify then FIN expects); an error or
 * reset on either side destroys both. One try: a connect failure closes the client connection
 * (it retries with a new handshake), and counts against the server's passive health.
 *
 * The client socket joins `tunnels` while it lives: a drain waits for it like an upgraded
 * WebSocket tunnel, and close() destroys it.
 */
export function relayTls(client: Socket, hello: Buffer, runtime: BackendRuntime, clientAddress: string, tunnels: Set<Duplex>): boolean {
  const index = runtime.unavailable ? -1 : runtime.balancer.pick({ clientAddress, headers: {} });
  const server = index < 0 ? undefined : runtime.backend.servers[index];
  if (server === undefined) {
    client.destroy();
    return false;
  }
  const balancer = runtime.balancer;
  balancer.started(index);
  const upstream = connect({ host: server.host, port: server.port, allowHalfOpen: true, noDelay: true });
  const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), runtime.backend.policy.timeouts.connectMs);
  timer.unref();
  let connected = false;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    balancer.finished(index);
  };
  tunnels.add(client);
  const destroyBoth = () => {
    client.destroy();
    upstream.destroy();
  };
  upstream.once('connect', () => {
    clearTimeout(timer);
    connected = true;
    balancer.succeeded(index);
    upstream.write(hello);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => {
    if (!connected) {
      clearTimeout(timer);
      balancer.failed(index, Date.now());
    }
    destroyBoth();
  });
  client.on('error', destroyBoth);
  // A graceful close of one side follows both FINs (allowHalfOpen), whose relay pipe() did:
  // only an abrupt one (or one before the relay started) takes the other side down at once.
  upstream.once('close', (hadError) => {
    finish();
    if (hadError) client.destroy();
  });
  client.once('close', (hadError) => {
    tunnels.delete(client);
    finish();
    if (hadError || !connected) upstream.destroy();
  });
  return true;
}
