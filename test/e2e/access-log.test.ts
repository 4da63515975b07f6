import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor } from '../helpers/pier-process.ts';
import { ingressYaml, serviceYaml } from './manifests.ts';

/** `--access-log` is its own stream: `--log-level warn` quiets Pier's messages, not the requests. */
describe('pier serve --access-log --log-level warn', () => {
  let dir: string;
  let web: EchoBackend;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-access-'));
    web = await startEchoBackend('web', '127.0.0.2');
    await writeFile(join(dir, 'app.yaml'), `${serviceYaml('web', [{ host: web.host, port: web.port }])}---\n${ingressYaml('app', 'app.example', [{ path: '/', service: 'web' }])}`);
  });
  afterAll(async () => {
    await web.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one access line per request while info messages stay quiet', async () => {
    const pier = await startPier(['--workers', '1', '--manifests', dir, '--access-log', '--log-level', 'warn']);
    try {
      const res = await request(`http://127.0.0.1:${pier.httpPort}/hello?x=1`, { headers: { host: 'app.example' } });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
      const accessLines = () => pier.output().split('\n').filter((l) => l.includes('"msg":"access"'));
      await waitFor(() => accessLines().length === 1, 5_000, 'the access line');
      expect(JSON.parse(accessLines()[0]!)).toMatchObject({ level: 'info', component: 'access', method: 'GET', host: 'app.example', path: '/hello?x=1', status: 200 });
      expect(pier.output()).not.toContain('pier serving');
    } finally {
      await pier.stop();
    }
  });
});
