import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface Origin {
  readonly port: number;
  /** Requests per path (without query). */
  readonly counts: Map<string, number>;
  readonly requests: IncomingMessage[];
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

/** A programmable origin on 127.0.0.1: one handler per path, requests counted per path. */
export function startOrigin(): Promise<Origin> {
  const handlers = new Map<string, Handler>();
  const counts = new Map<string, number>();
  const requests: IncomingMessage[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    requests.push(req);
    const h = handlers.get(path);
    if (h === undefined) {
      res.writeHead(404, { 'content-length': 0 });
      res.end();
      return;
    }
    req.resume();
    h(req, res, n);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port, counts, requests,
        route: (path, handler) => handlers.set(path, handler),
        close: () => new Promise((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
      });
    });
  });
}
