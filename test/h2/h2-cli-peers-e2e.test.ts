import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, startBackend, type TestBackend } from '../dataplane/helpers.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from '../e2e/manifests.ts';

const run = promisify(execFile);

/** Installs Debian's nghttp2-client when nghttp/h2load are missing (as the brief's tools). */
function ensureNghttp(): string | null {
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!has('nghttp') || !has('h2load')) {
    spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq nghttp2-client'], { stdio: 'ignore', timeout: 180_000 });
  }
  if (!has('nghttp') || !has('h2load')) return 'nghttp2-client (nghttp, h2load) could not be installed';
  return null;
}
function curlHttp2(): string | null {
  const v = spawnSync('curl', ['-V'], { encoding: 'utf8' });
  if (v.status !== 0) return 'curl is not installed';
  return /\bHTTP2\b/.test(v.stdout) ? null : 'curl was built without HTTP/2';
}

const nghttpMissing = ensureNghttp();
const curlMissing = curlHttp2();
if (nghttpMissing !== null) console.log(`SKIP nghttp/h2load checks: ${nghttpMissing}`);
if (curlMissing !== null) console.log(`SKIP curl checks: ${curlMissing}`);

/** Real HTTP/2 peers (curl, nghttp, h2load) against the real `pier serve`, h2c and h2 over TLS. */
describe('pier serve with curl, nghttp and h2load', () => {
  let dir: string;
  let pier: PierProcess;
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await startBackend('web');
    dir = await mkdtemp(join(tmpdir(), 'pier-h2-peers-'));
    await writeFile(join(dir, 'site.yaml'), [INGRESS_CLASS_YAML, serviceYaml('web', [backend]), ingressYaml('web', 'web.test', [{ path: '/', service: 'web' }])].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--http2-max-concurrent-streams', '50'], { readyTimeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await pier?.stop();
    await closeAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(curlMissing !== null)('curl --http2-prior-knowledge (h2c) and curl --http2 over TLS (ALPN h2)', async () => {
    const h2c = await run('curl', ['-s', '-o', '-', '-w', '\n%{http_version} %{http_code}', '--http2-prior-knowledge', '-H', 'host: web.test', `http://127.0.0.1:${pier.httpPort}/a`]);
    expect(h2c.stdout).toBe('backend=web\n2 200');
    const tls = await run('curl', ['-sk', '-o', '-', '-w', '\n%{http_version} %{http_code}', '--http2', '--resolve', `web.test:${pier.httpsPort}:127.0.0.1`, `https://web.test:${pier.httpsPort}/b`]);
    expect(tls.stdout).toBe('backend=web\n2 200');
    const h1 = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', '--http1.1', '-H', 'host: web.test', `http://127.0.0.1:${pier.httpPort}/c`]);
    expect(h1.stdout).toBe('1.1 200');
  });

  it.skipIf(nghttpMissing !== null)('nghttp sees SETTINGS_MAX_CONCURRENT_STREAMS from --http2-max-concurrent-streams, and a 200', async () => {
    const out = await run('nghttp', ['-nv', '-H', ':authority: web.test', `http://127.0.0.1:${pier.httpPort}/n`]);
    expect(out.stdout).toMatch(/SETTINGS_MAX_CONCURRENT_STREAMS\(0x03\):50/);
    expect(out.stdout).toMatch(/:status: 200/);
  });

  it.skipIf(nghttpMissing !== null)('h2load: 2,000 requests on 4 connections × 20 streams, none failed, over h2c and TLS', async () => {
    for (const url of [`http://127.0.0.1:${pier.httpPort}/l`, `https://127.0.0.1:${pier.httpsPort}/l`]) {
      const out = await run('h2load', ['-n', '2000', '-c', '4', '-m', '20', '-H', ':authority: web.test', url], { timeout: 60_000 });
      expect(out.stdout).toMatch(/2000 succeeded, 0 failed, 0 errored/);
    }
  }, 90_000);
});
