import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Http2Session, ServerHttp2Stream } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../dataplane/helpers.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML } from '../e2e/manifests.ts';
import { siteYaml } from '../e2e/upstream-backends.ts';
import { startH2Backend, until, type H2Backend } from './h2-helpers.ts';

/**
 * An Upstream's `http2` settings, end to end through `pier serve --manifests DIR` to node:http2
 * h2c backends: `pingInterval` makes Pier PING its connections, `maxConcurrentStreams` caps the
 * streams per connection (more requests at once open more connections).
 */
describe('Upstream http2 settings → the HTTP/2 upstream connections', () => {
  let dir: string;
  let pier: PierProcess;
  let pinged: H2Backend;
  let narrow: H2Backend;
  const pings = new Map<Http2Session, number>();
  const held: ServerHttp2Stream[] = [];

  beforeAll(async () => {
    pinged = await startH2Backend((stream) => {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    pinged.server.on('session', (session: Http2Session) => session.on('ping', () => pings.set(session, (pings.get(session) ?? 0) + 1)));
    narrow = await startH2Backend((stream) => {
      held.push(stream); // answered by the test, once every request is in
    });
    dir = await mkdtemp(join(tmpdir(), 'pier-h2-settings-'));
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'sites.yaml'), [
      siteYaml('pinged', { servers: [{ address: '127.0.0.1', port: pinged.port }], protocol: 'H2C', http2: { pingInterval: '100ms' } }),
      siteYaml('narrow', { servers: [{ address: '127.0.0.1', port: narrow.port }], protocol: 'H2C', http2: { maxConcurrentStreams: 2 } }),
    ].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1'], { readyTimeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await pier?.stop();
    await closeAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const get = async (site: string, path = '/') => {
    const res = await request(`http://127.0.0.1:${pier.httpPort}${path}`, { headers: { host: `${site}.example` }, headersTimeout: 10_000 });
    return { status: res.statusCode, text: await res.body.text() };
  };

  it('pingInterval: the idle upstream connection receives a PING about every interval', async () => {
    expect(await get('pinged')).toEqual({ status: 200, text: 'ok' });
    await until(() => [...pings.values()].some((n) => n >= 3), 5_000, 'three PINGs on the connection');
    expect(pinged.connections).toBe(1);
  });

  it('maxConcurrentStreams 2: six requests at once use three upstream connections', async () => {
    const pending = Array.from({ length: 6 }, (_, i) => get('narrow', `/${i}`));
    await until(() => held.length === 6, 5_000, 'six streams at the backend');
    expect(narrow.connections).toBe(3);
    for (const stream of held) {
      stream.respond({ ':status': 200 });
      stream.end('released');
    }
    const results = await Promise.all(pending);
    expect(results.every((r) => r.status === 200 && r.text === 'released')).toBe(true);
  });
});
