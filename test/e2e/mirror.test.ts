import { EventEmitter, once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { total } from '../helpers/prometheus-text.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * mirror-target, mirror-host, mirror-request-body through the real binary: a main backend and
 * a mirror backend (node:http), a mirror that accepts connections and never reads or answers,
 * and a mirror port nobody listens on. The client must always get the main backend's answer,
 * whatever the mirror does.
 */

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Reads each request whole, records it, answers `answer(req)`. */
function recordingServer(name: string, log: Received[], events: EventEmitter): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      log.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      events.emit('request');
      res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
      res.end(`${name} got ${body.length} bytes for ${req.method} ${req.url}`);
    });
  });
}

const N = 'nginx.ingress.kubernetes.io/';

const ingress = (name: string, host: string, annotations: Record<string, string>) => annotatedIngressYaml(name, host, 'main', annotations);

describe('request mirroring through pier serve', { timeout: 15_000 }, () => {
  let dir: string;
  let pier: PierProcess;
  const mainLog: Received[] = [];
  const mirrorLog: Received[] = [];
  const mirrorEvents = new EventEmitter();
  let main: Server;
  let mirror: Server;
  let silent: TcpServer;
  const silentSockets: Socket[] = [];
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    main = recordingServer('main', mainLog, new EventEmitter());
    mirror = recordingServer('mirror', mirrorLog, mirrorEvents);
    // Accepts connections, reads nothing, answers nothing: the slowest mirror there is.
    silent = createTcpServer({ pauseOnConnect: true }, (s) => { silentSockets.push(s); s.on('error', () => {}); });
    for (const s of [main, mirror, silent]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s: Server | TcpServer) => (s.address() as { port: number }).port;
    const refused = await freePort(); // nobody listens there: connection refused
    dir = await mkdtemp(join(tmpdir(), 'pier-mirror-'));
    const mirrorAt = `http://127.0.0.1:${port(mirror)}`;
    const manifests = [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('main', [{ host: '127.0.0.1', port: port(main) }])}`,
      ingress('shadowed', 'shadowed.example', { [`${N}mirror-target`]: `${mirrorAt}/shadow$request_uri`, [`${N}mirror-host`]: 'shadow.example' }),
      ingress('plain', 'plain.example', { [`${N}mirror-target`]: `${mirrorAt}$uri?from=$host`, 'pier.dev/request-headers-set': 'X-Only-Main: yes' }),
      ingress('headless', 'headless.example', { [`${N}mirror-target`]: `${mirrorAt}/nobody$request_uri`, [`${N}mirror-request-body`]: 'off' }),
      ingress('slow', 'slow.example', { [`${N}mirror-target`]: `http://127.0.0.1:${port(silent)}$request_uri` }),
      ingress('down', 'down.example', { [`${N}mirror-target`]: `http://127.0.0.1:${refused}$request_uri` }),
    ];
    await writeFile(join(dir, 'all.yaml'), manifests.join(''));
    pier = await startPier(['--manifests', dir, '--workers', '1']);
  });

  afterAll(async () => {
    keepAlive.destroy();
    await pier?.stop();
    for (const s of silentSockets) s.destroy();
    await Promise.all([main, mirror, silent].map((s) => new Promise((r) => s?.close(r))));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function send(host: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | Buffer[]; agent?: Agent } = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: pier.httpPort, path, method: options.method ?? 'GET', headers: { host, ...options.headers }, agent: options.agent ?? false }, (res) => {
        let text = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      const body = options.body;
      if (Array.isArray(body)) {
        for (const chunk of body) req.write(chunk);
        req.end();
      } else req.end(body);
    });
  }

  /** Waits for the mirror to have seen `count` requests in all. */
  async function mirrored(count: number): Promise<Received> {
    while (mirrorLog.length < count) await once(mirrorEvents, 'request', { signal: AbortSignal.timeout(5_000) });
    return mirrorLog[count - 1]!;
  }

  it('the mirror gets the method, the target with $request_uri, Host from mirror-host, the client\'s headers and the body; the client gets the main answer', async () => {
    const before = mirrorLog.length;
    const answer = await send('shadowed.example', '/api/items?x=1', { method: 'POST', headers: { 'x-trace': 'abc', 'content-type': 'text/plain' }, body: Buffer.from('hello mirror') });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('main got 12 bytes for POST /api/items?x=1');
    const seen = await mirrored(before + 1);
    expect(seen).toMatchObject({ method: 'POST', url: '/shadow/api/items?x=1', body: 'hello mirror' });
    expect(seen.headers).toMatchObject({ host: 'shadow.example', 'x-trace': 'abc', 'content-type': 'text/plain', 'content-length': '12' });
  });

  it('a chunked body is copied whole, chunk by chunk', async () => {
    const before = mirrorLog.length;
    const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(10_000, 97 + i));
    const answer = await send('shadowed.example', '/upload', { method: 'PUT', body: chunks, headers: { 'transfer-encoding': 'chunked' } });
    expect(answer.body).toBe('main got 200000 bytes for PUT /upload');
    const seen = await mirrored(before + 1);
    expect(seen.method).toBe('PUT');
    expect(seen.body).toBe(Buffer.concat(chunks).toString('latin1'));
  });

  it('without mirror-host the Host is the target\'s host name; variables ($uri, $host) are filled in; the main upstream\'s header edits stay its own', async () => {
    const before = mirrorLog.length;
    const answer = await send('plain.example', '/a/b?q=1');
    expect(answer.body).toBe('main got 0 bytes for GET /a/b?q=1');
    expect(mainLog.at(-1)!.headers['x-only-main']).toBe('yes');
    const seen = await mirrored(before + 1);
    expect(seen).toMatchObject({ method: 'GET', url: '/a/b?from=plain.example', body: '' });
    expect(seen.headers.host).toBe('127.0.0.1');
    expect(seen.headers['x-only-main']).toBeUndefined();
  });

  it('mirror-request-body off: the mirror gets the request without its body', async () => {
    const before = mirrorLog.length;
    const answer = await send('headless.example', '/form', { method: 'POST', body: Buffer.from('secret=1') });
    expect(answer.body).toBe('main got 8 bytes for POST /form');
    const seen = await mirrored(before + 1);
    expect(seen).toMatchObject({ method: 'POST', url: '/nobody/form', body: '' });
    expect(seen.headers['transfer-encoding']).toBeUndefined();
    expect(Number(seen.headers['content-length'] ?? '0')).toBe(0);
  });

  it('a mirror that never reads nor answers delays nothing: bodies larger than the copy bound, then the next request on the same connection', async () => {
    // Larger than what the kernel's socket buffers take for a peer that never reads (the send
    // buffer grows to 4 MiB at most; the receive window stays small while nothing is read).
    const big = Buffer.alloc(12 * 1024 * 1024, 120);
    for (let i = 0; i < 3; i++) {
      const answer = await send('slow.example', `/big/${i}`, { method: 'POST', body: big, agent: keepAlive });
      expect(answer.body).toBe(`main got ${big.length} bytes for POST /big/${i}`);
    }
    const after = await send('slow.example', '/after', { agent: keepAlive });
    expect(after.body).toBe('main got 0 bytes for GET /after');
    await waitFor(() => silentSockets.length > 0, 5_000, 'the silent mirror to be connected to');
    // The copies that outgrew the bound were dropped, and counted.
    await waitFor(async () => total(await metrics(), 'pier_mirror_requests_total', { result: 'dropped' }) >= 3, 5_000, 'three dropped mirror requests');
  });

  it('a mirror that refuses connections delays nothing; the failures are counted', async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await send('down.example', `/x/${i}`, { method: 'POST', body: Buffer.from('payload'), agent: keepAlive });
      expect(answer.body).toBe(`main got 7 bytes for POST /x/${i}`);
    }
    await waitFor(async () => total(await metrics(), 'pier_mirror_requests_total', { result: 'failed' }) >= 3, 5_000, 'three failed mirror requests');
    await waitFor(async () => total(await metrics(), 'pier_mirror_requests_total', { result: 'sent' }) === mirrorLog.length, 5_000, 'every mirror answer counted as sent');
  });

  async function metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${pier.healthPort}/metrics`);
    return res.text();
  }
});
