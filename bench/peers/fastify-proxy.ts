/**
 * fastify + @fastify/http-proxy with its defaults (undici underneath), logging off: the
 * popular off-the-shelf Node proxy Pier is measured against.
 *
 * Run: `node bench/peers/fastify-proxy.ts UPSTREAM_PORT [LISTEN_PORT]`; prints `{"port":N}`.
 */
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const app = Fastify({ logger: false, keepAliveTimeout: 75_000 });
await app.register(proxy, { upstream: `http://127.0.0.1:${process.argv[2]}` });
const address = await app.listen({ port: Number(process.argv[3] ?? 0), host: '127.0.0.1' });
console.log(JSON.stringify({ port: Number(new URL(address).port) }));
process.once('SIGTERM', () => void app.close());
