import { connect } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from './manifests.ts';

/** What a raw client saw: the server's bytes, whether it closed, and when, from the last write. */
interface Exchange {
  readonly text: string;
  readonly closed: boolean;
  readonly elapsedMs: number;
}

/**
 * Writes `bytes` on a fresh connection and never sends the rest, then waits until the server
 * closes (or `boundMs` passes: the socket is destroyed either way).
 */
function stall(port: number, bytes: string, boundMs: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let started = 0;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), boundMs);
    socket.once('error', reject);
    // From the connection: the head timeout counts from it (nginx's client_header_timeout for a
    // first request too), the body timeout from the last body bytes, which come after it.
    socket.once('connect', () => {
      started = Date.now();
      socket.write(bytes);
    });
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.once('close', () => finish(true));
  });
}

/** The flags' 300 ms; a sweep period (75 ms here) may add to it, a loaded 2-core machine more. */
const TIMEOUT_MS = 300;
const LATE_BOUND_MS = 1_500;

/**
 * The client timeout flags end to end: `pier serve --client-header-timeout 300ms
 * --client-body-timeout 300ms` reaches the workers' HTTP/1.1 server, so a stalled client gets
 * its 408 after about 300 ms instead of the 60 s default.
 */
describe('--client-header-timeout / --client-body-timeout (pier serve --manifests, 1 worker)', () => {
  let dir: string;
  let web: EchoBackend;
  let pier: PierProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-e2e-timeouts-'));
    web = await startEchoBackend('web');
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'site.yaml'), [serviceYaml('web', [{ host: web.host, port: web.port }]), ingressYaml('site', 'shop.example', [{ path: '/', service: 'web' }])].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--client-header-timeout', `${TIMEOUT_MS}ms`, '--client-body-timeout', `${TIMEOUT_MS}ms`]);
  });

  afterAll(async () => {
    await pier?.stop();
    await web?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    { name: 'half a request head → 408 after --client-header-timeout', bytes: 'GET / HTTP/1.1\r\nHost: shop.exa' },
    { name: 'a request body that stops arriving → 408 after --client-body-timeout', bytes: 'POST /up HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 10\r\n\r\nabc' },
  ])('$name, roughly 300 ms, not 60 s', async ({ bytes }) => {
    const got = await stall(pier.httpPort, bytes, 5_000);
    expect(got.closed, `no close within 5 s; received ${JSON.stringify(got.text)}`).toBe(true);
    expect(got.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(got.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5); // never early
    expect(got.elapsedMs).toBeLessThan(LATE_BOUND_MS);
  });
});
