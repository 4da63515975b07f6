import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from './manifests.ts';
import { logLines } from './upstream-backends.ts';

/*
 * `--access-log stdout|FILE` through the whole product: ingress-nginx's JSON fields, the
 * request id sent upstream and logged, a stream of its own whatever --log-level says, and
 * writes that never hold a worker up.
 */

/** Sends `raw` (ending in Connection: close) on a new connection; everything the server sent until it closed. */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw, 'latin1'));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (received += d));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

const accessLines = (output: string) => logLines(output).filter((l) => l.request_id !== undefined);

describe('pier serve --access-log (stdout)', () => {
  let dir: string;
  let web: EchoBackend;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-access-'));
    web = await startEchoBackend('web', '127.0.0.2');
    await writeFile(join(dir, 'app.yaml'), `${INGRESS_CLASS_YAML}---\n${serviceYaml('web', [{ host: web.host, port: web.port }], 'shop')}---\n${ingressYaml('app', 'app.example', [{ path: '/', service: 'web' }], 'shop')}`);
  });
  afterAll(async () => {
    await web.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('one line per request with ingress-nginx\'s JSON fields; --log-level warn quiets Pier, not the requests', async () => {
    const pier = await startPier(['--workers', '2', '--manifests', dir, '--access-log', '--log-level', 'warn']);
    try {
      const raw = 'POST /hello?x=1&y=2 HTTP/1.1\r\nHost: App.Example:80\r\nUser-Agent: test-agent/1\r\nReferer: http://ref.example/\r\n'
        + 'X-Request-ID: client-id-7\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello';
      const started = Date.now();
      const answer = await exchange(pier.httpPort, raw);
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      await waitFor(() => accessLines(pier.output()).length === 1, 5_000, 'the access line');
      const line = accessLines(pier.output())[0]!;
      expect(line).toMatchObject({
        request_id: 'client-id-7', remote_addr: '127.0.0.1', method: 'POST', vhost: 'app.example', path: '/hello', request_query: 'x=1&y=2',
        request_proto: 'HTTP/1.1', status: 200, bytes_sent: Buffer.byteLength(answer, 'latin1'), request_length: Buffer.byteLength(raw, 'latin1'),
        upstream_addr: `${web.host}:${web.port}`, upstream_status: 200, proxy_upstream_name: 'service:shop/web:80',
        namespace: 'shop', ingress_name: 'app', service_name: 'web', http_referrer: 'http://ref.example/', http_user_agent: 'test-agent/1',
      });
      expect(Date.parse(String(line.time))).toBeGreaterThanOrEqual(started - 1_000);
      expect(line.upstream_response_time as number).toBeLessThanOrEqual(line.request_time as number);
      expect(line.reason).toBeUndefined();
      // The client's id went upstream, once.
      expect(web.received.at(-1)!.headers['x-request-id']).toBe('client-id-7');
      expect(pier.output()).not.toContain('pier serving');
    } finally {
      await pier.stop();
    }
  });

  it('X-Request-ID: 32 hex digits made when the client sent none, the same upstream and in the log', async () => {
    const pier = await startPier(['--workers', '1', '--manifests', dir, '--access-log']);
    try {
      for (const headers of [{}, { 'x-request-id': '' }]) {
        const res = await request(`http://127.0.0.1:${pier.httpPort}/id`, { headers: { host: 'app.example', ...headers } });
        await res.body.dump();
      }
      const res = await request(`http://127.0.0.1:${pier.httpPort}/`, { headers: { host: 'nothing.example' } });
      await res.body.dump();
      expect(res.statusCode).toBe(404);
      await waitFor(() => accessLines(pier.output()).length === 3, 5_000, 'three access lines');
      const [first, second, missed] = accessLines(pier.output());
      const sent = web.received.slice(-2).map((r) => r.headers['x-request-id']);
      expect(sent[0]).toMatch(/^[0-9a-f]{32}$/);
      expect(sent[1]).toMatch(/^[0-9a-f]{32}$/);
      expect(sent[0]).not.toBe(sent[1]);
      expect([first!.request_id, second!.request_id]).toEqual(sent);
      expect(missed).toMatchObject({ status: 404, reason: 'no-route', upstream_addr: null, upstream_status: null, namespace: '', ingress_name: '', service_name: '' });
      expect(missed!.request_id).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await pier.stop();
    }
  });

  it('a stdout nobody reads does not hold the workers up: requests go on, the lines follow later', { timeout: 90_000 }, async () => {
    const pier = await startPier(['--workers', '1', '--manifests', dir, '--access-log', '--log-level', 'warn']);
    try {
      // ~1,000 lines of ~500 bytes: several times what the pipe and the reading side buffer.
      pier.child.stdout!.pause();
      const total = 1_000;
      let answered = 0;
      const client = async () => {
        while (answered < total) {
          answered++;
          const res = await request(`http://127.0.0.1:${pier.httpPort}/blocked`, { headers: { host: 'app.example' } });
          await res.body.dump();
          expect(res.statusCode).toBe(200);
        }
      };
      await Promise.race([
        Promise.all(Array.from({ length: 10 }, client)),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${answered} of ${total} answered in 60 s`)), 60_000)),
      ]);
      pier.child.stdout!.resume();
      await waitFor(() => accessLines(pier.output()).length >= total, 20_000, 'every access line');
      expect(accessLines(pier.output()).filter((l) => l.path === '/blocked')).toHaveLength(total);
    } finally {
      pier.child.stdout!.resume();
      await pier.stop();
    }
  });
});

describe('pier serve --access-log FILE', () => {
  let dir: string;
  let web: EchoBackend;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-access-file-'));
    web = await startEchoBackend('web', '127.0.0.2');
    await writeFile(join(dir, 'app.yaml'), `${INGRESS_CLASS_YAML}---\n${serviceYaml('web', [{ host: web.host, port: web.port }])}---\n${ingressYaml('app', 'app.example', [{ path: '/', service: 'web' }])}`);
  });
  afterAll(async () => {
    await web.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('two workers append whole lines to one file, as they come and when they stop', async () => {
    const file = join(dir, 'access.log');
    const pier = await startPier(['--workers', '2', '--manifests', join(dir, 'app.yaml'), '--access-log', file]);
    const count = 200;
    try {
      await Promise.all(Array.from({ length: count }, async (_, i) => {
        const res = await request(`http://127.0.0.1:${pier.httpPort}/f/${i}`, { headers: { host: 'app.example', connection: 'close' } });
        await res.body.dump();
      }));
      const inFile = async () => (await readFile(file, 'utf8')).split('\n').filter(Boolean).length;
      await waitFor(async () => (await inFile()) === count, 5_000, 'the lines in the file');
      expect(pier.output()).not.toContain('"request_id"');
      // One line more, and a stop at once: the worker writes what it holds before it exits.
      const last = await request(`http://127.0.0.1:${pier.httpPort}/last`, { headers: { host: 'app.example' } });
      await last.body.dump();
    } finally {
      await pier.stop();
    }
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(count + 1);
    expect(new Set(lines.map((l) => l.path))).toEqual(new Set([...Array.from({ length: count }, (_, i) => `/f/${i}`), '/last']));
    expect(new Set(lines.map((l) => l.request_id)).size).toBe(count + 1);
  });
});
