/**
 * The floor of Node's socket I/O for an HTTP server (issue 7, "question the layers"): a raw
 * net.Server that answers each request chunk it reads with a canned response of the size the
 * path asks for (the backend's 100 B, 1 KiB, 100 KiB), with no parsing beyond finding the path
 * and `Connection: close`, and no upstream. Against the "direct to backend" row (nginx doing
 * the same job and parsing), it shows what one read + one write per request costs through libuv
 * and V8 on this machine; a proxy does two of each, so twice this figure is a lower bound for
 * any Node proxy.
 *
 * Only for wrk's GETs (one request per read); not an HTTP server.
 * Run: `node bench/peers/node-floor.ts UPSTREAM_PORT [LISTEN_PORT]` (the upstream is ignored).
 */
import { createServer, type Socket } from 'node:net';

function response(size: number, close: boolean): Buffer {
  const body = Buffer.alloc(size, 120);
  const head = `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${size}\r\n${close ? 'connection: close\r\n' : ''}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
const SIZES: [string, number][] = [['/files/100k', 100 * 1024], ['/files/1k', 1024], ['', 100]];
const KEEP = new Map(SIZES.map(([p, n]) => [p, response(n, false)]));
const CLOSE = new Map(SIZES.map(([p, n]) => [p, response(n, true)]));

function onData(this: Socket, chunk: Buffer): void {
  const close = chunk.includes('onnection: close');
  const path = SIZES.find(([p]) => p === '' || chunk.includes(p))![0];
  if (close) this.end((CLOSE.get(path))!);
  else this.write(KEEP.get(path)!);
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
});
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
process.once('SIGTERM', () => process.exit(0));
