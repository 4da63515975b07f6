import { Pool } from 'undici';
import type { UpstreamPool } from '../../src/dataplane/upstream/upstream-handler.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { probeNodeInternals, type NodeInternalsLoaders } from '../../src/dataplane/node-internals.ts';
import { PoolRegistry } from '../../src/dataplane/upstream/pool-registry.ts';
import { undiciPoolFactory } from '../../src/dataplane/upstream/undici-pool-factory.ts';
import { RawClient, backendOf, closeAll, deadPort, startBackend, startDataplane, tableFor } from './helpers.ts';

afterEach(closeAll);

/**
 * The fallback for a Node without the internals of Pier's lean HTTP/1.1 layer. So far: the
 * probe that tells (forced to "missing" here), and the upstream side on undici's Pool behind
 * the same PoolRegistry factory seam. (The client side's fallback on node:http waits for the
 * protocol-neutral request/response interfaces of the dataplane refactor.)
 */
describe('node internals probe', () => {
  it('finds everything the lean layer uses on the Node running the tests (24 and 26 today)', () => {
    // The day a Node release removes or reshapes them, this fails in that Node's CI run.
    expect(probeNodeInternals()).toEqual({ parser: true, directWrites: true, problems: [] });
  });

  it.each<{ name: string; loaders: Partial<NodeInternalsLoaders>; parser: boolean; directWrites: boolean; problem: RegExp }>([
    { name: '_http_common removed', loaders: { httpCommon: () => { throw new Error("Cannot find module '_http_common'"); } }, parser: false, directWrites: true, problem: /^_http_common cannot be loaded: Cannot find module/ },
    { name: 'HTTPParser gone', loaders: { httpCommon: () => ({ methods: ['GET'] }) }, parser: false, directWrites: true, problem: /^_http_common has no HTTPParser$/ },
    { name: 'a callback slot renamed', loaders: { httpCommon: () => ({ HTTPParser: Object.assign(function P() {}, { REQUEST: 1 }), methods: ['GET'] }) }, parser: false, directWrites: true, problem: /^_http_common HTTPParser lacks RESPONSE, kOnMessageBegin/ },
    { name: 'process.binding removed', loaders: { streamWrap: () => { throw new TypeError('process.binding is not a function'); } }, parser: true, directWrites: false, problem: /^process\.binding\('stream_wrap'\) cannot be loaded/ },
    { name: 'stream_wrap reshaped', loaders: { streamWrap: () => ({ WriteWrap: class {} }) }, parser: true, directWrites: false, problem: /lacks WriteWrap, streamBaseState or kLastWriteWasAsync$/ },
  ])('reports $name without throwing', async ({ loaders, parser, directWrites, problem }) => {
    const { NODE_LOADERS } = await import('../../src/dataplane/node-internals.ts');
    const report = probeNodeInternals({ ...NODE_LOADERS, ...loaders });
    expect(report.parser).toBe(parser);
    expect(report.directWrites).toBe(directWrites);
    expect(report.problems).toEqual([expect.stringMatching(problem)]);
  });
});

describe('upstream fallback: undici Pool behind the PoolRegistry factory', () => {
  /** undici Pools made by the registry (so a pass is not H1Pool's). */
  let made: UpstreamPool[] = [];
  const fallback = () => {
    made = [];
    return { pools: new PoolRegistry({ factory: (origin, options) => made[made.push(undiciPoolFactory(origin, options)) - 1]! }) };
  };

  it('proxies requests with bodies both ways and keeps upstream connections alive', async () => {
    const backend = await startBackend('a', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('x-got', `${req.method} ${req.url} ${req.headers['x-forwarded-for']} ${Buffer.concat(chunks).length}`);
        res.end(Buffer.alloc(100_000, 'x'));
      });
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]), fallback());
    const client = await RawClient.open(port);
    for (let i = 0; i < 3; i++) {
      client.send(`POST /up?i=${i} HTTP/1.1\r\nHost: foo.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
      const res = await client.response();
      expect(res.status).toBe(200);
      expect(res.headers['x-got']).toBe(`POST /up?i=${i} 127.0.0.1 5`);
      expect(res.body.length).toBe(100_000);
    }
    expect(backend.connections).toBe(1);
    expect(made.map((p) => p.constructor)).toEqual([Pool]);
  });

  it('answers 502 for an endpoint that refuses connections, and the connection carries on', async () => {
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('dead', [{ host: '127.0.0.1', port: await deadPort() }])]), fallback());
    const client = await RawClient.open(port);
    expect((await client.get('foo.com', '/')).status).toBe(502);
    expect((await client.get('nobody.example', '/')).status).toBe(404);
    expect(made.map((p) => p.constructor)).toEqual([Pool]);
  });
});
