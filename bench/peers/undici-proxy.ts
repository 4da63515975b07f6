/**
 * The minimal Node proxy Pier is measured against: what a Node developer would write with
 * node:http in front and undici behind. One undici Pool to the backend (keepalive, up to 128
 * connections, like nginx's `keepalive 128`), `pool.stream()` writing the backend's body straight
 * into the client's response (no intermediate Readable, the least garbage of undici's APIs),
 * hop-by-hop headers dropped both ways. No routing, no policies, no logging.
 *
 * Its CPU per request is far more sensitive to what else runs on the machine than nginx's or
 * Pier's (it leaves ~16 KiB of garbage per request, so young-generation GC on the pinned core
 * grows with contention): compare it only within one run, and note the load average.
 *
 * Run: `node bench/peers/undici-proxy.ts UPSTREAM_PORT [LISTEN_PORT]`; prints `{"port":N}`.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
const pool = new Pool(`http://127.0.0.1:${process.argv[2]}`, { connections: 128, pipelining: 1 });

function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

const server = createServer({ keepAliveTimeout: 75_000 }, (req, res) => {
  pool.stream(
    { path: req.url!, method: req.method as 'GET', headers: endToEnd(req.headers), body: req.method === 'GET' || req.method === 'HEAD' ? null : req },
    ({ statusCode, headers }) => res.writeHead(statusCode, endToEnd(headers)),
    (err) => {
      if (err && !res.headersSent) res.writeHead(502).end();
      else if (err) res.destroy();
    },
  );
});
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
process.once('SIGTERM', () => { server.close(); void pool.close(); server.closeAllConnections(); });
