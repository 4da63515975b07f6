import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerCache } from '../../src/dataplane/cache/cache-store.ts';
import type { CacheCoordinator } from '../../src/dataplane/cache/cache-messages.ts';
import type { Policy } from '../../src/routing/policies.ts';
import { inFilterOrder } from '../../src/translate/route-policies.ts';
import { backendOf, closeAll, onCleanup, startBackend, startDataplane, tableFor } from '../dataplane/helpers.ts';

/*
 * `pier.dev/cache` with main's filters on one route. With `custom-http-errors` (merge of the cache and main's error
 * pages). Regression: with the cache before error-pages in POLICY_ORDER, a miss (which the cache
 * sends on through Admission.proceed, skipping the filters after it) reached the client as the
 * origin's 404 instead of the error backend's page.
 */
const HOST = 'cache-err.test';

/** One worker alone: every lock is granted at once. */
const alone: CacheCoordinator = { send: () => {}, lock: () => Promise.resolve(true) };

function get(port: number, path: string): Promise<{ status: number; body: string; cache: string | undefined }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host: HOST } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, cache: res.headers['x-cache-status'] as string | undefined }));
    }).on('error', reject).end();
  });
}

describe('shared cache and error pages on one route', () => {
  afterEach(closeAll);

  async function setup() {
    const dir = await mkdtemp(join(tmpdir(), 'pier-cache-err-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const counts = new Map<string, number>();
    const origin = await startBackend('origin', (req, res) => {
      counts.set(req.url!, (counts.get(req.url!) ?? 0) + 1);
      if (req.url === '/missing') {
        res.writeHead(404, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' });
        res.end('origin 404');
        return;
      }
      res.writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' });
      res.end(`origin ${req.url}`);
    });
    const errors = await startBackend('errors', (req, res) => {
      res.writeHead(404, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' });
      res.end(`page for ${req.headers['x-code']}`);
    });
    const policies: Policy[] = inFilterOrder([
      { kind: 'cache', key: '$scheme://$host$request_uri', valid: [], statusHeader: true },
      { kind: 'error-pages', codes: [404], backend: 'errors', namespace: 'default', ingress: 'web', service: 'origin', servicePort: '80' },
    ]);
    const table = tableFor(HOST, [backendOf('origin', [origin]), backendOf('errors', [errors])], [
      { path: '/', pathType: 'Prefix', backend: 'origin', origin: 'default/web', policies },
    ]);
    const dp = await startDataplane(table, { cache: new WorkerCache(dir, 1024 * 1024, alone) });
    return { port: dp.port, counts };
  }

  it('a miss answered 404 gets the error backend\'s page, which is not stored under the key', async () => {
    const { port, counts } = await setup();
    expect(await get(port, '/missing')).toMatchObject({ status: 404, body: 'page for 404', cache: 'MISS' });
    // Not served from the cache: the origin is asked again, and the error page again answers.
    expect(await get(port, '/missing')).toMatchObject({ status: 404, body: 'page for 404' });
    expect(counts.get('/missing')).toBe(2);
  });

  it('answers not listed are still cached', async () => {
    const { port, counts } = await setup();
    expect(await get(port, '/ok')).toMatchObject({ status: 200, body: 'origin /ok', cache: 'MISS' });
    await new Promise((r) => setTimeout(r, 100)); // the entry's rename and index message
    expect(await get(port, '/ok')).toMatchObject({ status: 200, body: 'origin /ok', cache: 'HIT' });
    expect(counts.get('/ok')).toBe(1);
  });
});

/*
 * With `limit-connections`: a miss that waits for the collapsing lock answers false to the
 * request handler, which runs the admission's done hooks on false; the cache holds them until
 * the request it sends on later is over, so the request still counts as in progress.
 */
describe('shared cache and limit-connections on one route', () => {
  afterEach(closeAll);

  it('a miss that waited for the lock counts as in progress until its response is complete', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pier-cache-limit-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    let release!: () => void;
    const origin = await startBackend('origin', (req, res) => {
      if (req.url === '/slow') {
        release = () => res.end('slow');
        res.writeHead(200, { 'cache-control': 'no-store' });
        return;
      }
      res.writeHead(200, { 'cache-control': 'no-store' });
      res.end(`origin ${req.url}`);
    });
    // Each lock is granted a little later, as the primary's answer.
    const later: CacheCoordinator = { send: () => {}, lock: () => new Promise((r) => setTimeout(() => r(true), 20)) };
    const policies: Policy[] = inFilterOrder([
      { kind: 'cache', key: '$scheme://$host$request_uri', valid: [], statusHeader: true },
      { kind: 'rate-limit', zone: 'default/web', rps: 0, rpm: 0, connections: 1, burstMultiplier: 1, allow: [], status: 429, connStatus: 429 },
    ]);
    const table = tableFor(HOST, [backendOf('origin', [origin])], [{ path: '/', pathType: 'Prefix', backend: 'origin', origin: 'default/web', policies }]);
    const { port } = await startDataplane(table, { cache: new WorkerCache(dir, 1024 * 1024, later) });
    const slow = get(port, '/slow');
    while (origin.seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect((await get(port, '/other')).status).toBe(429);
    release();
    expect(await slow).toMatchObject({ status: 200, body: 'slow' });
    expect(await get(port, '/other')).toMatchObject({ status: 200, body: 'origin /other' });
  });
});
