import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface HealthServerOptions {
  /** Ready to receive traffic (ARCHITECTURE.md: every worker serves a table built after sync). */
  readonly isReady: () => boolean;
  /** Prometheus exposition text and its content type. */
  readonly metrics: () => Promise<{ contentType: string; body: string }>;
  /** `POST /cache/purge` (body: a cache key, or a prefix ending in `*`), from loopback only:
   * removes the matching entries of the shared cache; answers how many files went. */
  readonly purge?: (pattern: string) => number;
}

/**
 * `/healthz` (the process is alive and its event loop answers), `/readyz` (see isReady) and
 * `/metrics`, on the health port. Anything else is 404. The server is returned unbound.
 */
export function createHealthServer(options: HealthServerOptions): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/cache/purge' && req.method === 'POST' && options.purge !== undefined) return purge(req, res, options.purge);
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

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

function purge(req: IncomingMessage, res: ServerResponse, run: (pattern: string) => number): void {
  if (!LOOPBACK.test(req.socket.remoteAddress ?? '')) return reply(res, 403, 'cache purge is local only\n');
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => {
    body += d;
    if (body.length > 8192) req.destroy();
  });
  req.on('end', () => {
    const pattern = body.trim();
    if (pattern === '' || pattern === '*') return reply(res, 400, 'give a cache key (a URL) or a prefix ending in *\n');
    reply(res, 200, `purged ${run(pattern)} file(s)\n`);
  });
}

function reply(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
