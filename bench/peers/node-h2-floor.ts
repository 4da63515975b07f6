/**
 * The floor of node:http2 for the HTTP/2 benchmark: a bare node:http2 server (the core stream
 * API, Pier's front settings) that answers every stream with a canned 100-byte response
 * (`respond` + `end`), with no routing, no upstream and no header handling. What node:http2
 * and nghttp2 cost per request on this machine; a proxy adds its upstream side to that.
 *
 * Run: `node bench/peers/node-h2-floor.ts UPSTREAM_PORT [LISTEN_PORT]` (the upstream is ignored).
 */
import { createServer, type ServerHttp2Stream } from 'node:http2';

const BODY = Buffer.alloc(100, 120);
const HEAD = { ':status': 200, 'content-type': 'text/plain', 'content-length': String(BODY.length) };

const server = createServer({ settings: { maxConcurrentStreams: 128, initialWindowSize: 64 * 1024, enablePush: false } });
server.on('stream', (stream: ServerHttp2Stream) => {
  stream.respond(HEAD);
  stream.end(BODY);
});
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
process.once('SIGTERM', () => process.exit(0));
