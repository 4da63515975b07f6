import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from './manifests.ts';

/**
 * HTTP/1.1 hardening through the real binary, with raw sockets: the two framing bugs of the
 * differential run (each test named after what broke), and where Pier is now as strict as
 * RFC 9110/9112 (and nginx or HAProxy). Waits are bounded by events (a close, an expected
 * byte sequence), never by sleeps.
 */

/** A raw client: everything the server sent, whether it closed. */
interface Raw {
  readonly socket: Socket;
  text(): string;
  closed(): boolean;
}

const open = new Set<Socket>();

async function rawClient(port: number): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  open.add(socket);
  let text = '';
  let closed = false;
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('close', () => {
    closed = true;
    open.delete(socket);
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return { socket, text: () => text, closed: () => closed };
}

/** Sends `bytes` in one write; resolves once the server closed (bounded: fails after 5 s). */
async function untilClosed(port: number, bytes: string): Promise<string> {
  const c = await rawClient(port);
  c.socket.write(bytes);
  await waitFor(c.closed, 5_000, `the server to close after ${JSON.stringify(bytes.slice(0, 60))}; got ${JSON.stringify(c.text().slice(0, 200))}`);
  return c.text();
}

/** Sends `bytes` in one write; resolves once `count` responses are complete (bounded). */
async function responses(port: number, bytes: string, count: number): Promise<{ raw: Raw; statuses: number[] }> {
  const c = await rawClient(port);
  c.socket.write(bytes);
  await waitFor(() => completeResponses(c.text()).length >= count || c.closed(), 5_000, `${count} responses`);
  return { raw: c, statuses: completeResponses(c.text()) };
}

/** Status codes of the complete responses in `text` (all framed by Content-Length here). */
function completeResponses(text: string): number[] {
  const out: number[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = text.slice(at, end);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) break;
    const next = end + 4 + Number(length[1]);
    if (text.length < next) break;
    out.push(Number(head.slice(9, 12)));
    at = next;
  }
  return out;
}

const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0);
const H = (host: string) => `Host: ${host}\r\n`;

interface SeenUpgrade {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

describe('HTTP/1.1 hardening (pier serve --manifests, 1 worker, --max-body-size 1k)', () => {
  let dir: string;
  let web: EchoBackend;
  let internal: EchoBackend;
  let ws: Server;
  let pier: PierProcess;
  const upgrades: SeenUpgrade[] = [];
  const tunnels = new Set<Socket>();

  beforeAll(async () => {
    web = await startEchoBackend('web');
    internal = await startEchoBackend('internal');
    ws = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('plain'));
    });
    ws.on('upgrade', (req, socket: Socket, head: Buffer) => {
      tunnels.add(socket);
      upgrades.push({ url: req.url!, headers: req.headers });
      socket.on('error', () => {});
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`);
      if (head.length > 0) socket.write(`echo:${head.toString()}`);
      socket.on('data', (d) => socket.write(`echo:${d.toString()}`));
    });
    await new Promise<void>((r) => ws.listen(0, '127.0.0.1', r));
    const wsPort = (ws.address() as { port: number }).port;
    dir = await mkdtemp(join(tmpdir(), 'pier-e2e-h1-'));
    await writeFile(join(dir, 'all.yaml'), [
      INGRESS_CLASS_YAML,
      serviceYaml('web', [{ host: web.host, port: web.port }]),
      serviceYaml('internal', [{ host: internal.host, port: internal.port }]),
      serviceYaml('ws', [{ host: '127.0.0.1', port: wsPort }]),
      ingressYaml('shop', 'shop.example', [{ path: '/', service: 'web' }]),
      ingressYaml('internal', 'internal.test', [{ path: '/', service: 'internal' }]),
      ingressYaml('ws', 'ws.example', [{ path: '/', service: 'ws' }]),
    ].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--max-body-size', '1k']);
  });

  afterAll(async () => {
    for (const s of open) s.destroy();
    for (const s of tunnels) s.destroy();
    await pier?.stop();
    await web?.close();
    await internal?.close();
    await new Promise((r) => ws?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const injected = () => [...web.received, ...internal.received].filter((r) => r.headers['x-injected'] !== undefined);

  describe('bug: a trailer of one request became a header of the next', () => {
    it('Transfer-Encoding as header line #2,001 → 431 (never dropped), and its trailer reaches no request', async () => {
      const before = internal.received.length;
      const filler = 'a: b\r\n'.repeat(2_000);
      const text = await untilClosed(pier.httpPort,
        `POST /upload HTTP/1.1\r\n${H('shop.example')}${filler}Transfer-Encoding: chunked\r\n\r\n` +
        '3\r\nabc\r\n0\r\nX-Injected: from-trailer\r\nHost: internal.test\r\n\r\n' +
        `GET /next HTTP/1.1\r\n${H('shop.example')}\r\n`);
      expect(status(text)).toBe(431);
      expect(completeResponses(text)).toEqual([431]);
      expect(injected()).toEqual([]);
      expect(internal.received.length).toBe(before);
    });

    it.each([
      { name: 'a head of 40 lines (flushed in batches)', extra: Array.from({ length: 40 }, (_, i) => `X-F${i}: v\r\n`).join(''), next: '' },
      { name: 'a next request of 40 lines (its head flushed after the trailer)', extra: '', next: Array.from({ length: 40 }, (_, i) => `X-N${i}: v\r\n`).join('') },
    ])('a chunked POST\'s trailers (X-Injected, Host: internal.test) never reach the pipelined GET after it: $name', async ({ extra, next }) => {
      const before = { web: web.received.length, internal: internal.received.length };
      const { statuses } = await responses(pier.httpPort,
        `POST /upload HTTP/1.1\r\n${H('shop.example')}${extra}Transfer-Encoding: chunked\r\n\r\n` +
        '3\r\nabc\r\n0\r\nX-Injected: from-trailer\r\nHost: internal.test\r\n\r\n' +
        `GET /next HTTP/1.1\r\n${H('shop.example')}${next}\r\n`, 2);
      expect(statuses).toEqual([200, 200]);
      const got = web.received.slice(before.web);
      expect(got.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /upload', 'GET /next']);
      expect(got[1]!.headers.host).toBe('shop.example');
      expect(injected()).toEqual([]);
      expect(internal.received.length).toBe(before.internal);
    });
  });

  describe('bug: an Upgrade request with a body lost its body (the backend waited, the client got 504)', () => {
    it.each([
      { name: 'Content-Length: 5', framing: 'Content-Length: 5\r\n\r\nhello' },
      { name: 'chunked', framing: 'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' },
    ])('Upgrade: websocket with a body ($name) → 400 at once, nothing forwarded', async ({ framing }) => {
      const before = upgrades.length;
      const text = await untilClosed(pier.httpPort, `GET /chat HTTP/1.1\r\n${H('ws.example')}Connection: Upgrade\r\nUpgrade: websocket\r\n${framing}`);
      expect(status(text)).toBe(400);
      expect(upgrades.length).toBe(before);
    });
  });

  describe('strictness', () => {
    it.each([
      { name: 'two Host headers (RFC 9112 §3.2)', req: `GET / HTTP/1.1\r\n${H('shop.example')}${H('internal.test')}\r\n`, want: 400 },
      { name: 'two equal Host headers', req: `GET / HTTP/1.1\r\n${H('shop.example')}${H('shop.example')}\r\n`, want: 400 },
      { name: 'a Host that is not uri-host[:port]', req: `GET / HTTP/1.1\r\nHost: shop.example/admin\r\n\r\n`, want: 400 },
      { name: 'HTTP/1.1 without Host', req: 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', want: 400 },
      { name: 'a fragment in the target', req: `GET /a#b HTTP/1.1\r\n${H('shop.example')}\r\n`, want: 400 },
      { name: 'absolute-form with userinfo', req: `GET http://user@shop.example/ HTTP/1.1\r\n${H('shop.example')}\r\n`, want: 400 },
      { name: 'absolute-form of another scheme', req: `GET ftp://shop.example/ HTTP/1.1\r\n${H('shop.example')}\r\n`, want: 400 },
      { name: 'request line HTTP/2.0', req: `GET / HTTP/2.0\r\n${H('shop.example')}\r\n`, want: 505 },
      { name: 'request line HTTP/3.0', req: `GET / HTTP/3.0\r\n${H('shop.example')}\r\n`, want: 505 },
      { name: 'request line HTTP/0.9', req: `GET / HTTP/0.9\r\n${H('shop.example')}\r\n`, want: 505 },
      { name: 'Transfer-Encoding: gzip, chunked (not implemented)', req: `POST / HTTP/1.1\r\n${H('shop.example')}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, want: 501 },
      { name: 'Transfer-Encoding: gzip then chunked on two lines', req: `POST / HTTP/1.1\r\n${H('shop.example')}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, want: 501 },
      { name: 'Transfer-Encoding: chunked then gzip (chunked not last)', req: `POST / HTTP/1.1\r\n${H('shop.example')}Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\nabc`, want: 400 },
      { name: 'CONNECT', req: 'CONNECT shop.example:443 HTTP/1.1\r\nHost: shop.example:443\r\n\r\n', want: 405 },
    ])('$name → $want, closed, nothing forwarded', async ({ req, want }) => {
      const before = web.received.length + internal.received.length;
      const text = await untilClosed(pier.httpPort, req);
      expect(status(text)).toBe(want);
      expect(text).toContain('Connection: close');
      expect(web.received.length + internal.received.length).toBe(before);
    });

    it('answers the requests before a refused one, then the refusal, then closes', async () => {
      const text = await untilClosed(pier.httpPort, `GET /1 HTTP/1.1\r\n${H('shop.example')}\r\nGET /2 HTTP/2.0\r\n${H('shop.example')}\r\nGET /3 HTTP/1.1\r\n${H('shop.example')}\r\n`);
      expect(completeResponses(text)).toEqual([200, 505]);
    });

    it.each([
      { name: 'with a Host naming another site', host: H('shop.example') },
      { name: 'without Host', host: '' },
    ])('absolute-form replaces Host for routing and forwarding ($name)', async ({ host }) => {
      const before = internal.received.length;
      const { statuses } = await responses(pier.httpPort, `GET http://internal.test/x?y=1 HTTP/1.1\r\n${host}\r\n`, 1);
      expect(statuses).toEqual([200]);
      const got = internal.received.slice(before);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ url: '/x?y=1', headers: { host: 'internal.test', 'x-forwarded-host': 'internal.test' } });
    });

    it('absolute-form replaces Host for an upgrade too: routed and forwarded by the target\'s authority', async () => {
      const before = upgrades.length;
      const c = await rawClient(pier.httpPort);
      c.socket.write(`GET http://ws.example/chat HTTP/1.1\r\n${H('shop.example')}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\nhi`);
      await waitFor(() => c.text().includes('echo:hi'), 5_000, '101 and the bytes after the head echoed');
      expect(c.text()).toMatch(/^HTTP\/1\.1 101 /);
      expect(upgrades.slice(before)).toMatchObject([{ url: '/chat', headers: { host: 'ws.example' } }]);
    });

    it('HTTP/1.0 with chunked framing: answered, then closed even with Connection: keep-alive (RFC 9112 §6.1)', async () => {
      const before = web.received.length;
      const text = await untilClosed(pier.httpPort, `POST /old HTTP/1.0\r\n${H('shop.example')}Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
      expect(status(text)).toBe(200);
      expect(text).toMatch(/\r\nconnection: close\r\n/i);
      expect(web.received.slice(before)).toMatchObject([{ method: 'POST', url: '/old', bodyBytes: 3 }]);
    });

    it('Upgrade: h2c is not relayed (h2c smuggling): served as a plain request, and the request after it too', async () => {
      const before = { web: web.received.length, upgrades: upgrades.length };
      const { statuses } = await responses(pier.httpPort,
        `GET /h2c HTTP/1.1\r\n${H('shop.example')}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n` +
        `GET /after HTTP/1.1\r\n${H('shop.example')}\r\n`, 2);
      expect(statuses).toEqual([200, 200]);
      const got = web.received.slice(before.web);
      expect(got.map((r) => r.url)).toEqual(['/h2c', '/after']);
      expect(got[0]!.headers.upgrade).toBeUndefined();
      expect(got[0]!.headers['http2-settings']).toBeUndefined();
      expect(upgrades.length).toBe(before.upgrades);
    });

    it('Upgrade: h2c with a body: the body is forwarded with the plain request, and the request after it is served', async () => {
      const before = web.received.length;
      const { statuses } = await responses(pier.httpPort,
        `POST /h2c-body HTTP/1.1\r\n${H('shop.example')}Connection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 5\r\n\r\nhello` +
        `GET /after-body HTTP/1.1\r\n${H('shop.example')}\r\n`, 2);
      expect(statuses).toEqual([200, 200]);
      expect(web.received.slice(before)).toMatchObject([{ url: '/h2c-body', bodyBytes: 5 }, { url: '/after-body' }]);
    });

    it('Upgrade: h2c to a WebSocket backend is not a tunnel either', async () => {
      const before = upgrades.length;
      const { statuses } = await responses(pier.httpPort, `GET /chat HTTP/1.1\r\n${H('ws.example')}Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n`, 1);
      expect(statuses).toEqual([200]);
      expect(upgrades.length).toBe(before);
    });

    it('a GET answered before a pipelined Upgrade request still reaches its client, then the tunnel opens', async () => {
      const c = await rawClient(pier.httpPort);
      c.socket.write(`GET /first HTTP/1.1\r\n${H('ws.example')}\r\nGET /chat HTTP/1.1\r\n${H('ws.example')}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\nping`);
      await waitFor(() => c.text().includes('echo:ping') || c.closed(), 5_000, 'the GET answer, the 101, and the tunnel echo');
      const text = c.text();
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(text.indexOf('plain')).toBeLessThan(text.indexOf('HTTP/1.1 101 '));
      expect(text).toContain('echo:ping');
    });
  });

  describe('--max-body-size 1k', () => {
    it('a Content-Length above it → 413 before the body is read; nothing forwarded', async () => {
      const before = web.received.length;
      const text = await untilClosed(pier.httpPort, `POST /big HTTP/1.1\r\n${H('shop.example')}Content-Length: 1025\r\nExpect: 100-continue\r\n\r\n`);
      expect(text).toMatch(/^HTTP\/1\.1 413 /); // no 100 Continue first
      expect(web.received.length).toBe(before);
    });

    it('a chunked body counted as it arrives → 413 and closed past it', async () => {
      const chunk = 'x'.repeat(600);
      const text = await untilClosed(pier.httpPort, `POST /big HTTP/1.1\r\n${H('shop.example')}Transfer-Encoding: chunked\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`);
      expect(status(text)).toBe(413);
    });

    it('a body at the limit is forwarded', async () => {
      const before = web.received.length;
      const { statuses } = await responses(pier.httpPort, `POST /ok HTTP/1.1\r\n${H('shop.example')}Content-Length: 1024\r\n\r\n${'y'.repeat(1024)}`, 1);
      expect(statuses).toEqual([200]);
      expect(web.received.slice(before)).toMatchObject([{ url: '/ok', bodyBytes: 1024 }]);
    });
  });
});

describe('--max-headers / --max-header-size (PIER_MAX_HEADERS=10, PIER_MAX_HEADER_SIZE=2k)', () => {
  let dir: string;
  let web: EchoBackend;
  let pier: PierProcess;

  beforeAll(async () => {
    web = await startEchoBackend('web');
    dir = await mkdtemp(join(tmpdir(), 'pier-e2e-h1-limits-'));
    await writeFile(join(dir, 'all.yaml'), [INGRESS_CLASS_YAML, serviceYaml('web', [{ host: web.host, port: web.port }]), ingressYaml('shop', 'shop.example', [{ path: '/', service: 'web' }])].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1'], { env: { PIER_MAX_HEADERS: '10', PIER_MAX_HEADER_SIZE: '2k' } });
  });

  afterAll(async () => {
    for (const s of open) s.destroy();
    await pier?.stop();
    await web?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    { name: '10 header lines → served', lines: 9, value: 'v', want: 200 },
    { name: '11 header lines → 431', lines: 10, value: 'v', want: 431 },
    { name: 'a head over 2 KiB → 431', lines: 1, value: 'v'.repeat(2_100), want: 431 },
  ])('$name', async ({ lines, value, want }) => {
    const extra = Array.from({ length: lines }, (_, i) => `X-H${i}: ${value}\r\n`).join('');
    const c = await rawClient(pier.httpPort);
    c.socket.write(`GET / HTTP/1.1\r\n${H('shop.example')}${extra}\r\n`);
    await waitFor(() => completeResponses(c.text()).length > 0, 5_000, 'a response');
    expect(completeResponses(c.text())).toEqual([want]);
  });
});
