import { describe, expect, it } from 'vitest';
import type { Service } from '../../src/source/objects.ts';
import { createStoreFeeder } from '../../src/store/store-feeder.ts';
import { Store } from '../../src/store/store.ts';
import type { Problem } from '../../src/translate/problem.ts';

describe('createStoreFeeder', () => {
  const service: Service = { kind: 'Service', metadata: { name: 'web', namespace: 'd', resourceVersion: '1' }, spec: { ports: [{ port: 80 }] } };

  it('schedules rebuilds only for relevant changes, releases the first build at sync, forwards problems', () => {
    const calls: string[] = [];
    const problems: Problem[] = [];
    const store = new Store();
    const feed = createStoreFeeder({
      store,
      scheduler: { changed: () => calls.push('changed'), markSynced: () => calls.push('synced') },
      onProblem: (p) => problems.push(p),
    });
    const problem: Problem = { kind: 'ManifestFile', namespace: '', name: 'a.yaml', reason: 'ManifestParseError', message: 'bad' };

    feed({ type: 'upsert', object: service });
    feed({ type: 'upsert', object: { ...service, metadata: { ...service.metadata, resourceVersion: '2' } } });
    feed({ type: 'synced' });
    feed({ type: 'problem', problem });
    feed({ type: 'remove', ref: { kind: 'Service', namespace: 'd', name: 'web' } });
    feed({ type: 'remove', ref: { kind: 'Service', namespace: 'd', name: 'web' } });

    expect(calls).toEqual(['changed', 'synced', 'changed']);
    expect(problems).toEqual([problem]);
    expect(store.snapshot().services).toEqual([]);
  });
});
