import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from './manifests.ts';

/**
 * Pier on the public-API HTTP/1.1 layer (node:http front, undici upstream): what it must still do
 * the day a Node release removes the internals of the lean layer. Forced here with
 * PIER_FORCE_PUBLIC_HTTP=1 (CI runs on Nodes that still have them); the last part starts Pier
 * on a Node whose internals a preloaded hook removed, and it must choose the layer by itself.
 */

const WITHOUT_INTERNALS = fileURLToPath(new URL('../helpers/without-node-internals.ts', import.meta.url));

/** `ingressYaml` with annotations. */
function annotated(name: string, host: string, service: string, annotations: Record<string, string>): string {
  return ingressYaml(name, host, [{ path: '/', service }]).replace(`metadata: { name: ${name}, namespace: default }`, `metadata: { name: ${name}, namespace: default, annotations: ${JSON.stringify(annotations)} }`);
}

/** One request through Pier with a Host header (fetch() may not set one). */
async function get(port: number, host: string, path = '/', init: { method?: string; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const res = await request(`http://127.0.0.1:${port}${path}`, { method: (init.method ?? 'GET') as 'GET', headers: { host }, body: init.body });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** Everything one raw connection receives until the server closes it (or `ms` pass). */
function transcript(port: number, bytes: string, ms = 5_000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, ms);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(bytes);
  });
}

describe('pier serve on the public-API HTTP/1.1 layer (PIER_FORCE_PUBLIC_HTTP=1, 2 workers, --max-body-size 1k)', () => {
  let dir: string;
  let a: EchoBackend;
  let b: EchoBackend;
  let ws: Server;
  let wsPort: number;
  let pier: PierProcess;
  const tunnels = new Set<Socket>();

  const writeFlip = async (service: string) => {
    const tmp = join(dir, '.flip.yaml.tmp');
    await writeFile(tmp, ingressYaml('flip', 'flip.example', [{ path: '/', service }]));
    await rename(tmp, join(dir, 'flip.yaml'));
  };

  beforeAll(async () => {
    a = await startEchoBackend('a', '127.0.0.1', { keepAliveTimeoutMs: 120_000 });
    b = await startEchoBackend('b', '127.0.0.1', { keepAliveTimeoutMs: 120_000 });
    ws = createServer((_req, res) => res.end('plain\n'));
    ws.on('upgrade', (req, socket: Socket) => {
      tunnels.add(socket);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`);
      socket.on('data', (d) => socket.write(`echo:${d.toString()}`));
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => ws.listen(0, '127.0.0.1', r));
    wsPort = (ws.address() as { port: number }).port;
    dir = await mkdtemp(join(tmpdir(), 'pier-public-http-'));
    await writeFile(join(dir, 'all.yaml'), [
      INGRESS_CLASS_YAML, serviceYaml('a', [a]), serviceYaml('b', [b]), serviceYaml('ws', [{ host: '127.0.0.1', port: wsPort }]),
      ingressYaml('site', 'site.example', [{ path: '/', service: 'a' }, { path: '/api', service: 'b' }]),
      annotated('guarded', 'guarded.example', 'a', { 'nginx.ingress.kubernetes.io/whitelist-source-range': '10.0.0.0/8' }),
      annotated('edited', 'edited.example', 'a', { 'pier.dev/response-headers-set': 'X-Policy: applied' }),
      ingressYaml('ws', 'ws.example', [{ path: '/', service: 'ws' }]),
    ].join('---\n'));
    await writeFlip('a');
    pier = await startPier(['--manifests', dir, '--workers', '2', '--max-body-size', '1k', '--keepalive-requests', '1000000'], { env: { PIER_FORCE_PUBLIC_HTTP: '1' } });
  });

  afterAll(async () => {
    await pier?.stop();
    for (const s of tunnels) s.destroy();
    await new Promise((r) => ws?.close(r));
    await Promise.all([a?.close(), b?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('says at start which layer serves and why', () => {
    const line = pier.output().split('\n').find((l) => l.includes('HTTP/1.1 is served through node:http and undici'));
    expect(line, pier.output()).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: 'warn', msg: expect.stringContaining('forced by --force-public-http'), missing: [] });
  });

  it('routes by host and path, 404 for a host no Ingress names', async () => {
    const root = await get(pier.httpPort, 'site.example', '/x');
    expect([root.status, root.headers['x-backend']]).toEqual([200, 'a']);
    expect(JSON.parse(root.text)).toMatchObject({ url: '/x', headers: { host: 'site.example', 'x-forwarded-for': '127.0.0.1' } });
    const api = await get(pier.httpPort, 'site.example', '/api/users');
    expect([api.status, api.headers['x-backend']]).toEqual([200, 'b']);
    expect((await get(pier.httpPort, 'nobody.example')).status).toBe(404);
  });

  it('keeps the client connection and the upstream connection alive across requests', async () => {
    const client = new Client(`http://127.0.0.1:${pier.httpPort}`, { pipelining: 1 });
    let connects = 0;
    client.on('connect', () => connects++);
    const before = b.connections;
    try {
      for (let i = 0; i < 20; i++) {
        const res = await client.request({ method: 'POST', path: `/api/${i}`, headers: { host: 'site.example' }, body: `body ${i}` });
        const echo = (await res.body.json()) as { url: string; bodyBytes: number };
        expect([res.statusCode, echo.url, echo.bodyBytes]).toEqual([200, `/api/${i}`, `body ${i}`.length]);
      }
    } finally {
      await client.close();
    }
    expect(connects).toBe(1);
    // One client connection is one worker: its upstream pool opened one connection at most.
    expect(b.connections - before).toBeLessThanOrEqual(1);
  });

  it('applies route policies: an allow list refuses, a header edit applies', async () => {
    expect((await get(pier.httpPort, 'guarded.example')).status).toBe(403);
    const edited = await get(pier.httpPort, 'edited.example');
    expect([edited.status, edited.headers['x-policy'], edited.headers['x-backend']]).toEqual([200, 'applied', 'a']);
  });

  it('tunnels an Upgrade (WebSocket): 101, then bytes both ways', async () => {
    const client = connect(pier.httpPort, '127.0.0.1');
    let received = '';
    client.on('data', (d) => (received += d.toString()));
    client.on('error', () => {});
    await new Promise((r) => client.once('connect', r));
    try {
      client.write('GET /chat HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      await waitFor(() => received.includes('\r\n\r\n'), 5_000, '101 response');
      expect(received).toMatch(/^HTTP\/1\.1 101 /);
      client.write('hello');
      await waitFor(() => received.includes('echo:hello'), 5_000, 'echo through the tunnel');
    } finally {
      client.destroy();
    }
  });

  it('answers 413 to a body over --max-body-size, declared or chunked, and closes', async () => {
    const declared = await transcript(pier.httpPort, 'POST /up HTTP/1.1\r\nHost: site.example\r\nContent-Length: 2000\r\n\r\n');
    expect(declared.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(declared.closed).toBe(true);
    const chunk = `258\r\n${'x'.repeat(0x258)}\r\n`;
    const chunked = await transcript(pier.httpPort, `POST /up HTTP/1.1\r\nHost: site.example\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(4)}0\r\n\r\n`);
    expect(chunked.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(chunked.closed).toBe(true);
    expect((await get(pier.httpPort, 'site.example', '/up', { method: 'POST', body: 'x'.repeat(1000) })).status).toBe(200);
  });

  it('hands a cleartext connection that opens with the HTTP/2 preface to the HTTP/2 front', async () => {
    const session = h2connect(`http://127.0.0.1:${pier.httpPort}`);
    session.on('error', () => {});
    try {
      const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const stream = session.request({ ':path': '/h2', ':authority': 'site.example' });
        stream.on('response', resolve);
        stream.on('error', reject);
        stream.resume();
      });
      expect([headers[':status'], headers['x-backend']]).toEqual([200, 'a']);
    } finally {
      session.destroy();
    }
  });

  it('swaps routes under keepalive load: no failed request, no reconnect', { timeout: 60_000 }, async () => {
    const CLIENTS = 8;
    const FLIPS = 20;
    const clients = Array.from({ length: CLIENTS }, () => new Client(`http://127.0.0.1:${pier.httpPort}`, { pipelining: 1, keepAliveTimeout: 60_000 }));
    const connects = clients.map(() => 0);
    clients.forEach((c, i) => c.on('connect', () => connects[i]!++));
    const seen = { a: 0, b: 0 };
    const failures: string[] = [];
    let stop = false;
    const deadline = Date.now() + 40_000; // hard bound on the load loop
    const loop = async (client: Client) => {
      while (!stop && Date.now() < deadline) {
        try {
          const res = await client.request({ method: 'GET', path: '/x', headers: { host: 'flip.example' } });
          await res.body.dump();
          if (res.statusCode !== 200) failures.push(`status ${res.statusCode}`);
          else seen[res.headers['x-backend'] as 'a' | 'b']++;
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const running = clients.map(loop);
    try {
      await waitFor(() => seen.a > 50, 10_000, 'load on a');
      for (let i = 0; i < FLIPS; i++) {
        const to = i % 2 === 0 ? 'b' : 'a';
        const count = seen[to];
        await writeFlip(to);
        // Each flip is in force before the next: the load really crosses every swap.
        await waitFor(() => seen[to] > count + 10, 10_000, `route on ${to}`);
      }
    } finally {
      stop = true;
      await Promise.all(running);
      await Promise.all(clients.map((c) => c.close()));
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(connects.every((n) => n === 1), `connections per client: ${connects.join(',')}`).toBe(true);
    expect(seen.a).toBeGreaterThan(0);
    expect(seen.b).toBeGreaterThan(0);
  });
});

describe('pier serve on a Node without the lean layer\'s internals (a preloaded hook removes them)', () => {
  let dir: string;
  let a: EchoBackend;
  let pier: PierProcess;

  beforeAll(async () => {
    a = await startEchoBackend('a');
    dir = await mkdtemp(join(tmpdir(), 'pier-no-internals-'));
    await writeFile(join(dir, 'all.yaml'), [INGRESS_CLASS_YAML, serviceYaml('a', [a]), ingressYaml('site', 'site.example', [{ path: '/', service: 'a' }])].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1'], { env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${WITHOUT_INTERNALS}`.trim(), PIER_FORCE_PUBLIC_HTTP: '' } });
  });

  afterAll(async () => {
    await pier?.stop();
    await a?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('chooses the public-API layer by itself, warns naming what is missing, and serves', async () => {
    const line = pier.output().split('\n').find((l) => l.includes('HTTP/1.1 is served through node:http and undici'));
    expect(line, pier.output()).toBeDefined();
    const warning = JSON.parse(line!) as { msg: string; missing: string[] };
    expect(warning.msg).toContain('this Node lacks internals the lean HTTP/1.1 layer uses');
    expect(warning.missing).toEqual([
      expect.stringMatching(/^_http_common cannot be loaded: Cannot find module '_http_common'/),
      expect.stringMatching(/^process\.binding\('stream_wrap'\) cannot be loaded/),
    ]);
    const res = await get(pier.httpPort, 'site.example', '/ok');
    expect([res.status, res.headers['x-backend']]).toEqual([200, 'a']);
    expect(pier.output()).not.toMatch(/"level":50/); // no error logged by the primary or a worker
  });
});
