/**
 * The floor of node:http2 for the HTTP/2 benchmark: a bare node:http2 server (the core stream
 * API, Pier's front settings) that answers every stream with a canned 100-byte response
 * (`respond` + `end`), with no routing, no upstream and no header handling. What node:http2
 * and nghttp2 cost per request on this machine; a proxy adds its upstream side to that.
 *
 * `deferred` answers one event-loop turn later (setImmediate), as any proxy does once its
 * upstream answered: node:http2 then keeps each finished stream (its native handle and the
 * whole stream object) until a full GC instead of freeing it at once, because the stream's
 * last frames are still on the socket when it is destroyed (node's Http2Stream::Destroy waits
 * for the garbage collector then). The difference between the two floors is what node:http2
 * charges a proxy for answering later, before the proxy does any work.
 *
 * Run: `node bench/peers/node-h2-floor.ts UPSTREAM_PORT [LISTEN_PORT] [deferred]` (the upstream is ignored).
 */
import { createServer, type ServerHttp2Stream } from 'node:http2';

const BODY = Buffer.alloc(100, 120);
const HEAD = { ':status': 200, 'content-type': 'text/plain', 'content-length': String(BODY.length) };

const server = createServer({ settings: { maxConcurrentStreams: 128, initialWindowSize: 64 * 1024, enablePush: false } });
const deferred = process.argv[4] === 'deferred';
function answer(stream: ServerHttp2Stream): void {
  if (stream.destroyed) return;
  stream.respond(HEAD);
  stream.end(BODY);
}
server.on('stream', (stream: ServerHttp2Stream) => {
  if (deferred) setImmediate(answer, stream);
  else answer(stream);
});
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
process.once('SIGTERM', () => process.exit(0));
