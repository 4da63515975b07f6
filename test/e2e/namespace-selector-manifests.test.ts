import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from './manifests.ts';

/**
 * `pier serve --manifests DIR --watch-namespace-selector`: the Namespace objects of the
 * directory decide which namespaces are served, and editing their labels changes routing.
 */
describe('pier serve --manifests --watch-namespace-selector', () => {
  let dir: string;
  let web: EchoBackend;
  let pier: PierProcess;

  const namespaces = (labels: Record<string, string>) => Object.entries(labels)
    .map(([name, label]) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n${label ? `  labels: { ${label} }\n` : ''}`).join('---\n');
  const writeAtomically = async (name: string, text: string) => {
    await writeFile(join(dir, `.${name}.tmp`), text);
    await rename(join(dir, `.${name}.tmp`), join(dir, name));
  };
  const statusOf = async (host: string) => {
    const res = await request(`http://127.0.0.1:${pier.httpPort}/`, { headers: { host } });
    await res.body.dump();
    return res.statusCode;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-nsselector-'));
    web = await startEchoBackend('web', '127.0.0.2');
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    const apps = ['shop', 'blog', 'nowhere'].flatMap((ns) => [
      serviceYaml('web', [{ host: web.host, port: web.port }], ns),
      ingressYaml('site', `${ns}.example`, [{ path: '/', service: 'web' }], ns),
    ]);
    await writeFile(join(dir, 'apps.yaml'), apps.join('---\n'));
    await writeFile(join(dir, 'namespaces.yaml'), namespaces({ shop: 'team: a', blog: '' }));
    pier = await startPier(['--manifests', dir, '--workers', '1', '--watch-namespace-selector', 'team=a']);
  });

  afterAll(async () => {
    await pier?.stop();
    await web?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves namespaces whose Namespace object matches; one without a Namespace object is reported', async () => {
    expect(await statusOf('shop.example')).toBe(200);
    expect(await statusOf('blog.example')).toBe(404);
    expect(await statusOf('nowhere.example')).toBe(404);
    const reported = pier.output().split('\n').filter((l) => l.includes('NamespaceNotDeclared'));
    expect(reported).toHaveLength(1);
    expect(reported[0]).toContain('no manifest declares Namespace nowhere');
  });

  it('follows edits of the Namespace objects', async () => {
    await writeAtomically('namespaces.yaml', namespaces({ shop: 'team: b', blog: 'team: a', nowhere: 'team: a' }));
    await waitFor(async () => (await statusOf('blog.example')) === 200, 10_000, 'blog served once labelled');
    await waitFor(async () => (await statusOf('shop.example')) === 404, 10_000, 'shop withdrawn once relabelled');
    expect(await statusOf('nowhere.example')).toBe(200);
  });
});
