import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parse as parseCel } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { UPSTREAM_CEL_RULES } from '../../src/translate/upstream-cel-rules.ts';
import { UPSTREAM_SCHEMA } from '../../src/translate/upstream-crd.ts';
import { validateAgainstSchema } from '../../src/translate/upstream-schema-validator.ts';
import { validateUpstreamSpec } from '../../src/translate/upstream-spec.ts';

/**
 * The TypeScript twins must not only carry the CRD's messages but decide like the CEL they
 * replace: every rule is evaluated by a real CEL interpreter and by its twin over the specs of
 * all fixtures plus targeted variants, and the verdicts must agree.
 */
const DIR = new URL('../fixtures/upstream/', import.meta.url);
const fixtureSpecs: unknown[] = readdirSync(DIR).filter((f) => f.endsWith('.yaml'))
  .map((f) => (parseYaml(readFileSync(new URL(f, DIR), 'utf8')) as { upstream: { spec?: unknown } }).upstream.spec);

const server = { address: '10.0.0.1', port: 80 };
const variants: unknown[] = [
  { servers: [server] },
  { service: { name: 'web', port: { number: 80 } } },
  { service: { name: 'web', port: { name: 'http' } }, servers: [] },
  { service: { name: 'web', port: {} }, servers: [server] },
  ...['RoundRobin', 'LeastConnections', 'IPHash', 'ConsistentHash', 'Random'].flatMap((algorithm) => [
    { servers: [server, { ...server, backup: true }], loadBalancing: { algorithm } },
    { servers: [server, { ...server, backup: false }], loadBalancing: { algorithm, hashKey: { source: 'Cookie', name: 'sid' } } },
    { servers: [server], loadBalancing: { algorithm, hashKey: { source: 'ClientAddress' } } },
    { servers: [server], loadBalancing: { algorithm, hashKey: { source: 'Header' } } },
  ]),
  ...['HTTP', 'HTTPS', 'H2C'].map((protocol) => ({ servers: [server], protocol, tls: { insecureSkipVerify: true } })),
  ...[['1s', '1s'], ['999ms', '1s'], ['1m', '59s'], ['1h', '1h0m1s'], ['0.5s', '500ms']].map(([timeout, interval]) => ({ servers: [server], healthCheck: { timeout, interval } })),
];

const SPEC = UPSTREAM_SCHEMA.properties!.spec!;
/** Defaulted, structurally valid specs: the input CEL sees in the API server. */
const specs = [...fixtureSpecs, ...variants]
  .map((s) => validateUpstreamSpec(s).spec)
  .filter((s) => s && typeof s === 'object' && validateAgainstSchema(s, SPEC, 'spec').length === 0) as Record<string, unknown>[];

function nodeAt(spec: Record<string, unknown>, at: string): unknown {
  return at.split('.').slice(1).reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), spec);
}

describe('CEL rules decide like their TypeScript twins', () => {
  it('has enough samples', () => expect(specs.length).toBeGreaterThan(30));

  it.each(UPSTREAM_CEL_RULES)('$at: $rule', (rule) => {
    const cel = parseCel(rule.rule);
    let evaluated = 0;
    const verdicts = { true: 0, false: 0 };
    for (const spec of specs) {
      const self = nodeAt(spec, rule.at);
      if (self === undefined) continue;
      const want = cel({ self }) as boolean;
      expect(rule.check(self as Record<string, unknown>), `${rule.rule} on ${JSON.stringify(self)}`).toBe(want);
      evaluated += 1;
      verdicts[String(want) as 'true' | 'false'] += 1;
    }
    expect(evaluated).toBeGreaterThan(0);
    // Both outcomes are seen, so the comparison can tell two different predicates apart.
    expect(verdicts.true).toBeGreaterThan(0);
    expect(verdicts.false).toBeGreaterThan(0);
  });
});
