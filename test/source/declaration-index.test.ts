import { describe, expect, it } from 'vitest';
import { DeclarationIndex } from '../../src/source/manifests/declaration-index.ts';
import type { KubeObject } from '../../src/source/objects.ts';
import type { SourceEvent } from '../../src/source/source.ts';

const svc = (name: string, port = 80): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'd' }, spec: { ports: [{ port }] } } as KubeObject);

/** Events in a compact, comparable form: `upsert d/a:80`, `remove d/a`, `DuplicateObject d/a`. */
function brief(events: readonly SourceEvent[]): string[] {
  return events.map((e) => {
    if (e.type === 'upsert') {
      const port = (e.object as { spec?: { ports?: { port?: number }[] } }).spec?.ports?.[0]?.port;
      return `upsert ${e.object.metadata.namespace}/${e.object.metadata.name}:${port}`;
    }
    if (e.type === 'remove') return `remove ${e.ref.namespace}/${e.ref.name}`;
    if (e.type === 'problem') return `${e.problem.reason} ${e.problem.namespace}/${e.problem.name}`;
    return e.type;
  });
}

describe('DeclarationIndex', () => {
  it('upserts new and changed objects, removes undeclared ones, stays quiet for unchanged ones', () => {
    const index = new DeclarationIndex();
    expect(brief(index.declare('a.yaml', [svc('a'), svc('b')]))).toEqual(['upsert d/a:80', 'upsert d/b:80']);
    expect(brief(index.declare('a.yaml', [svc('a'), svc('b', 81), svc('c')]))).toEqual(['upsert d/b:81', 'upsert d/c:80']);
    expect(brief(index.declare('a.yaml', [svc('c')]))).toEqual(['remove d/a', 'remove d/b']);
    expect(brief(index.declare('a.yaml', []))).toEqual(['remove d/c']);
  });

  it('lets the lexically first file win a duplicate, whatever the arrival order', () => {
    const index = new DeclarationIndex();
    expect(brief(index.declare('b.yaml', [svc('a', 2)]))).toEqual(['upsert d/a:2']);
    expect(brief(index.declare('a.yaml', [svc('a', 1)]))).toEqual(['upsert d/a:1', 'DuplicateObject d/a']);
    // The loser changing its copy changes nothing but is reported again.
    expect(brief(index.declare('b.yaml', [svc('a', 3)]))).toEqual(['DuplicateObject d/a']);
    // Removing the winner lets the other file take over.
    expect(brief(index.declare('a.yaml', []))).toEqual(['upsert d/a:3']);
    expect(brief(index.declare('b.yaml', []))).toEqual(['remove d/a']);
  });

  it('names both files in a duplicate report', () => {
    const index = new DeclarationIndex();
    index.declare('a.yaml', [svc('a')]);
    const [event] = index.declare('b.yaml', [svc('a', 2)]);
    expect(event?.type === 'problem' && event.problem.message).toMatch(/a\.yaml.*b\.yaml/);
  });

  it('reports a duplicate inside one file and keeps the first declaration', () => {
    const index = new DeclarationIndex();
    expect(brief(index.declare('a.yaml', [svc('a', 1), svc('a', 2)]))).toEqual(['DuplicateObject d/a', 'upsert d/a:1']);
  });

  it('tells kinds and namespaces apart', () => {
    const index = new DeclarationIndex();
    const other: KubeObject = { kind: 'Upstream', metadata: { name: 'a', namespace: 'd' } };
    const elsewhere: KubeObject = { kind: 'Service', metadata: { name: 'a', namespace: 'e' } };
    expect(index.declare('a.yaml', [svc('a'), other, elsewhere]).filter((e) => e.type === 'upsert')).toHaveLength(3);
  });
});
