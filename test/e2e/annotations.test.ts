import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * ingress-nginx's routing annotations through the real binary (`pier serve --manifests`), with
 * real sockets: each family on plain requests, and WebSocket upgrades through the same filters.
 * The backends echo what reached them (method, URL, headers) and accept upgrades.
 */

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Seen {
  readonly backend: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

function backendServer(name: string): Server {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ backend: name, url: req.url ?? '', headers: req.headers } satisfies Seen);
      const status = /^\/status\/([0-9]{3})(\?|$)/.exec(req.url ?? '')?.[1];
      if (req.url === '/slow') return; // never answers: the read timeout's business
      res.writeHead(status === undefined ? 200 : Number(status), { 'content-type': 'application/json', 'x-backend': name, 'x-internal': 'secret', 'cache-control': 'no-cache' });
      res.end(body);
    });
  });
  server.on('upgrade', (req, socket: Socket) => {
    socket.on('error', () => {});
    socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Backend: ${name}\r\nX-Url: ${req.url}\r\n\r\n`);
  });
  return server;
}

const ingress = (name: string, host: string, annotations: Record<string, string>, paths: { path: string; type?: string; service: string }[], tls?: string) => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
  annotations:
${Object.entries(annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`).join('\n') || '    {}'}
spec:
  ingressClassName: pier
${tls ? `  tls: [{ hosts: [${host}], secretName: ${tls} }]\n` : ''}  rules:
    - host: ${host}
      http:
        paths:
${paths.map((p) => `          - { path: "${p.path}", pathType: ${p.type ?? 'Prefix'}, backend: { service: { name: ${p.service}, port: { number: 80 } } } }`).join('\n')}
`;

const N = 'nginx.ingress.kubernetes.io/';

describe('ingress-nginx routing annotations through pier serve', () => {
  let dir: string;
  let pier: PierProcess;
  const servers: Server[] = [];

  beforeAll(async () => {
    const ports: number[] = [];
    for (const name of ['main', 'canary']) {
      const s = backendServer(name);
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      ports.push((s.address() as { port: number }).port);
    }
    const cert = makeCertificate('tls.example');
    dir = await mkdtemp(join(tmpdir(), 'pier-annotations-'));
    const manifests = [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('main', [{ host: '127.0.0.1', port: ports[0]! }])}`,
      `---\n${serviceYaml('canary', [{ host: '127.0.0.1', port: ports[1]! }])}`,
      `---\n${serviceYaml('pair', [{ host: '127.0.0.1', port: ports[0]! }, { host: '127.0.0.1', port: ports[1]! }])}`,
      `---\n${tlsSecretYaml('default', 'tls-cert', cert)}`,
      `---\n${serviceYaml('empty', [])}`,
      ingress('rewrite', 'rewrite.example', { [`${N}use-regex`]: 'true', [`${N}rewrite-target`]: '/$2', [`${N}x-forwarded-prefix`]: '/something' }, [{ path: '/something(/|$)(.*)', type: 'ImplementationSpecific', service: 'main' }]),
      ingress('approot', 'approot.example', { [`${N}app-root`]: '/app1' }, [{ path: '/', service: 'main' }]),
      ingress('moved', 'moved.example', { [`${N}permanent-redirect`]: 'https://new.example/landing', [`${N}permanent-redirect-code`]: '308' }, [{ path: '/', service: 'main' }]),
      ingress('secure', 'tls.example', {}, [{ path: '/', service: 'main' }], 'tls-cert'),
      ingress('forced', 'forced.example', { [`${N}force-ssl-redirect`]: 'true', [`${N}preserve-trailing-slash`]: 'true' }, [{ path: '/', service: 'main' }]),
      ingress('app', 'canary.example', {}, [{ path: '/', service: 'main' }]),
      ingress('app-canary', 'canary.example', { [`${N}canary`]: 'true', [`${N}canary-by-header`]: 'X-Canary', [`${N}canary-by-cookie`]: 'beta' }, [{ path: '/', service: 'canary' }]),
      ingress('limits', 'limits.example', { [`${N}proxy-body-size`]: '1k', [`${N}upstream-vhost`]: 'internal.svc', 'pier.dev/request-headers-set': 'X-Env: prod', 'pier.dev/request-headers-remove': 'X-Debug', 'pier.dev/response-headers-set': 'X-Frame-Options: DENY', 'pier.dev/response-headers-remove': 'X-Internal' }, [{ path: '/', service: 'main' }]),
      ingress('snippet', 'snippet.example', { [`${N}configuration-snippet`]: 'return 200;' }, [{ path: '/', service: 'main' }]),
      ingress('sticky', 'sticky.example', { [`${N}affinity`]: 'cookie', [`${N}session-cookie-name`]: 'route', [`${N}session-cookie-max-age`]: '3600', [`${N}session-cookie-samesite`]: 'Lax' }, [{ path: '/app', service: 'pair' }]),
      ingress('errors', 'errors.example', { [`${N}custom-http-errors`]: '404,503', [`${N}default-backend`]: 'canary' }, [{ path: '/', service: 'main' }, { path: '/down', service: 'empty' }]),
      ingress('uploads', 'uploads.example', { [`${N}proxy-body-size`]: '4k' }, [{ path: '/', service: 'main' }]),
      ingress('timeouts', 'timeouts.example', { [`${N}proxy-read-timeout`]: '1', [`${N}proxy-next-upstream`]: 'off' }, [{ path: '/', service: 'main' }]),
      ingress('hashed', 'hashed.example', { [`${N}upstream-hash-by`]: '$request_uri' }, [{ path: '/', service: 'pair' }]),
      ingress('www', 'www-target.example', { [`${N}from-to-www-redirect`]: 'true' }, [{ path: '/', service: 'main' }]),
    ];
    await writeFile(join(dir, 'all.yaml'), manifests.join(''));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--max-body-size', '1k']);
  });

  afterAll(async () => {
    await pier?.stop();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function get(host: string, path: string, headers: Record<string, string> = {}, method = 'GET', body?: Buffer): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: pier.httpPort, path, method, headers: { host, ...headers } }, (res) => {
        let text = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const seen = (a: Answer): Seen => JSON.parse(a.body) as Seen;

  it('rewrite-target with captures: the backend gets the rewritten path, the query kept, X-Forwarded-Prefix set', async () => {
    expect(seen(await get('rewrite.example', '/something/new?x=1')).url).toBe('/new?x=1');
    expect(seen(await get('rewrite.example', '/something')).url).toBe('/');
    const deep = seen(await get('rewrite.example', '/SOMETHING/a/b'));
    expect(deep.url).toBe('/a/b'); // case-insensitive, as ingress-nginx's ~*
    expect(deep.headers['x-forwarded-prefix']).toBe('/something');
    expect((await get('rewrite.example', '/other')).status).toBe(404);
  });

  it('app-root: only / is redirected (302) to the application root', async () => {
    const root = await get('approot.example', '/');
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('http://approot.example/app1');
    expect(seen(await get('approot.example', '/app1')).url).toBe('/app1');
  });

  it('permanent-redirect with its code: every request, URL as written', async () => {
    const moved = await get('moved.example', '/deep/path?q=1');
    expect(moved.status).toBe(308);
    expect(moved.headers.location).toBe('https://new.example/landing');
  });

  it('ssl-redirect by default on a TLS host: 308 to https without the trailing slash; HTTPS is served', async () => {
    const plain = await get('tls.example', '/path/?a=1');
    expect(plain.status).toBe(308);
    // ingress-nginx drops a trailing slash only when it ends the request URI (query included).
    expect(plain.headers.location).toBe('https://tls.example/path/?a=1');
    const slash = await get('tls.example', '/dir/');
    expect(slash.headers.location).toBe('https://tls.example/dir');
    const secure = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: pier.httpsPort, servername: 'tls.example', path: '/x', headers: { host: 'tls.example' }, rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(secure).toBe(200);
  });

  it('force-ssl-redirect without TLS, preserve-trailing-slash keeps the slash', async () => {
    const r = await get('forced.example:8080', '/dir/');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('https://forced.example/dir/');
  });

  it('canary: header always/never, then cookie, else the main backend', async () => {
    expect(seen(await get('canary.example', '/')).backend).toBe('main');
    expect(seen(await get('canary.example', '/', { 'x-canary': 'always' })).backend).toBe('canary');
    expect(seen(await get('canary.example', '/', { 'x-canary': 'never', cookie: 'beta=always' })).backend).toBe('main');
    expect(seen(await get('canary.example', '/', { cookie: 'a=1; beta=always' })).backend).toBe('canary');
    expect(seen(await get('canary.example', '/', { 'x-canary': 'other', cookie: 'beta=never' })).backend).toBe('main');
  });

  it('proxy-body-size: 413 before the body is read, and the connection closes', async () => {
    const big = await get('limits.example', '/', { 'content-type': 'text/plain' }, 'POST', Buffer.alloc(2048, 'a'));
    expect(big.status).toBe(413);
    expect(big.headers.connection).toBe('close');
    const small = await get('limits.example', '/', { 'content-type': 'text/plain' }, 'POST', Buffer.alloc(512, 'a'));
    expect(small.status).toBe(200);
  });

  it('proxy-body-size raises --max-body-size for its Ingress only (as ingress-nginx over its global)', async () => {
    expect((await get('uploads.example', '/', {}, 'POST', Buffer.alloc(3000, 'a'))).status).toBe(200);
    expect((await get('uploads.example', '/', {}, 'POST', Buffer.alloc(5000, 'a'))).status).toBe(413);
    expect((await get('approot.example', '/x', {}, 'POST', Buffer.alloc(3000, 'a'))).status).toBe(413);
  });

  it('upstream-vhost and request header edits reach the backend; response header edits reach the client', async () => {
    const r = await get('limits.example', '/h', { 'x-debug': '1' });
    const s = seen(r);
    expect(s.headers.host).toBe('internal.svc');
    expect(s.headers['x-env']).toBe('prod');
    expect(s.headers['x-debug']).toBeUndefined();
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['x-internal']).toBeUndefined();
    expect(r.headers['x-backend']).toBe('main');
  });

  it('a configuration-snippet Ingress is not served, and the log names the annotation', async () => {
    expect((await get('snippet.example', '/')).status).toBe(404);
    await waitFor(() => pier.output().includes('configuration-snippet is refused'), 5_000, 'refusal logged');
  });

  it('from-to-www-redirect: the www name redirects to the Ingress host', async () => {
    const r = await get('www.www-target.example', '/a/?b=1');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('http://www-target.example/a/?b=1');
    expect((await get('www.www-target.example', '/a/')).headers.location).toBe('http://www-target.example/a');
  });

  it('cookie affinity: the first response sets the cookie, later requests with it stay on that server', async () => {
    const first = await get('sticky.example', '/app/x');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/^route=[0-9a-f]{20}; Path=\/app; Max-Age=3600; HttpOnly; SameSite=Lax$/);
    const cookie = setCookie.split(';')[0]!;
    const pinned = seen(first).backend;
    for (let i = 0; i < 6; i++) {
      const again = await get('sticky.example', '/app/x', { cookie });
      expect(seen(again).backend).toBe(pinned);
      expect(again.headers['set-cookie']).toBeUndefined();
    }
    // Without the cookie the balancer spreads requests (round robin over both servers).
    const spread = new Set<string>();
    for (let i = 0; i < 4; i++) spread.add(seen(await get('sticky.example', '/app/x')).backend);
    expect(spread).toEqual(new Set(['main', 'canary']));
    // A cookie naming no server of the backend is replaced.
    expect(String((await get('sticky.example', '/app/x', { cookie: 'route=stale' })).headers['set-cookie'])).toMatch(/^route=[0-9a-f]{20};/);
  });

  it('custom-http-errors: an upstream 404 is answered by the default-backend Service with ingress-nginx\'s headers; a Service without endpoints falls back to it', async () => {
    const notFound = await get('errors.example', '/status/404?q=1', { accept: 'text/html', 'x-request-id': 'abc' });
    expect(notFound.status).toBe(200); // the error backend's own status, as nginx error_page =
    const sent = seen(notFound);
    expect(sent.backend).toBe('canary');
    expect(sent.url).toBe('/');
    expect(sent.headers).toMatchObject({ 'x-code': '404', 'x-format': 'text/html', 'x-original-uri': '/status/404?q=1', 'x-namespace': 'default', 'x-ingress-name': 'errors', 'x-service-name': 'main', 'x-service-port': '80', 'x-request-id': 'abc', host: 'errors.example' });
    expect((await get('errors.example', '/status/500')).status).toBe(500); // not listed: relayed
    expect(seen(await get('errors.example', '/ok')).backend).toBe('main');
    // A Service without endpoints: default-backend serves the request itself (not as an error page).
    const down = seen(await get('errors.example', '/down'));
    expect(down.backend).toBe('canary');
    expect(down.url).toBe('/down');
    expect(down.headers['x-code']).toBeUndefined();
  });

  it('proxy-read-timeout in seconds: a backend silent for longer gets 504 after about that long', async () => {
    const started = performance.now();
    expect((await get('timeouts.example', '/slow')).status).toBe(504);
    const ms = performance.now() - started;
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(10_000);
  });

  it('upstream-hash-by $request_uri: one URI always reaches one server, URIs spread over both', async () => {
    const byUri = new Map<string, Set<string>>();
    // 32 URIs twice: all landing on one of two servers would be a 2^-31 chance for a fair hash.
    for (let i = 0; i < 64; i++) {
      const uri = `/item/${i % 32}`;
      const set = byUri.get(uri) ?? new Set<string>();
      set.add(seen(await get('hashed.example', uri)).backend);
      byUri.set(uri, set);
    }
    for (const servers of byUri.values()) expect(servers.size).toBe(1);
    expect(new Set([...byUri.values()].flatMap((s) => [...s])).size).toBe(2);
  });

  function upgrade(host: string, path: string, extra = ''): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(pier.httpPort, '127.0.0.1');
      let text = '';
      socket.on('data', (d) => {
        text += d.toString('latin1');
        if (text.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
  }

  it('upgrades go through the same filters: rewritten, redirected, or routed to the canary', async () => {
    const rewritten = await upgrade('rewrite.example', '/something/chat');
    expect(rewritten).toMatch(/^HTTP\/1\.1 101/);
    expect(rewritten).toContain('X-Url: /chat');
    const redirected = await upgrade('moved.example', '/chat');
    expect(redirected).toMatch(/^HTTP\/1\.1 308/);
    expect(redirected.toLowerCase()).toContain('location: https://new.example/landing');
    const https = await upgrade('tls.example', '/chat');
    expect(https).toMatch(/^HTTP\/1\.1 308/);
    const canary = await upgrade('canary.example', '/ws', 'X-Canary: always\r\n');
    expect(canary).toContain('X-Backend: canary');
  });
});
