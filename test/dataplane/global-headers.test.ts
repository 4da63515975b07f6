import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouteTable } from '../../src/routing/route-table.ts';
import { h2Connect, h2Request } from '../h2/h2-client.ts';
import { backendOf, closeAll, deadPort, prefixRoute, startBackend, startDataplane, swapTo, tableFor, type SwapMode } from './helpers.ts';

/*
 * The table's --proxy-set-headers / --add-headers lists on real sockets: every proxied request
 * carries the request headers (nginx variables filled in, a client's own header of that name
 * replaced, an empty value sending none), every response the response headers (the backend's
 * of that name replaced), over HTTP/1.1 and h2c; a route's own header edits win on a name
 * both set; the default backend's answers, filters' answers and Pier's own answers carry them.
 */

afterEach(closeAll);

const PROXY_SET = ['x-client', '$remote_addr', 'x-forwarded-host', '', 'x-request-start', 't=${msec}', 'x-team', 'edge'];
const ADD = ['x-frame-options', 'DENY', 'x-served-host', '$host'];

/** A backend that answers with its own X-Frame-Options, which --add-headers replaces. */
async function framingBackend(name: string) {
  return startBackend(name, (req, res) => {
    req.resume();
    res.setHeader('x-frame-options', 'SAMEORIGIN');
    res.end(`backend=${name}`);
  });
}

describe('--proxy-set-headers and --add-headers in the dataplane', () => {
  it('HTTP/1.1: the backend sees the request headers, variables filled in, the client\'s own replaced; the client sees the response headers', async () => {
    const backend = await framingBackend('web');
    const table = { ...tableFor('site.test', [backendOf('b', [backend])]), proxySetHeaders: PROXY_SET, addHeaders: ADD };
    const { origin } = await startDataplane(table);
    const before = Date.now() / 1000;
    const res = await request(`${origin}/page`, { headers: { host: 'Site.Test:8080', 'x-team': 'client', 'X-Team': 'again' } });
    expect(await res.body.text()).toBe('backend=web');
    const seen = backend.seen[0]!;
    expect(seen.headers['x-client']).toBe('127.0.0.1');
    expect(seen.rawHeaders.filter((h) => h.toLowerCase() === 'x-team')).toHaveLength(1);
    expect(seen.headers['x-team']).toBe('edge');
    expect(seen.headers['x-forwarded-host']).toBeUndefined();
    const start = Number(/^t=(\d+\.\d{3})$/.exec(String(seen.headers['x-request-start']))?.[1]);
    expect(start).toBeGreaterThanOrEqual(Math.floor(before));
    expect(start).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-served-host']).toBe('site.test');
  });

  it('h2c: the same', async () => {
    const backend = await framingBackend('web');
    const table = { ...tableFor('site.test', [backendOf('b', [backend])]), proxySetHeaders: PROXY_SET, addHeaders: ADD };
    const { origin } = await startDataplane(table);
    const session = await h2Connect(origin);
    const r = await h2Request(session, { ':path': '/page', ':authority': 'site.test', 'x-team': 'client' });
    expect([r.status, r.body]).toEqual([200, 'backend=web']);
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['x-served-host']).toBe('site.test');
    const seen = backend.seen[0]!;
    expect([seen.headers['x-team'], seen.headers['x-client'], seen.headers['x-forwarded-host']]).toEqual(['edge', '127.0.0.1', undefined]);
  });

  it('a route\'s own header edits win on a name both set; a filter\'s own answer (a redirect) carries --add-headers', async () => {
    const backend = await framingBackend('web');
    const own = {
      ...prefixRoute('/own', 'b'),
      policies: [
        { kind: 'request-headers' as const, set: ['x-team', 'route'], add: [], remove: [] },
        { kind: 'response-headers' as const, set: ['x-frame-options', 'SAMEORIGIN'], add: [], remove: [] },
      ],
    };
    const moved = { ...prefixRoute('/moved', 'b'), policies: [{ kind: 'redirect' as const, url: 'https://elsewhere.test/', code: 301 }] };
    const table = { ...tableFor('site.test', [backendOf('b', [backend])], [own, moved, prefixRoute('/', 'b')]), proxySetHeaders: PROXY_SET, addHeaders: ADD };
    const { origin } = await startDataplane(table);
    const res = await request(`${origin}/own`, { headers: { host: 'site.test' } });
    await res.body.text();
    expect(backend.seen[0]!.headers['x-team']).toBe('route');
    expect(backend.seen[0]!.headers['x-client']).toBe('127.0.0.1');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-served-host']).toBe('site.test');
    const redirect = await request(`${origin}/moved`, { headers: { host: 'site.test' } });
    await redirect.body.text();
    expect([redirect.statusCode, redirect.headers.location, redirect.headers['x-frame-options']]).toEqual([301, 'https://elsewhere.test/', 'DENY']);
    expect(backend.seen).toHaveLength(1);
  });

  it('requests no rule matches: the default backend gets the request headers and its answer the response headers; without one, Pier\'s 404 carries them', async () => {
    const fallback = await framingBackend('fallback');
    const table: RouteTable = { ...tableFor('site.test', [backendOf('b', [fallback]), backendOf('fallback', [fallback])]), defaultBackend: 'fallback', proxySetHeaders: PROXY_SET, addHeaders: ADD };
    const { origin, dp } = await startDataplane(table);
    const res = await request(`${origin}/`, { headers: { host: 'unknown.test' } });
    expect(await res.body.text()).toBe('backend=fallback');
    expect(fallback.seen[0]!.headers['x-team']).toBe('edge');
    expect([res.headers['x-frame-options'], res.headers['x-served-host']]).toEqual(['DENY', 'unknown.test']);
    dp.swap({ ...table, defaultBackend: undefined }, 2);
    const missing = await request(`${origin}/`, { headers: { host: 'unknown.test' } });
    await missing.body.text();
    expect([missing.statusCode, missing.headers['x-frame-options'], missing.headers['x-served-host']]).toEqual([404, 'DENY', 'unknown.test']);
  });

  it('Pier\'s own 502 and 503 carry --add-headers, over HTTP/1.1 and h2c', async () => {
    const dead = await deadPort();
    const table: RouteTable = {
      virtualHosts: [{ host: 'down.test', routes: [prefixRoute('/', 'dead')] }, { host: 'none.test', routes: [prefixRoute('/', 'none')] }],
      backends: [backendOf('dead', [{ host: '127.0.0.1', port: dead }]), backendOf('none', [], undefined, 'NoReadyEndpoints')],
      addHeaders: ADD,
    };
    const { origin } = await startDataplane(table);
    for (const host of ['down.test', 'none.test']) {
      const res = await request(`${origin}/`, { headers: { host } });
      await res.body.text();
      expect([res.statusCode, res.headers['x-frame-options'], res.headers['x-served-host']], host).toEqual([host === 'down.test' ? 502 : 503, 'DENY', host]);
    }
    const session = await h2Connect(origin);
    const r = await h2Request(session, { ':path': '/', ':authority': 'down.test' });
    expect([r.status, r.headers['x-frame-options']]).toEqual([502, 'DENY']);
  });

  it('a --block-cidrs client\'s 403 carries --add-headers (nginx\'s http-level deny page does)', async () => {
    const backend = await framingBackend('web');
    const { origin } = await startDataplane({ ...tableFor('site.test', [backendOf('b', [backend])]), addHeaders: ADD }, { blockCidrs: ['127.0.0.1/32'] });
    const res = await request(`${origin}/`, { headers: { host: 'site.test' } });
    await res.body.text();
    expect([res.statusCode, res.headers['x-frame-options']]).toEqual([403, 'DENY']);
    expect(backend.seen).toHaveLength(0);
  });

  for (const mode of ['whole', 'delta'] as SwapMode[]) {
    it(`a new table (${mode}) with other lists applies them to every route; one without lists applies none`, async () => {
      const backend = await framingBackend('web');
      const first: RouteTable = { ...tableFor('site.test', [backendOf('b', [backend])]), proxySetHeaders: ['x-team', 'one'], addHeaders: ADD };
      const { origin, dp } = await startDataplane(first);
      const second: RouteTable = { ...first, proxySetHeaders: ['x-team', 'two'], addHeaders: ['x-frame-options', 'DENY'] };
      swapTo(dp, mode, first, second, 2);
      const res = await request(`${origin}/`, { headers: { host: 'site.test' } });
      await res.body.text();
      expect([backend.seen[0]!.headers['x-team'], res.headers['x-frame-options'], res.headers['x-served-host']]).toEqual(['two', 'DENY', undefined]);
      const third: RouteTable = { virtualHosts: second.virtualHosts, backends: second.backends };
      swapTo(dp, mode, second, third, 3);
      const plain = await request(`${origin}/`, { headers: { host: 'site.test', 'x-team': 'client' } });
      await plain.body.text();
      expect([backend.seen[1]!.headers['x-team'], plain.headers['x-frame-options']]).toEqual(['client', 'SAMEORIGIN']);
      // Without lists, a route without policies has no pipeline again: one branch per request.
      const compiled = (dp as unknown as { compiled: { match(host: string, target: string): { pipeline: unknown } | undefined } }).compiled;
      expect(compiled.match('site.test', '/')?.pipeline).toBeUndefined();
    });
  }
});
