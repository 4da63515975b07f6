import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { pino } from 'pino';
import { splitAbsoluteTarget } from '../../src/dataplane/request-handler.ts';
import {
  RawClient, backendOf, closeAll, deadPort, onCleanup, policy, prefixRoute, sleep, startBackend, startDataplane, tableFor,
} from './helpers.ts';

afterEach(closeAll);

describe('routing real requests', () => {
  it('sends each host/path to its backend and the default backend elsewhere', async () => {
    const a = await startBackend('a');
    const b = await startBackend('b');
    const d = await startBackend('d');
    const table = {
      virtualHosts: [
        { host: 'foo.com', routes: [prefixRoute('/api', 'b'), prefixRoute('/', 'a')] },
        { host: '*.bar.com', routes: [prefixRoute('/', 'b')] },
      ],
      backends: [backendOf('a', [a]), backendOf('b', [b]), backendOf('d', [d])],
      defaultBackend: 'd',
    };
    const { port } = await startDataplane(table);
    const client = await RawClient.open(port);
    const cases = [
      ['foo.com', '/', 'a'],
      ['FOO.com:8080', '/api/v1?x=1', 'b'],
      ['foo.com', '/apix', 'a'],
      ['x.bar.com', '/', 'b'],
      ['y.x.bar.com', '/', 'd'],
      ['other', '/', 'd'],
    ] as const;
    for (const [host, path, want] of cases) {
      const res = await client.get(host, path);
      expect(res.status, `${host}${path}`).toBe(200);
      expect(res.body, `${host}${path}`).toBe(`backend=${want}`);
    }
    expect(b.seen.map((s) => s.url)).toContain('/api/v1?x=1');
  });

  it('forwards method, path with query, Host and X-Forwarded-*; drops hop-by-hop headers both ways', async () => {
    const backend = await startBackend('a', (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(201, 'Made', {
          server: 'backend-a/1.0',
          'x-resp': 'kept',
          'x-accel-buffering': 'no',
          'x-pad': 'avoid browser bug',
          connection: 'x-resp-hop',
          'x-resp-hop': 'dropped',
          'keep-alive': 'timeout=5',
          'content-length': '2',
        });
        res.end('ok');
      });
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]));
    const client = await RawClient.open(port);
    client.send(
      'PUT /p/q?x=1&y=%20 HTTP/1.1\r\nHost: foo.com:8080\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\n' +
      'Keep-Alive: timeout=9\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\nProxy-Connection: keep-alive\r\n' +
      'Proxy-Authorization: Basic eA==\r\nX-Forwarded-For: 10.1.1.1\r\nX-Forwarded-Proto: https\r\nX-Real-IP: 6.6.6.6\r\n' +
      'X-Forwarded-Host: evil\r\nX-Forwarded-Port: 1\r\nX-Scheme: https\r\nProxy: http://evil:3128\r\nX-Custom: yes\r\nContent-Length: 5\r\n\r\nhello',
    );
    const res = await client.response();
    expect(res.status).toBe(201);
    expect(res.head).toContain('201 Made');
    // nginx's proxy_hide_header defaults, and ingress-nginx's server-tokens off: no Server.
    for (const hidden of ['server', 'x-accel-buffering', 'x-pad']) expect(res.headers[hidden], hidden).toBeUndefined();
    expect(res.headers['x-resp']).toBe('kept');
    expect(res.headers['x-resp-hop']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
    const seen = backend.seen[0]!;
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/p/q?x=1&y=%20');
    expect(seen.headers).toMatchObject({
      host: 'foo.com:8080',
      'x-forwarded-for': '127.0.0.1',
      'x-original-forwarded-for': '10.1.1.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-scheme': 'http',
      'x-scheme': 'http',
      'x-forwarded-host': 'foo.com:8080',
      'x-original-forwarded-host': 'evil',
      'x-forwarded-port': String(port),
      'x-real-ip': '127.0.0.1',
      'x-custom': 'yes',
      'content-length': '5',
    });
    for (const hop of ['x-hop', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-connection', 'proxy-authorization', 'transfer-encoding', 'proxy']) {
      expect(seen.headers[hop], hop).toBeUndefined();
    }
    expect(seen.headers['connection']).toBe('keep-alive'); // undici's own, to the upstream
  });
});

describe('errors Pier produces', () => {
  it('answers 404, 502, 503 and 504 with short bodies and no version anywhere', async () => {
    const silent = await startBackend('silent', () => {}); // never answers
    const table = {
      virtualHosts: [
        {
          host: 'foo.com',
          routes: [
            prefixRoute('/unreachable', 'dead'),
            prefixRoute('/unavailable', 'off'),
            prefixRoute('/empty', 'empty'),
            prefixRoute('/slow', 'slow'),
          ],
        },
      ],
      backends: [
        backendOf('dead', [{ host: '127.0.0.1', port: await deadPort() }]),
        backendOf('off', [silent], undefined, 'NoReadyEndpoints'),
        backendOf('empty', []),
        backendOf('slow', [silent], policy({ timeouts: { connectMs: 1000, sendMs: 1000, readMs: 200 } })),
      ],
    };
    const { port, dp } = await startDataplane(table);
    const client = await RawClient.open(port);
    const cases = [
      ['/nothing', 404, '404 Not Found\n'],
      ['/unreachable', 502, '502 Bad Gateway\n'],
      ['/unavailable', 503, '503 Service Unavailable\n'],
      ['/empty', 503, '503 Service Unavailable\n'],
      ['/slow', 504, '504 Gateway Timeout\n'],
    ] as const;
    for (const [path, status, body] of cases) {
      const res = await client.get('foo.com', path);
      expect(res.status, path).toBe(status);
      expect(res.body, path).toBe(body);
      expect(res.headers['server'], path).toBeUndefined();
      expect(res.head + res.body, path).not.toMatch(/pier|node|undici|\d+\.\d+\.\d+/i);
    }
    expect(dp.stats.errors).toMatchObject({ 404: 1, 502: 1, 503: 2, 504: 1 });
    // 504 after retries? readMs timeouts are not retried by the default policy: one try only.
    expect(silent.seen.length).toBe(1);
  });

  it('answers a malformed request with 400 and keeps serving', async () => {
    const backend = await startBackend('a');
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]));
    for (const garbage of ['GARBAGE\r\n\r\n', 'GET / HTTP/1.1\r\nHost: foo.com\r\nBad Header\r\n\r\n', 'GET /\u0000 HTTP/1.1\r\n\r\n']) {
      const bad = await RawClient.open(port);
      bad.send(garbage);
      const res = await bad.response();
      expect(res.status).toBe(400);
      expect(res.body).toBe('400 Bad Request\n');
      expect(res.headers['connection']).toBe('close');
      expect(await bad.waitClosed(2000)).toBe(true);
    }
    const good = await RawClient.open(port);
    expect((await good.get('foo.com')).body).toBe('backend=a');
    expect(dp.stats.errors[400]).toBe(3);
  });
});

describe('client keepalive', () => {
  it('closes the connection after keepaliveRequests, with Connection: close on the last response', async () => {
    const backend = await startBackend('a');
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]), { keepaliveRequests: 3 });
    const client = await RawClient.open(port);
    const r1 = await client.get('foo.com');
    const r2 = await client.get('foo.com');
    const r3 = await client.get('foo.com');
    expect([r1.headers['connection'], r2.headers['connection']]).toEqual(['keep-alive', 'keep-alive']);
    expect(r3.headers['connection']).toBe('close');
    expect(await client.waitClosed(2000)).toBe(true);
  });

  it('X-Forwarded-For / X-Real-IP follow each connection across its keepalive requests (read once per connection, not shared)', async () => {
    const backend = await startBackend('a');
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]));
    const agents = ['127.0.0.2', '127.0.0.3'].map((localAddress) => new Agent({ connections: 1, localAddress }));
    onCleanup(() => Promise.all(agents.map((a) => a.close())));
    for (let round = 0; round < 2; round++) {
      for (const agent of agents) {
        const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent, headers: { host: 'foo.com' } });
        await res.body.dump();
      }
    }
    expect(backend.seen.map((s) => [s.headers['x-real-ip'], s.headers['x-forwarded-for'], s.headers['x-forwarded-port']])).toEqual([
      ['127.0.0.2', '127.0.0.2', String(port)], ['127.0.0.3', '127.0.0.3', String(port)],
      ['127.0.0.2', '127.0.0.2', String(port)], ['127.0.0.3', '127.0.0.3', String(port)],
    ]);
  });

  it('closes a client connection idle longer than keepaliveTimeoutMs', async () => {
    const backend = await startBackend('a');
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]), { keepaliveTimeoutMs: 200 });
    const client = await RawClient.open(port);
    const r = await client.get('foo.com');
    expect(r.headers['keep-alive']).toMatch(/^timeout=\d+$/);
    expect(await client.waitClosed(3000)).toBe(true);
  });
});

describe('undici client end to end', () => {
  it('relays a request body and a chunked response', async () => {
    const backend = await startBackend('echo', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      req.pipe(res);
    });
    const { origin } = await startDataplane(tableFor('', [backendOf('echo', [backend])]));
    const res = await request(`${origin}/echo`, { method: 'POST', body: 'abc'.repeat(1000) });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('abc'.repeat(1000));
    expect(backend.seen[0]!.headers['content-length']).toBe('3000');
  });
});

describe('client going away', () => {
  it('aborts the upstream request when the client disconnects mid-wait', async () => {
    let upstreamClosed = false;
    const slow = await startBackend('slow', (req) => {
      req.socket.on('close', () => (upstreamClosed = true));
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('slow', [slow])]));
    const client = await RawClient.open(port);
    client.send('GET / HTTP/1.1\r\nHost: foo.com\r\n\r\n');
    while (slow.seen.length === 0) await sleep(5);
    client.socket.destroy();
    const deadline = Date.now() + 3000;
    while (!upstreamClosed && Date.now() < deadline) await sleep(10);
    expect(upstreamClosed).toBe(true);
    expect(dp.stats.clientAborts).toBe(1);
  });
});

describe('HTTP details', () => {
  it('answers HEAD without a body and handles Expect: 100-continue itself', async () => {
    const backend = await startBackend('a', (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-length': '9' }).end(req.method === 'HEAD' ? undefined : 'backend=a'));
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]));
    const client = await RawClient.open(port);
    client.send('HEAD / HTTP/1.1\r\nHost: foo.com\r\n\r\n');
    const head = await client.response(5_000, true);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('9');
    expect(head.body).toBe('');
    client.send('POST / HTTP/1.1\r\nHost: foo.com\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n');
    const cont = await client.response();
    expect(cont.status).toBe(100);
    client.send('hi');
    const res = await client.response();
    expect(res.status).toBe(200);
    expect(backend.seen[1]!.headers['expect']).toBeUndefined();
  });

  it('writes one access log line per request only when asked', async () => {
    const backend = await startBackend('a');
    const access: Record<string, unknown>[] = [];
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]), { accessLog: { write: (s: string) => access.push(JSON.parse(s)) } });
    const client = await RawClient.open(port);
    await client.get('foo.com', '/x?y=1');
    await client.get('nope.com', '/');
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({ method: 'GET', path: '/x', request_query: 'y=1', status: 200, proxy_upstream_name: 'a', upstream_addr: `127.0.0.1:${backend.port}` });
    expect(access[1]).toMatchObject({ status: 404, vhost: 'nope.com', upstream_addr: null });

    const quiet: string[] = [];
    const { port: port2 } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]), { logger: pino({}, { write: (s: string) => quiet.push(s) }) });
    await (await RawClient.open(port2)).get('foo.com');
    expect(quiet.filter((l) => l.includes('request_id'))).toEqual([]);
  });
});

describe('request targets', () => {
  it.each([
    ['http://foo.com/x?y=1', { host: 'foo.com', path: '/x?y=1' }],
    ['https://foo.com:8443', { host: 'foo.com:8443', path: '/' }],
    ['http://foo.com?q', { host: 'foo.com', path: '/?q' }],
    ['/plain', undefined],
  ])('splitAbsoluteTarget(%s)', (target, want) => {
    expect(splitAbsoluteTarget(target)).toEqual(want);
  });

  it('routes an absolute-form request by its authority and forwards origin-form', async () => {
    const a = await startBackend('a');
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [a])]));
    const client = await RawClient.open(port);
    client.send('GET http://foo.com/abs?q=1 HTTP/1.1\r\nHost: foo.com\r\n\r\n');
    expect((await client.response()).body).toBe('backend=a');
    expect(a.seen[0]!.url).toBe('/abs?q=1');
  });
});
