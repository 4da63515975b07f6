import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/helm.ts';
import { parseManifest } from '../../src/source/manifests/parse-manifest.ts';
import type { KubeObject } from '../../src/source/objects.ts';
import { EMPTY_SNAPSHOT, type Snapshot } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { OPTIONS } from './builders.ts';

const LISTS: Record<string, keyof Snapshot> = {
  IngressClass: 'ingressClasses', Ingress: 'ingresses', Service: 'services', EndpointSlice: 'endpointSlices', Secret: 'secrets', Upstream: 'upstreams',
};

/** Every example directory as Pier reads it in manifest mode. */
function snapshotOf(dir: string): Snapshot {
  const lists: Record<string, KubeObject[]> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const parsed = parseManifest(readFileSync(join(dir, file), 'utf8'), file);
    expect(parsed.problems, file).toEqual([]);
    for (const obj of parsed.objects ?? []) (lists[LISTS[obj.kind]!] ??= []).push(obj);
  }
  return { ...EMPTY_SNAPSHOT, ...lists } as Snapshot;
}

describe('examples/ translate without a problem', () => {
  it.each(['basic', 'upstream'])('examples/%s', (name) => {
    const { table, problems } = translate(snapshotOf(join(ROOT, 'examples', name)), OPTIONS);
    expect(problems).toEqual([]);
    expect(table.virtualHosts.length).toBeGreaterThan(0);
  });

  it('examples/upstream routes shop.localhost to its Upstream with weights 3:1', () => {
    const { table } = translate(snapshotOf(join(ROOT, 'examples', 'upstream')), OPTIONS);
    const backend = table.backends.find((b) => b.id === 'upstream:demo/shop');
    expect(backend?.servers.map((s) => [s.port, s.weight])).toEqual([[9001, 3], [9002, 1]]);
  });
});
