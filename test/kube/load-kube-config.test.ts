import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../src/source/kube/load-kube-config.ts';
import { podIdentity, podNamespace } from '../../src/status/pod-identity.ts';

const dir = mkdtempSync(join(tmpdir(), 'pier-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kubeconfig = (name: string, server: string, currentContext = 'ctx') => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': currentContext,
    clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
  }));
  return path;
};

describe('loadKubeConfig', () => {
  const a = kubeconfig('a', 'https://a.example:6443');
  const b = kubeconfig('b', 'https://b.example:6443');
  const homeWithConfig = join(dir, 'home');
  writeFileSync(join(dir, 'placeholder'), '');

  it.each([
    { name: 'KUBECONFIG file', env: { KUBECONFIG: a }, server: 'https://a.example:6443' },
    { name: 'first existing file of a KUBECONFIG list', env: { KUBECONFIG: `${join(dir, 'missing')}:${b}:${a}` }, server: 'https://b.example:6443' },
  ])('uses the $name', ({ env, server }) => {
    expect(loadKubeConfig(env, homeWithConfig).getCurrentCluster()?.server).toBe(server);
  });

  it.each([
    { name: 'no configuration at all', env: {}, error: /no Kubernetes configuration.*--manifests/ },
    { name: 'an unparsable file', env: { KUBECONFIG: join(dir, 'placeholder') }, error: /has no current context|cannot load/ },
    { name: 'a context that does not exist', env: { KUBECONFIG: kubeconfig('bad-ctx', 'https://x', 'nope') }, error: /no current context/ },
  ])('fails clearly with $name', ({ env, error }) => {
    expect(() => loadKubeConfig(env, join(dir, 'nohome'))).toThrow(error);
  });
});

describe('pod identity', () => {
  it.each([
    { env: { POD_NAMESPACE: 'pier-system' }, file: '/nonexistent', namespace: 'pier-system' },
    { env: {}, file: join(dir, 'ns'), namespace: 'from-file' },
    { env: {}, file: '/nonexistent', namespace: 'default' },
  ])('namespace $namespace', ({ env, file, namespace }) => {
    writeFileSync(join(dir, 'ns'), 'from-file\n');
    expect(podNamespace(env, file)).toBe(namespace);
  });

  it('identity is POD_NAME, else hostname_pid', () => {
    expect(podIdentity({ POD_NAME: 'pier-7d9f' })).toBe('pier-7d9f');
    expect(podIdentity({})).toMatch(new RegExp(`_${process.pid}$`));
  });
});
