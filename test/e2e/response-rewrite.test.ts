import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type ClientHttp2Session } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * proxy-redirect-from/-to, proxy-cookie-domain and proxy-cookie-path through the real binary
 * (`pier serve --manifests`): a node:http backend answers redirects (absolute and relative
 * Location, Refresh) with several Set-Cookie headers, and the client sees them rewritten as
 * nginx's proxy_redirect / proxy_cookie_* would, over HTTP/1.1 and HTTP/2 (h2c, prior
 * knowledge), fetched and from the cache.
 */

const N = 'nginx.ingress.kubernetes.io/';
const UPSTREAM = 'http://backend.internal:8080/app/';

const COOKIES = [
  'sid=1; Path=/app/; Domain=backend.internal; HttpOnly',
  'pref=dark;path=/app/settings;domain=.BACKEND.Internal',
  'cdn=x; Path=/elsewhere; Domain=cdn.example',
  'upper=y; Path=/APP/; Domain=backend.internal.evil',
  'bare=z',
];
const REWRITTEN = [
  'sid=1; Path=/; Domain=rewrite.example; HttpOnly',
  'pref=dark; path=/settings; domain=.rewrite.example',
  'cdn=x; Path=/elsewhere; Domain=cdn.example',
  'upper=y; Path=/APP/; Domain=backend.internal.evil',
  'bare=z',
];

function backend(): Server {
  let hits = 0;
  return createServer((req, res) => {
    req.resume();
    hits++;
    const url = req.url ?? '/';
    res.setHeader('x-hits', String(hits));
    if (url.startsWith('/app/login')) {
      res.setHeader('location', `${UPSTREAM}welcome?from=login`);
      res.setHeader('set-cookie', COOKIES);
      res.writeHead(302).end();
    } else if (url.startsWith('/app/relative')) {
      res.setHeader('location', '/app/next');
      res.writeHead(303).end();
    } else if (url.startsWith('/app/refresh')) {
      res.setHeader('refresh', `3; URL=${UPSTREAM}done`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('wait');
    } else if (url.startsWith('/app/cached')) {
      res.setHeader('cache-control', 'public, max-age=300');
      res.setHeader('location', `${UPSTREAM}moved`);
      res.setHeader('set-cookie', COOKIES.slice(0, 2));
      res.writeHead(301).end();
    } else {
      res.setHeader('location', `${UPSTREAM}other`);
      res.writeHead(302).end();
    }
  });
}

function ingress(name: string, host: string, annotations: Record<string, string>): string {
  return annotatedIngressYaml(name, host, 'app', annotations);
}

const REWRITES = {
  [`${N}proxy-redirect-from`]: UPSTREAM,
  [`${N}proxy-redirect-to`]: 'https://rewrite.example/',
  [`${N}proxy-cookie-domain`]: 'backend.internal rewrite.example',
  [`${N}proxy-cookie-path`]: '/app/ /',
};

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

describe('response rewriting (proxy_redirect, proxy_cookie_*) through pier serve', () => {
  let dir: string;
  let server: Server;
  let pier: PierProcess;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    server = backend();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    dir = await mkdtemp(join(tmpdir(), 'pier-response-rewrite-'));
    await writeFile(join(dir, 'all.yaml'), [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('app', [{ host: '127.0.0.1', port }])}`,
      // A cookie Pier adds itself is not the upstream's: it is not rewritten (nginx's add_header).
      ingress('rewrite', 'rewrite.example', { ...REWRITES, 'pier.dev/response-headers-add': 'Set-Cookie: added=1; Path=/app/' }),
      ingress('relative', 'relative.example', { [`${N}proxy-redirect-from`]: '/app/', [`${N}proxy-redirect-to`]: '/shop/' }),
      ingress('cached', 'cached.example', { ...REWRITES, 'pier.dev/cache': 'on' }),
      ingress('plain', 'plain.example', {}),
    ].join(''));
    pier = await startPier(['--manifests', dir, '--workers', '1']);
    session = connect(`http://127.0.0.1:${pier.httpPort}`);
    session.on('error', () => {});
  });

  afterAll(async () => {
    session?.close();
    await pier?.stop();
    await new Promise((r) => server?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function h1(host: string, path: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: pier.httpPort, path, headers: { host } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  function h2(host: string, path: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'GET', ':path': path, ':authority': host });
      let head: Record<string, unknown> = {};
      stream.on('response', (h) => (head = h));
      stream.resume();
      stream.on('end', () => resolve({ status: Number(head[':status']), headers: head as IncomingHttpHeaders }));
      stream.on('error', reject);
      stream.end();
    });
  }

  const clients = [['HTTP/1.1', h1], ['HTTP/2', h2]] as const;

  it.each(clients)('%s: an absolute Location and every Set-Cookie, as nginx rewrites them', async (_name, get) => {
    const res = await get('rewrite.example', '/app/login');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('https://rewrite.example/welcome?from=login');
    expect(res.headers['set-cookie']).toEqual([...REWRITTEN, 'added=1; Path=/app/']);
  });

  it.each(clients)('%s: a relative Location that does not start with from is left alone', async (_name, get) => {
    const res = await get('rewrite.example', '/app/relative');
    expect([res.status, res.headers.location]).toEqual([303, '/app/next']);
  });

  it.each(clients)('%s: a relative Location rewritten by a path rule', async (_name, get) => {
    const res = await get('relative.example', '/app/relative');
    expect([res.status, res.headers.location]).toEqual([303, '/shop/next']);
  });

  it.each(clients)('%s: Refresh after its url=', async (_name, get) => {
    const res = await get('rewrite.example', '/app/refresh');
    expect([res.status, res.headers.refresh]).toEqual([200, '3; URL=https://rewrite.example/done']);
  });

  it.each(clients)('%s: a route without the annotations passes the upstream head unchanged', async (_name, get) => {
    const res = await get('plain.example', '/app/login');
    expect(res.headers.location).toBe(`${UPSTREAM}welcome?from=login`);
    expect(res.headers['set-cookie']).toEqual(COOKIES);
  });

  it('a cache hit is rewritten as the fetched response was (the cache keeps what the upstream sent)', async () => {
    const first = await h1('cached.example', '/app/cached');
    expect(first.headers['x-cache-status']).toBe('MISS');
    let hit: Answer | undefined;
    await waitFor(async () => {
      hit = await h1('cached.example', '/app/cached');
      return hit.headers['x-cache-status'] === 'HIT';
    }, 5_000, 'a cache hit');
    const viaH2 = await h2('cached.example', '/app/cached');
    for (const res of [first, hit!, viaH2]) {
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe('https://rewrite.example/moved');
      expect(res.headers['set-cookie']).toEqual(REWRITTEN.slice(0, 2));
    }
    expect(viaH2.headers['x-cache-status']).toBe('HIT');
    expect(viaH2.headers['x-hits']).toBe(hit!.headers['x-hits']);
  });
});
