import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * --compression (ingress-nginx's ConfigMap use-gzip: "true") through `pier serve`: Ingresses
 * without pier.dev/compression get it, one saying `off` does not, and types outside
 * --compression-types pass as they are.
 */

const BODY = Buffer.from('compress me, please. '.repeat(200));

function get(port: number, host: string, path: string): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, 'accept-encoding': 'gzip' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('controller-wide compression (--compression gzip)', () => {
  let backend: Server;
  let dir: string;
  let pier: PierProcess;

  beforeAll(async () => {
    backend = createServer((req, res) => {
      res.writeHead(200, { 'content-type': req.url === '/image' ? 'image/png' : 'text/plain; charset=utf-8', 'content-length': BODY.length });
      res.end(BODY);
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    dir = await mkdtemp(join(tmpdir(), 'pier-compression-defaults-'));
    await writeFile(join(dir, 'objects.yaml'), [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('web', [{ host: '127.0.0.1', port: (backend.address() as AddressInfo).port }])}`,
      annotatedIngressYaml('plain', 'plain.test', 'web', {}),
      annotatedIngressYaml('cors', 'cors.test', 'web', { 'nginx.ingress.kubernetes.io/enable-cors': 'true' }),
      annotatedIngressYaml('off', 'off.test', 'web', { 'pier.dev/compression': 'off' }),
    ].join('\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--compression', 'gzip']);
  });

  afterAll(async () => {
    await pier?.stop();
    backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('an Ingress without pier.dev/compression, annotated otherwise or not at all, is gzipped', async () => {
    for (const host of ['plain.test', 'cors.test']) {
      const res = await get(pier.httpPort, host, '/text');
      expect(res.headers['content-encoding'], host).toBe('gzip');
      expect(gunzipSync(res.body).equals(BODY), host).toBe(true);
    }
  });

  it('pier.dev/compression: off wins; a type outside --compression-types passes as it is', async () => {
    const off = await get(pier.httpPort, 'off.test', '/text');
    expect(off.headers['content-encoding']).toBeUndefined();
    expect(off.body.equals(BODY)).toBe(true);
    const image = await get(pier.httpPort, 'plain.test', '/image');
    expect(image.headers['content-encoding']).toBeUndefined();
    expect(image.body.equals(BODY)).toBe(true);
  });
});
