/**
 * The floor of Node's socket I/O for an HTTP server (issue 7, "question the layers"): a raw
 * net.Server that answers every chunk it reads with one canned 100-byte response, no parsing,
 * no upstream. Against the "direct to backend" row (nginx doing the same job, plus parsing), it
 * shows what one read + one write per request costs through libuv and V8 on this machine; a
 * proxy does two of each, so twice this figure is a lower bound for any Node proxy.
 *
 * Only for wrk's keepalive GETs (one request per read); not an HTTP server.
 * Run: `node bench/peers/node-floor.ts UPSTREAM_PORT [LISTEN_PORT]` (the upstream is ignored).
 */
import { createServer, type Socket } from 'node:net';

const BODY = 'x'.repeat(100);
const RESPONSE = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`, 'latin1');

function onData(this: Socket): void {
  this.write(RESPONSE);
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
});
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
process.once('SIGTERM', () => process.exit(0));
