import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from '../e2e/manifests.ts';

/** The README's expires example, exactly as written there. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const m = /### Expires headers[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme);
  if (m === null) throw new Error('README has no expires example');
  return m[1]!;
}

describe('pier serve: the README\'s static-content example (expires, cache-control-extra, enable-access-log)', () => {
  let dir: string;
  let web: EchoBackend;
  let pier: PierProcess;
  const get = (path: string) => request(`http://127.0.0.1:${pier.httpPort}${path}`, { headers: { host: 'shop.example' } });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-expires-'));
    web = await startEchoBackend('web', '127.0.0.2');
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'services.yaml'), serviceYaml('web', [{ host: web.host, port: web.port }]));
    await writeFile(join(dir, 'static.yaml'), (await readmeExample()).replace('name: static-assets', 'name: static-assets\n  namespace: default'));
    await writeFile(join(dir, 'site.yaml'), ingressYaml('site', 'shop.example', [{ path: '/', service: 'web' }]));
    pier = await startPier(['--manifests', dir, '--workers', '2', '--access-log'], { readyTimeoutMs: 30_000 });
  });

  afterAll(async () => {
    await pier?.stop();
    await web?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a matching file gets Expires one month ahead and Cache-Control max-age=2592000, public', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const res = await get('/img/logo.PNG');
    await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('max-age=2592000, public');
    const expires = Date.parse(String(res.headers['expires']));
    expect(expires - before).toBeGreaterThanOrEqual(2_592_000_000);
    expect(expires - before).toBeLessThanOrEqual(2_592_000_000 + 5_000);
  });

  it('other paths are untouched, and only they are access-logged', async () => {
    const res = await get('/index.html');
    await res.body.text();
    expect(res.headers['cache-control']).toBeUndefined();
    expect(res.headers['expires']).toBeUndefined();
    await waitFor(() => pier.output().includes('"path":"/index.html"'), 5_000, 'the access line of /index.html');
    expect(pier.output()).not.toContain('logo.PNG');
  });
});
