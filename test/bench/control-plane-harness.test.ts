import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { snapshotOf, syntheticCluster, writeClusterManifests } from '../../bench/lib/cluster-objects.ts';
import { topSelfTime } from '../../bench/lib/cpu-profile-top.ts';
import { translate } from '../../src/translate/translate.ts';

const OPTIONS = { ingressClass: 'pier', controllerName: 'pier.dev/ingress-controller', watchIngressWithoutClass: false };

describe('synthetic cluster', () => {
  it.each([1, 10, 25])('%i Ingresses translate into one host with 4 routes each, every backend resolved, no problems', (n) => {
    const { table, problems } = translate(snapshotOf(syntheticCluster(n)), OPTIONS);
    expect(problems).toEqual([]);
    expect(table.virtualHosts).toHaveLength(n);
    expect(table.virtualHosts.every((vh) => vh.routes.length === 4)).toBe(true);
    expect(table.backends).toHaveLength(2 * n);
    expect(table.backends.every((b) => b.servers.length === 3)).toBe(true);
  });

  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes every object to manifest files, a bounded number of Ingresses per file', () => {
    dir = mkdtempSync(join(tmpdir(), 'pier-bench-test-'));
    writeClusterManifests(dir, syntheticCluster(12), 5);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['00-class.yaml', 'apps-0000.yaml', 'apps-0001.yaml', 'apps-0002.yaml']);
    const kinds = files.flatMap((f) => readFileSync(join(dir!, f), 'utf8').split(/^---$/m).map((d) => (parse(d) as { kind: string }).kind));
    expect(kinds.filter((k) => k === 'Ingress')).toHaveLength(12);
    expect(kinds.filter((k) => k === 'Service')).toHaveLength(24);
    expect(kinds.filter((k) => k === 'EndpointSlice')).toHaveLength(24);
    expect(kinds.filter((k) => k === 'IngressClass')).toHaveLength(1);
  });
});

describe('CPU profile self time', () => {
  it('attributes each sample to the frame on top of the stack and sums across profiles', () => {
    const frame = (functionName: string, url = 'file:///work/main/src/dataplane/x.ts', lineNumber = 9) => ({ functionName, url, lineNumber });
    const profile = {
      nodes: [{ id: 1, callFrame: frame('(root)', '', -1) }, { id: 2, callFrame: frame('handle') }, { id: 3, callFrame: frame('writev', '') }],
      samples: [2, 3, 3, 2, 3],
      timeDeltas: [1000, 2000, 3000, 500, 1500],
    };
    const top = topSelfTime([profile, profile], 2);
    expect(top).toEqual([
      { name: 'writev', location: '(native)', selfMs: 13, share: 13 / 16 },
      { name: 'handle', location: 'src/dataplane/x.ts:10', selfMs: 3, share: 3 / 16 },
    ]);
  });
});
