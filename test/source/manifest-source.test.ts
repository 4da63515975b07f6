import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLabelSelector, type LabelSelector } from '../../src/source/label-selector.ts';
import { ManifestSource } from '../../src/source/manifests/manifest-source.ts';
import type { SourceEvent } from '../../src/source/source.ts';
import { brief, EventLog, settle } from './event-log.ts';

const service = (name: string, ns?: string, port = 80) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
${ns ? `  namespace: ${ns}\n` : ''}spec:
  ports:
    - port: ${port}
`;

const ingressClass = 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: pier\nspec:\n  controller: pier.dev/ingress-controller\n';

const portOf = (e: SourceEvent) => (e.type === 'upsert' ? (e.object as { spec?: { ports?: { port?: number }[] } }).spec?.ports?.[0]?.port : undefined);

describe('ManifestSource', () => {
  let dir: string;
  let log: EventLog;
  let source: ManifestSource | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-manifests-'));
    log = new EventLog();
  });

  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function start(options: { watchNamespace?: string; namespaceSelector?: LabelSelector } = {}): Promise<void> {
    source = new ManifestSource(dir, { debounceMs: 20, ...options });
    await source.start(log.listener);
    await log.waitFor((events) => events.some((e) => e.type === 'synced'));
  }

  const write = (name: string, text: string) => writeFile(join(dir, name), text);

  it('reads multi-document, List and JSON files, reports unknown kinds, then emits synced once', async () => {
    await write('a.yaml', `${service('a')}---\n${service('b', 'shop')}`);
    await write('b.yml', `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: discovery.k8s.io/v1\n    kind: EndpointSlice\n    metadata: { name: a-1, labels: { kubernetes.io/service-name: a } }\n`);
    await write('c.json', JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'pier' } }));
    await write('d.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: shop }\n');
    await start();
    expect(brief(log.take())).toEqual([
      'upsert Service default/a',
      'upsert Service shop/b',
      'upsert EndpointSlice default/a-1',
      'upsert IngressClass /pier',
      'problem UnknownKind Deployment shop/web',
      'synced',
    ]);
    await settle();
    expect(log.events).toEqual([]);
  });

  it('emits objects slimmed to what Pier reads; a change only to what it drops emits nothing', async () => {
    const ingress = (extra: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  labels: { app.kubernetes.io/name: web }
  annotations:
    pier.dev/proxy-read-timeout: "5"
    kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Ingress"${extra}}'
  managedFields: [{ manager: kubectl }]
spec:
  ingressClassName: pier
`;
    await write('a.yaml', ingress(''));
    await start();
    const [upsert] = log.take();
    expect(upsert).toEqual({
      type: 'upsert',
      object: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default', annotations: { 'pier.dev/proxy-read-timeout': '5' } }, spec: { ingressClassName: 'pier' } },
    });
    await write('a.yaml', ingress(',"x":1'));
    await settle();
    // Then a change Pier reads, in another file read after it: only that one is emitted.
    await write('b.yaml', service('marker'));
    await log.waitFor((events) => events.length > 0);
    await settle();
    expect(brief(log.events)).toEqual(['upsert Service default/marker']);
  });

  it('ignores hidden files, editor leftovers, other extensions and subdirectories', async () => {
    await write('real.yaml', service('real'));
    for (const name of ['.#real.yaml', 'real.yaml~', '.real.yaml.swp', '#real.yaml#', '.hidden.yaml', 'notes.txt', 'real.yaml.bak']) await write(name, service('junk'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'x.yaml'), service('nested'));
    await start();
    expect(brief(log.take())).toEqual(['upsert Service default/real', 'synced']);
    await write('.#other.yaml', service('junk2'));
    await write('other.yaml~', service('junk3'));
    await settle();
    expect(log.events).toEqual([]);
  });

  it('an empty directory syncs with no objects', async () => {
    await start();
    expect(brief(log.take())).toEqual(['synced']);
  });

  it('applies a file created in a directory that was empty at start (regression: stuck read queue)', async () => {
    await start();
    log.take();
    await write('new.yaml', service('fresh'));
    await log.waitFor((events) => events.length > 0);
    await settle();
    expect(brief(log.take())).toEqual(['upsert Service default/fresh']);
  });

  it('diffs an edited file: upserts the changed, removes the dropped, leaves the rest alone', async () => {
    await write('a.yaml', `${service('keep')}---\n${service('change')}---\n${service('drop')}`);
    await start();
    log.take();
    await write('a.yaml', `${service('keep')}---\n${service('change', undefined, 81)}---\n${service('add')}`);
    await log.waitFor((events) => events.length >= 3);
    await settle();
    const events = log.take();
    expect(brief(events).sort()).toEqual(['remove Service default/drop', 'upsert Service default/add', 'upsert Service default/change']);
    expect(portOf(events.find((e) => e.type === 'upsert' && e.object.metadata.name === 'change')!)).toBe(81);
  });

  it('treats an atomic rename over a file as an edit', async () => {
    await write('a.yaml', service('a'));
    await start();
    log.take();
    await write('.a.yaml.tmp', service('a', undefined, 8080));
    await rename(join(dir, '.a.yaml.tmp'), join(dir, 'a.yaml'));
    await log.waitFor((events) => events.length > 0);
    await settle();
    const events = log.take();
    expect(brief(events)).toEqual(['upsert Service default/a']);
    expect(portOf(events[0]!)).toBe(8080);
  });

  it('removes the objects of a deleted file', async () => {
    await write('a.yaml', `${service('a')}---\n${service('b')}`);
    await write('z.yaml', service('z'));
    await start();
    log.take();
    await unlink(join(dir, 'a.yaml'));
    await log.waitFor((events) => events.length >= 2);
    await settle();
    expect(brief(log.take()).sort()).toEqual(['remove Service default/a', 'remove Service default/b']);
  });

  it('treats a file renamed away as deleted and the new name as created', async () => {
    await write('a.yaml', service('a'));
    await start();
    log.take();
    await rename(join(dir, 'a.yaml'), join(dir, 'a.yaml.disabled'));
    await log.waitFor((events) => events.length > 0);
    expect(brief(log.take())).toEqual(['remove Service default/a']);
    await rename(join(dir, 'a.yaml.disabled'), join(dir, 'b.yaml'));
    await log.waitFor((events) => events.length > 0);
    expect(brief(log.take())).toEqual(['upsert Service default/a']);
  });

  it('keeps the last good objects of a file with a YAML error, then recovers', async () => {
    await write('a.yaml', `${service('a')}---\n${service('b')}`);
    await write('other.yaml', service('other'));
    await start();
    log.take();
    await write('a.yaml', `${service('a')}---\napiVersion: v1\nkind: Service\nmetadata: { name: [b\n`);
    await log.waitFor((events) => events.length > 0);
    await settle();
    const broken = log.take();
    expect(brief(broken)).toEqual(['problem ManifestParseError ManifestFile /a.yaml']);
    expect(broken[0]?.type === 'problem' && broken[0].problem.message).toMatch(/^a\.yaml:\d+:\d+: YAML syntax error/);
    await write('a.yaml', `${service('a')}---\n${service('c')}`);
    await log.waitFor((events) => events.length >= 2);
    await settle();
    expect(brief(log.take()).sort()).toEqual(['remove Service default/b', 'upsert Service default/c']);
  });

  it('a file broken from the start contributes nothing until fixed', async () => {
    await write('a.yaml', 'kind: [\n');
    await start();
    expect(brief(log.take())).toEqual(['problem ManifestParseError ManifestFile /a.yaml', 'synced']);
    await write('a.yaml', service('a'));
    await log.waitFor((events) => events.length > 0);
    expect(brief(log.take())).toEqual(['upsert Service default/a']);
  });

  it('follows a ConfigMap volume update (the ..data link swapped, no event names the file)', async () => {
    await mkdir(join(dir, '..v1'));
    await write('..v1/a.yaml', service('a', undefined, 1));
    await symlink('..v1', join(dir, '..data'));
    await symlink('..data/a.yaml', join(dir, 'a.yaml'));
    await start();
    expect(brief(log.take())).toEqual(['upsert Service default/a', 'synced']);
    await mkdir(join(dir, '..v2'));
    await write('..v2/a.yaml', service('a', undefined, 2));
    await symlink('..v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await log.waitFor((events) => events.length > 0);
    await settle();
    const events = log.take();
    expect(brief(events)).toEqual(['upsert Service default/a']);
    expect(portOf(events[0]!)).toBe(2);
  });

  it('lets the lexically first file win a duplicate, and the other take over when it goes', async () => {
    await write('b.yaml', service('dup', undefined, 2));
    await write('a.yaml', service('dup', undefined, 1));
    await start();
    const initial = log.take();
    expect(brief(initial)).toEqual(['upsert Service default/dup', 'problem DuplicateObject Service default/dup', 'synced']);
    expect(portOf(initial[0]!)).toBe(1);
    await unlink(join(dir, 'a.yaml'));
    await log.waitFor((events) => events.length > 0);
    await settle();
    const events = log.take();
    expect(brief(events)).toEqual(['upsert Service default/dup']);
    expect(portOf(events[0]!)).toBe(2);
  });

  it('defaults the namespace and filters by watchNamespace (cluster-scoped kept)', async () => {
    await write('a.yaml', `${service('a')}---\n${service('b', 'shop')}---\n${service('c', 'other')}---\n${ingressClass}`);
    await start({ watchNamespace: 'shop' });
    expect(brief(log.take())).toEqual(['upsert Service shop/b', 'upsert IngressClass /pier', 'synced']);
  });

  it('with a namespace selector, the Namespace objects of the manifests decide, as they change', async () => {
    const namespace = (name: string, labels = '') => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n${labels ? `  labels: { ${labels} }\n` : ''}`;
    const ingress = (ns: string) => `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: web, namespace: ${ns} }\nspec: { ingressClassName: pier }\n`;
    // Ingresses in a.yaml, Namespaces in z.yaml: read later, yet not "missing" at sync.
    await write('a.yaml', [ingress('shop'), ingress('blog'), ingress('nowhere'), service('web', 'blog')].join('---\n'));
    await write('z.yaml', `${namespace('shop', 'team: a')}---\n${namespace('blog')}`);
    await start({ namespaceSelector: parseLabelSelector('team=a') });
    expect(brief(log.take())).toEqual([
      'upsert Service blog/web',
      'upsert Ingress shop/web',
      'problem NamespaceNotDeclared Namespace /nowhere',
      'synced',
    ]);
    await write('z.yaml', `${namespace('shop')}---\n${namespace('blog', 'team: a')}`);
    await log.waitFor((events) => events.length >= 2);
    await settle();
    expect(brief(log.take()).sort()).toEqual(['remove Ingress shop/web', 'upsert Ingress blog/web']);
    // Declared at last: served, and reported again only if it goes missing again.
    await write('n.yaml', namespace('nowhere', 'team: a'));
    await log.waitFor((events) => events.length >= 1);
    await settle();
    expect(brief(log.take())).toEqual(['upsert Ingress nowhere/web']);
  });

  it('without a namespace selector, Namespace objects are read silently and change nothing', async () => {
    await write('a.yaml', `apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n---\n${service('a', 'shop')}`);
    await start();
    expect(brief(log.take())).toEqual(['upsert Namespace /shop', 'upsert Service shop/a', 'synced']);
  });

  it('coalesces a burst of writes to one file and ends on its last content', async () => {
    await start();
    log.take();
    for (let port = 1; port <= 20; port++) await write('a.yaml', service('a', undefined, port));
    await log.waitFor((events) => events.some((e) => portOf(e) === 20));
    await settle();
    const events = log.take();
    expect(portOf(events.at(-1)!)).toBe(20);
    expect(events.length).toBeLessThan(20);
  });

  it('emits nothing after stop()', async () => {
    await start();
    log.take();
    await source?.stop();
    await write('a.yaml', service('a'));
    await settle();
    expect(log.events).toEqual([]);
  });

  it('rejects start() on a missing directory with a stable code', async () => {
    source = new ManifestSource(join(dir, 'missing'));
    await expect(source.start(log.listener)).rejects.toMatchObject({ code: 'PIER_ERR_MANIFEST' });
  });
});
