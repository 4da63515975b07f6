import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly bodyBytes: number;
}

export interface EchoBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly received: Received[];
  /** TCP connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/**
 * A real node:http backend that answers every request with `<name>` in the `x-backend` header
 * and a JSON echo of what it received, and records requests and accepted connections.
 */
export function startEchoBackend(name: string, host = '127.0.0.1', options: { keepAliveTimeoutMs?: number } = {}): Promise<EchoBackend> {
  const sockets = new Set<Socket>();
  const received: Received[] = [];
  const backend = {
    name, host, port: 0, received, connections: 0,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  const server: Server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on('end', () => {
      const record = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes };
      received.push(record);
      const body = JSON.stringify({ backend: name, ...record });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-backend': name, server: `${name}-server/1.0` });
      res.end(body);
    });
  });
  // node:http's default (5 s) is also what its `Keep-Alive: timeout=5` tells Pier's pool.
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.on('connection', (socket: Socket) => {
    backend.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      backend.port = (server.address() as { port: number }).port;
      resolve(backend);
    });
  });
}
