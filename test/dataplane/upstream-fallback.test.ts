import { Pool } from 'undici';
import type { UpstreamServer } from '../../src/routing/route-table.ts';
import type { UpstreamPool } from '../../src/dataplane/upstream/upstream-handler.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseHttpLayer, probeNodeInternals, type NodeInternalsLoaders } from '../../src/dataplane/node-internals.ts';
import { PoolRegistry } from '../../src/dataplane/upstream/pool-registry.ts';
import { undiciPoolFactory } from '../../src/dataplane/upstream/undici-pool-factory.ts';
import { H1Pool } from '../../src/dataplane/upstream/h1-pool.ts';
import { H2Pool } from '../../src/dataplane/upstream/h2/h2-pool.ts';
import { RawClient, backendOf, closeAll, deadPort, onCleanup, policy, startBackend, startDataplane, tableFor } from './helpers.ts';

afterEach(closeAll);

/**
 * The fallback for a Node without the internals of Pier's lean HTTP/1.1 layer: the probe that
 * tells (forced to "missing" here), the choice made from it, and the upstream side on undici's
 * Pool behind the same PoolRegistry factory seam. (The client side, front/public-http1/, runs
 * the HTTP/1.1 front's tests in vitest's `public-http` project and pier serve in
 * test/e2e/public-http.test.ts.)
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

describe('the start-up choice of HTTP/1.1 layer', () => {
  const all = { parser: true, directWrites: true, problems: [] };
  it.each([
    { name: 'everything there', report: all, force: false, publicHttp: false, warning: undefined },
    { name: 'forced', report: all, force: true, publicHttp: true, warning: /^HTTP\/1\.1 is served through node:http and undici .*: forced by --force-public-http$/ },
    { name: 'the parser missing', report: { parser: false, directWrites: true, problems: ['_http_common cannot be loaded: x'] }, force: false, publicHttp: true, warning: /: this Node lacks internals the lean HTTP\/1\.1 layer uses$/ },
    { name: 'only direct writes missing', report: { parser: true, directWrites: false, problems: ['process.binding x'] }, force: false, publicHttp: false, warning: /^direct socket writes are unavailable on this Node: responses are written through the socket stream/ },
  ])('$name', ({ report, force, publicHttp, warning }) => {
    const choice = chooseHttpLayer(force, report);
    expect(choice.publicHttp).toBe(publicHttp);
    if (warning === undefined) expect(choice.warning).toBeUndefined();
    else expect(choice.warning).toMatch(warning);
    expect(choice.missing).toEqual(report.problems);
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

describe('PoolRegistry with publicHttp: only the HTTP/1.1 protocol changes', () => {
  it.each([
    { publicHttp: false, http: H1Pool, h2c: H2Pool },
    { publicHttp: true, http: Pool, h2c: H2Pool },
  ])('publicHttp $publicHttp', async ({ publicHttp, http, h2c }) => {
    const pools = new PoolRegistry({ publicHttp, lazy: false });
    onCleanup(() => pools.close({ destroy: true }));
    const server: UpstreamServer = { host: '127.0.0.1', port: await deadPort(), weight: 1, backup: false, maxFails: 0, failTimeoutMs: 0 };
    pools.begin();
    const made = [policy({ protocol: 'HTTP' }), policy({ protocol: 'HTTPS' }), policy({ protocol: 'H2C' })].map((p) => pools.acquire(server, p));
    pools.commit();
    expect(made.map((p) => p.constructor)).toEqual([http, http, h2c]);
  });
});
