import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, startBackend } from '../dataplane/helpers.ts';
import { startPier } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from '../e2e/manifests.ts';
import { h2Connect, h2Request } from './h2-client.ts';
import { until } from './h2-helpers.ts';

afterAll(closeAll);

describe('pier serve: SIGTERM with HTTP/2 streams in flight', () => {
  it('GOAWAY to the client, the stream in flight finishes, then the process exits 0', async () => {
    const held: ServerResponse[] = [];
    const backend = await startBackend('held', (req, res) => {
      req.resume();
      held.push(res);
    });
    const dir = await mkdtemp(join(tmpdir(), 'pier-h2-term-'));
    try {
      await writeFile(join(dir, 'site.yaml'), [INGRESS_CLASS_YAML, serviceYaml('web', [backend]), ingressYaml('web', 'web.test', [{ path: '/', service: 'web' }])].join('---\n'));
      const pier = await startPier(['--manifests', dir, '--workers', '1', '--shutdown-timeout', '10s'], { readyTimeoutMs: 30_000 });
      const session = await h2Connect(`http://127.0.0.1:${pier.httpPort}`);
      let goaway = -1;
      session.on('goaway', (code: number) => (goaway = code));
      const inFlight = h2Request(session, { ':path': '/', ':authority': 'web.test' });
      await until(() => held.length === 1, 5_000, 'request upstream');
      pier.child.kill('SIGTERM');
      // The primary drains its workers after SIGTERM; a loaded CI machine may take seconds.
      await until(() => goaway >= 0, 20_000, 'GOAWAY');
      expect(goaway).toBe(0);
      held[0]!.end('finished after SIGTERM');
      const r = await inFlight;
      expect(r.status).toBe(200);
      expect(r.body).toBe('finished after SIGTERM');
      expect(await pier.exited).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
