import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { KubeObject, Upstream } from '../../src/source/objects.ts';
import type { Backend } from '../../src/routing/route-table.ts';
import { EMPTY_SNAPSHOT, indexSnapshot } from '../../src/translate/snapshot.ts';
import type { Snapshot } from '../../src/translate/snapshot.ts';
import { resolveUpstreamBackend } from '../../src/translate/upstream-backend.ts';
import { formatFieldError } from '../../src/translate/upstream-field-error.ts';
import { parseUpstream } from '../../src/translate/upstream-spec.ts';

interface Case {
  readonly upstream: Upstream;
  readonly objects?: KubeObject[];
  readonly errors?: string[];
  /** The whole rejection text, when it is not `Upstream.pier.dev "<name>" is invalid: <errors>`. */
  readonly message?: string;
  readonly reason?: string;
  readonly backend?: Backend;
  readonly problems?: string[];
}

const DIR = new URL('../fixtures/upstream/', import.meta.url);
const cases = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()
  .map((file) => ({ file, c: parse(readFileSync(new URL(file, DIR), 'utf8')) as Case }));

function snapshotOf(c: Case): Snapshot {
  const objects = [c.upstream, ...(c.objects ?? [])];
  const of = <K extends string>(kind: K) => objects.filter((o) => o.kind === kind) as never[];
  return { ...EMPTY_SNAPSHOT, upstreams: of('Upstream'), services: of('Service'), endpointSlices: of('EndpointSlice'), secrets: of('Secret') };
}

const ingress = { kind: 'Ingress', namespace: 'default', name: 'site' };

describe('Upstream fixtures (test/fixtures/upstream)', () => {
  it('has both valid and invalid cases', () => {
    expect(cases.filter(({ c }) => c.errors).length).toBeGreaterThan(10);
    expect(cases.filter(({ c }) => c.backend).length).toBeGreaterThan(3);
  });

  it.each(cases.filter(({ c }) => c.errors))('$file is rejected with the API server\'s text', ({ c }) => {
    const parsed = parseUpstream(c.upstream);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const lines = c.errors!;
    expect(parsed.errors.map(formatFieldError)).toEqual(lines);
    const want = c.message ?? `Upstream.pier.dev "${c.upstream.metadata.name}" is invalid: ${lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`}`;
    expect(parsed.message).toBe(want);
    expect(parsed.reason).toBe(c.reason ?? 'InvalidUpstream');

    // In a table: 503 backend, the problem on the Upstream with that text, and on the Ingress.
    const { backend, problems } = resolveUpstreamBackend(indexSnapshot(snapshotOf(c)), 'default', c.upstream.metadata.name, ingress);
    expect(backend).toMatchObject({ id: `upstream:default/${c.upstream.metadata.name}`, servers: [], unavailable: parsed.reason });
    expect(problems.map((p) => [p.kind, p.reason])).toEqual([['Upstream', parsed.reason], ['Ingress', parsed.reason]]);
    expect(problems[0]!.message).toBe(want);
    expect(problems[1]!.message).toContain(want);
  });

  it.each(cases.filter(({ c }) => c.backend))('$file resolves to the expected backend', ({ c }) => {
    const parsed = parseUpstream(c.upstream);
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
    const { backend, problems } = resolveUpstreamBackend(indexSnapshot(snapshotOf(c)), 'default', c.upstream.metadata.name, ingress);
    expect(backend).toEqual(c.backend);
    expect(problems.map((p) => p.reason)).toEqual(c.problems ?? []);
  });
});
