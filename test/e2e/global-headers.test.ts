import { once } from 'node:events';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { annotatedIngressYaml, INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * --proxy-set-headers / --add-headers through `pier serve --manifests`, with ingress-nginx's
 * custom-headers example ConfigMap: every backend gets its headers (variables filled in, the
 * client's own replaced), every client the response headers, Pier's own 404 included; an edit of the ConfigMap's data is served without a restart
 * (ingress-nginx needed one); a bad entry is logged naming the flag and the ConfigMap, and the
 * routes keep serving without those headers.
 */

/** ingress-nginx's docs/examples/customization/custom-headers/custom-headers.yaml, plus a variable. */
const REQUEST_HEADERS = (team: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: custom-headers, namespace: ingress-nginx }
data:
  X-Different-Name: "true"
  X-Request-Start: t=\${msec}
  X-Using-Nginx-Controller: "true"
  X-Client: $remote_addr
  X-Team: ${team}
`;

const RESPONSE_HEADERS = (data: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: response-headers, namespace: ingress-nginx }
data:
${data}`;

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

function get(port: number, host: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/page', headers: { host, ...headers }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('--proxy-set-headers and --add-headers through pier serve --manifests', () => {
  let backend: Server;
  let dir: string;
  let pier: PierProcess;
  const seen: IncomingHttpHeaders[] = [];

  /** Replaces a manifest file the way an editor or a ConfigMap volume does: write aside, rename over. */
  async function replace(file: string, text: string): Promise<void> {
    await writeFile(join(dir, `.${file}.tmp`), text);
    await rename(join(dir, `.${file}.tmp`), join(dir, file));
  }

  beforeAll(async () => {
    backend = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.setHeader('x-frame-options', 'SAMEORIGIN');
      res.end('page');
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    dir = await mkdtemp(join(tmpdir(), 'pier-global-headers-'));
    const endpoints = [{ host: '127.0.0.1', port: (backend.address() as AddressInfo).port }];
    await writeFile(join(dir, 'objects.yaml'), [
      INGRESS_CLASS_YAML,
      `---\n${serviceYaml('web', endpoints)}`,
      annotatedIngressYaml('web', 'web.test', 'web', {}),
    ].join('\n'));
    await writeFile(join(dir, 'request-headers.yaml'), REQUEST_HEADERS('edge'));
    await writeFile(join(dir, 'response-headers.yaml'), RESPONSE_HEADERS('  X-Frame-Options: DENY\n  X-Served-Host: $host\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--proxy-set-headers', 'ingress-nginx/custom-headers', '--add-headers', 'ingress-nginx/response-headers']);
  });

  afterAll(async () => {
    await pier?.stop();
    backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every backend request carries the ConfigMap\'s headers; every response the other ConfigMap\'s', async () => {
    seen.length = 0;
    const answer = await get(pier.httpPort, 'web.test', { 'x-team': 'client' });
    expect(answer.status).toBe(200);
    expect(seen[0]).toMatchObject({ 'x-different-name': 'true', 'x-using-nginx-controller': 'true', 'x-client': '127.0.0.1', 'x-team': 'edge' });
    expect(seen[0]!['x-request-start']).toMatch(/^t=\d{10}\.\d{3}$/);
    expect([answer.headers['x-frame-options'], answer.headers['x-served-host']]).toEqual(['DENY', 'web.test']);
    // Pier's own 404 for a host no rule matches carries the response headers too.
    const missing = await get(pier.httpPort, 'nowhere.test');
    expect([missing.status, missing.headers['x-frame-options']]).toEqual([404, 'DENY']);
  });

  it('an edit of a ConfigMap\'s data is served without a restart; a bad entry is reported and drops that ConfigMap\'s headers only', async () => {
    await replace('request-headers.yaml', REQUEST_HEADERS('platform'));
    await waitFor(async () => {
      seen.length = 0;
      await get(pier.httpPort, 'web.test');
      return seen[0]?.['x-team'] === 'platform';
    }, 10_000, 'the edited X-Team');
    await replace('response-headers.yaml', RESPONSE_HEADERS('  X-Frame-Options: DENY\n  Content-Length: "0"\n'));
    await waitFor(() => /--add-headers: ConfigMap ingress-nginx\/response-headers key \\"Content-Length\\" may not set content-length/.test(pier.output()), 10_000, 'the problem in the log');
    seen.length = 0;
    const answer = await get(pier.httpPort, 'web.test');
    expect([answer.status, answer.headers['x-frame-options']]).toEqual([200, 'SAMEORIGIN']);
    expect(seen[0]!['x-team']).toBe('platform');
  });
});
