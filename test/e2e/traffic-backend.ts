/**
 * The backend and manifests of the traffic-policy end-to-end tests (rate limits, CORS,
 * compression): a node:http server with fixed bodies, a held route for limit-connections, and
 * WebSocket-style upgrades.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { stringify } from 'yaml';

/** Text that compresses (repeated words) with random bits (so it is not trivially small). */
export function compressibleText(bytes: number): Buffer {
  const words = ['ingress', 'pier', 'route', 'policy', 'zone', 'budget', 'lease', 'worker'];
  let s = '';
  const noise = randomBytes(bytes);
  for (let i = 0; s.length < bytes; i++) s += `${words[noise[i % bytes]! % words.length]}${noise[i % bytes]! % 7 === 0 ? '\n' : ' '}`;
  return Buffer.from(s.slice(0, bytes));
}

export interface TrafficBackend {
  readonly host: string;
  readonly port: number;
  /** Requests seen, by method and path. */
  readonly seen: { method: string; url: string }[];
  /** Responses of /hold waiting for release(). */
  readonly held: ServerResponse[];
  readonly bodies: { readonly big: Buffer; readonly mid: Buffer; readonly huge: Buffer };
  releaseAll(): void;
  close(): Promise<void>;
}

export async function startTrafficBackend(host: string): Promise<TrafficBackend> {
  const big = compressibleText(64 * 1024);
  const mid = compressibleText(300 * 1024);
  const huge = compressibleText(2 * 1024 * 1024);
  const seen: { method: string; url: string }[] = [];
  const held: ServerResponse[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    const path = (req.url ?? '/').split('?')[0]!;
    switch (path) {
      case '/big.txt':
        return sendChunks(res, big, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(big.length), etag: '"v1"', 'accept-ranges': 'bytes' });
      case '/stream.json':
        return sendChunks(res, big, { 'content-type': 'application/json' });
      case '/mid.bin':
        return sendChunks(res, mid, { 'content-type': 'application/octet-stream', 'content-length': String(mid.length) });
      case '/huge.txt':
        return sendChunks(res, huge, { 'content-type': 'text/plain', 'content-length': String(huge.length) });
      case '/small.txt':
        return res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '11' }).end('small body\n');
      case '/image.png':
        return res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(big.length) }).end(big);
      case '/encoded.txt':
        return res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'br', 'content-length': String(big.length) }).end(big);
      case '/no-transform.txt':
        return res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, no-transform', 'content-length': String(big.length) }).end(big);
      case '/range.txt':
        return res.writeHead(206, { 'content-type': 'text/plain', 'content-range': `bytes 0-999/${big.length}`, 'content-length': '1000' }).end(big.subarray(0, 1000));
      case '/hold':
        held.push(res);
        return;
      default:
        return res.writeHead(200, { 'content-type': 'text/plain', 'x-method': req.method ?? '' }).end(`${req.method} ${req.url}\n`);
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    sockets.add(socket);
    seen.push({ method: 'UPGRADE', url: req.url ?? '' });
    socket.on('error', () => {});
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`);
    socket.on('data', (d) => socket.write(`echo:${d.toString()}`));
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    host, port: (server.address() as { port: number }).port, seen, held, bodies: { big, mid, huge },
    releaseAll: () => {
      for (const res of held.splice(0)) res.end('released\n');
    },
    close: () => new Promise<void>((resolve) => {
      for (const res of held.splice(0)) res.destroy();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** The body in a few writes, so the proxy sees several chunks. */
function sendChunks(res: ServerResponse, body: Buffer, headers: Record<string, string>): void {
  res.writeHead(200, headers);
  const size = Math.ceil(body.length / 4);
  for (let i = 0; i < body.length; i += size) res.write(body.subarray(i, i + size));
  res.end();
}

/** A Service + EndpointSlice for the backend, and an Ingress with `annotations` for `host`. */
export function trafficManifests(backend: TrafficBackend, sites: readonly { name: string; host: string; annotations: Record<string, string> }[]): string {
  const docs: unknown[] = [
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'traffic', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'traffic-0', namespace: 'default', labels: { 'kubernetes.io/service-name': 'traffic' } },
      addressType: 'IPv4', ports: [{ name: 'http', port: backend.port }], endpoints: [{ addresses: [backend.host], conditions: { ready: true } }],
    },
  ];
  for (const site of sites) {
    docs.push({
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: site.name, namespace: 'default', annotations: site.annotations },
      spec: { ingressClassName: 'pier', rules: [{ host: site.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'traffic', port: { number: 80 } } } }] } }] },
    });
  }
  return docs.map((d) => stringify(d)).join('---\n');
}
