import { createServer, type Server, type ServerResponse } from 'node:http';

export interface HealthServerOptions {
  /** Ready to receive traffic (ARCHITECTURE.md: every worker serves a table built after sync). */
  readonly isReady: () => boolean;
  /** Prometheus exposition text and its content type. */
  readonly metrics: () => Promise<{ contentType: string; body: string }>;
}

/**
 * `/healthz` (the process is alive and its event loop answers), `/readyz` (see isReady) and
 * `/metrics`, on the health port. Anything else is 404. The server is returned unbound.
 */
export function createHealthServer(options: HealthServerOptions): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed\n');
    if (path === '/healthz') return reply(res, 200, 'ok\n');
    if (path === '/readyz') return options.isReady() ? reply(res, 200, 'ready\n') : reply(res, 503, 'not ready\n');
    if (path === '/metrics') {
      options.metrics().then(
        ({ contentType, body }) => reply(res, 200, body, contentType),
        () => reply(res, 500, 'metrics unavailable\n'),
      );
      return;
    }
    reply(res, 404, 'not found\n');
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

function reply(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
