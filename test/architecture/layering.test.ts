import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph, importsOf, type ImportEdge } from './import-graph.ts';

/**
 * The layering of ARCHITECTURE.md ("Stages", and "Why this shape"), checked on every import of
 * src/ — type-only and dynamic ones included: a type is how Kubernetes shapes would leak in.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What a stage must not import: folders or files under src/, or packages. */
interface LayerRule {
  readonly stage: string;
  readonly forbidden: readonly string[];
  readonly why: string;
}

/** Everything above the routing table, and the Kubernetes client. */
const ABOVE_THE_TABLE = ['src/source/', 'src/store/', 'src/translate/', 'src/status/', 'src/supervisor/', 'src/controller.ts', 'src/main.ts', '@kubernetes/client-node'];

const RULES: readonly LayerRule[] = [
  { stage: 'src/dataplane/', forbidden: ABOVE_THE_TABLE, why: 'the dataplane never sees Kubernetes types, so it can be benchmarked and tested alone; it gets tables, not objects' },
  { stage: 'src/routing/', forbidden: ABOVE_THE_TABLE, why: 'RouteTable is plain serializable data without Kubernetes types' },
];

/** `file imports specifier`, for each import that a rule forbids. */
function violations(graph: ReadonlyMap<string, readonly ImportEdge[]>, rules: readonly LayerRule[]): string[] {
  const found: string[] = [];
  for (const [file, edges] of graph) {
    for (const rule of rules) {
      if (!file.startsWith(rule.stage)) continue;
      for (const edge of edges) {
        const name = edge.target ?? edge.specifier;
        const hit = rule.forbidden.find((f) => (f.endsWith('/') ? name.startsWith(f) : name === f || name.startsWith(`${f}/`)));
        if (hit !== undefined) found.push(`${file} imports ${edge.specifier} (${rule.stage} must not import ${hit}: ${rule.why})`);
      }
    }
  }
  return found;
}

/** Run-time edges only: `import type` is erased before Node runs the file; `import()` loads later. */
function runtimeGraph(graph: ReadonlyMap<string, readonly ImportEdge[]>): Map<string, string[]> {
  return new Map([...graph].map(([file, edges]) => [file, edges.filter((e) => !e.typeOnly && !e.dynamic && e.target !== undefined).map((e) => e.target!)]));
}

describe('layering of src/ (ARCHITECTURE.md)', () => {
  const graph = importGraph(ROOT, 'src');

  it('reads the real source tree (a graph without edges would check nothing)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('src/dataplane/create-dataplane.ts')?.some((e) => e.target === 'src/routing/route-table.ts')).toBe(true);
  });

  it('dataplane/ and routing/ import nothing above the routing table, nor the Kubernetes client', () => {
    expect(violations(graph, RULES)).toEqual([]);
  });

  it('has no import cycle that exists at run time', () => {
    expect(cycles(runtimeGraph(graph))).toEqual([]);
  });
});

describe('the checks themselves (so that an empty result above means something)', () => {
  const file = `${ROOT}src/dataplane/fake.ts`;

  it('reads static, type-only, re-exported and dynamic imports, not comments or strings', () => {
    const edges = importsOf(ROOT, file, [
      "import { a } from './a.ts';",
      "import type { B } from '../source/objects.ts';",
      "import { type C } from './c.ts';",
      "export { d } from '../routing/d.ts';",
      "export type { E } from './e.ts';",
      "const f = await import('../status/f.ts');",
      "type G = import('@kubernetes/client-node').V1Ingress;",
      "// import { h } from './h.ts';",
      "const s = \"import { i } from './i.ts'\";",
    ].join('\n'));
    expect(edges.map((e) => [e.target ?? e.specifier, e.typeOnly, e.dynamic])).toEqual([
      ['src/dataplane/a.ts', false, false],
      ['src/source/objects.ts', true, false],
      ['src/dataplane/c.ts', false, false],
      ['src/routing/d.ts', false, false],
      ['src/dataplane/e.ts', true, false],
      ['src/status/f.ts', false, true],
      ['@kubernetes/client-node', true, false],
    ]);
  });

  it('reports a dataplane file importing Kubernetes types, whichever way', () => {
    const edges = importsOf(ROOT, file, "import type { Ingress } from '../source/objects.ts';\ntype V = import('@kubernetes/client-node').V1Ingress;\nimport { x } from '../routing/route-table.ts';");
    expect(violations(new Map([['src/dataplane/fake.ts', edges]]), RULES)).toEqual([
      expect.stringMatching(/^src\/dataplane\/fake\.ts imports \.\.\/source\/objects\.ts \(src\/dataplane\/ must not import src\/source\//),
      expect.stringMatching(/^src\/dataplane\/fake\.ts imports @kubernetes\/client-node /),
    ]);
  });

  it('finds cycles of any length, self-imports, and only those', () => {
    const g = new Map<string, string[]>([
      ['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', []], ['e', ['e']], ['f', ['d', 'outside']],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['e']]);
    expect(cycles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
  });

  it('ignores type-only and dynamic edges when looking for run-time cycles', () => {
    const edge = (target: string, typeOnly: boolean, dynamic = false): ImportEdge => ({ specifier: target, target, typeOnly, dynamic });
    const g = new Map([['x', [edge('y', false)]], ['y', [edge('x', true)]], ['z', [edge('x', false, true)]], ['w', [edge('z', false)]]]);
    expect(cycles(runtimeGraph(g))).toEqual([]);
    expect(cycles(runtimeGraph(new Map([['x', [edge('y', false)]], ['y', [edge('x', false)]]])))).toEqual([['x', 'y']]);
  });
});
