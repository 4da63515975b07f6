import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { MAX_RETRIES } from '../../src/translate/annotations/proxy.ts';
import { UPSTREAM_CEL_RULES } from '../../src/translate/upstream-cel-rules.ts';
import { celRulesIn, UPSTREAM_CRD_URL, UPSTREAM_SCHEMA } from '../../src/translate/upstream-crd.ts';
import type { JSONSchemaProps } from '../../src/translate/upstream-crd.ts';
import { validateAgainstSchema } from '../../src/translate/upstream-schema-validator.ts';

// Read the file afresh with `yaml`: the test checks the file itself, not the module's copy.
const crd = parse(readFileSync(UPSTREAM_CRD_URL, 'utf8'));
const version = crd.spec.versions[0];

/** Every schema node with its path. */
function nodes(schema: JSONSchemaProps, path = ''): [string, JSONSchemaProps][] {
  const children = Object.entries(schema.properties ?? {}).flatMap(([k, v]) => nodes(v, path ? `${path}.${k}` : k));
  return [[path || '(root)', schema], ...children, ...(schema.items ? nodes(schema.items, `${path}[*]`) : [])];
}

describe('crds/upstreams.pier.dev.yaml', () => {
  it('declares pier.dev/v1alpha1 Upstream, namespaced, short name ups, with a status subresource', () => {
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.metadata.name).toBe('upstreams.pier.dev');
    expect(crd.spec).toMatchObject({ group: 'pier.dev', scope: 'Namespaced', names: { kind: 'Upstream', plural: 'upstreams', shortNames: ['ups'] } });
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
  });

  it('prints Accepted, Reason, Algorithm, Ready, Total and Age columns', () => {
    expect(version.additionalPrinterColumns.map((c: { name: string; jsonPath: string }) => [c.name, c.jsonPath])).toEqual([
      ['Accepted', '.status.conditions[?(@.type=="Accepted")].status'],
      ['Reason', '.status.conditions[?(@.type=="Accepted")].reason'],
      ['Algorithm', '.spec.loadBalancing.algorithm'],
      ['Ready', '.status.readyEndpoints'],
      ['Total', '.status.totalEndpoints'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
  });

  it('describes every field (kubectl explain upstream.spec... answers for each)', () => {
    for (const [path, node] of nodes(version.schema.openAPIV3Schema)) {
      if (!path.endsWith('[*]')) expect(node.description, `${path} has a description`).toBeTruthy();
    }
  });

  it('is structural: every node has a type, required fields exist, arrays are bounded', () => {
    for (const [path, node] of nodes(version.schema.openAPIV3Schema)) {
      expect(node.type, `${path} has a type`).toBeDefined();
      for (const name of node.required ?? []) expect(node.properties, `${path}.${name} is declared`).toHaveProperty(name);
      if (node.type === 'array') expect(node.maxItems, `${path} has maxItems (CEL cost)`).toBeGreaterThan(0);
      if (node.type === 'object' && path !== 'metadata') expect(node.properties, `${path} lists its properties`).toBeDefined();
    }
  });

  it('has defaults that pass their own schema and patterns that compile', () => {
    for (const [path, node] of nodes(version.schema.openAPIV3Schema)) {
      if (node.pattern) expect(() => new RegExp(node.pattern!, 'u'), path).not.toThrow();
      if (node.default !== undefined) expect(validateAgainstSchema(node.default, node, path), path).toEqual([]);
    }
  });

  it('documents nginx defaults in descriptions (maxFails 1, failTimeout 10s, weight 1)', () => {
    const server = version.schema.openAPIV3Schema.properties.spec.properties.servers.items.properties;
    expect([server.maxFails.default, server.failTimeout.default, server.weight.default]).toEqual([1, '10s', 1]);
    expect(server.maxFails.description).toMatch(/max_fails.*default 1/);
    expect(server.failTimeout.description).toMatch(/fail_timeout.*default 10s/);
  });

  it('bounds retries.attempts by the limit proxy-next-upstream-tries is held to', () => {
    // An annotation can never ask for more retries than an Upstream may.
    const retries = version.schema.openAPIV3Schema.properties.spec.properties.retries.properties;
    expect(retries.attempts.maximum).toBe(MAX_RETRIES);
  });
});

describe('CEL rules and their TypeScript twins', () => {
  const fromCrd = celRulesIn(UPSTREAM_SCHEMA);
  const fromTs = UPSTREAM_CEL_RULES.map((r) => ({ at: r.at, rule: r.rule, message: r.message, ...(r.fieldPath ? { fieldPath: r.fieldPath } : {}), ...(r.reason ? { reason: r.reason } : {}) }));

  it('are the same rules with the same messages, field paths and reasons', () => {
    const key = (r: { at: string; rule: string }) => `${r.at} ${r.rule}`;
    expect([...fromTs].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...fromCrd].sort((a, b) => key(a).localeCompare(key(b))));
  });

  it.each(fromCrd)('$at: "$message" appears in the TS rule set', (rule) => {
    expect(UPSTREAM_CEL_RULES.map((r) => r.message)).toContain(rule.message);
  });

  it.each(fromCrd)('$at: "$message" is exercised by a fixture', (rule) => {
    const dir = new URL('../fixtures/upstream/', import.meta.url);
    const text = readdirSync(dir).filter((f) => f.startsWith('invalid-')).map((f) => readFileSync(new URL(f, dir), 'utf8')).join('\n');
    expect(text).toContain(rule.message);
  });

  it('name fields that exist where they are declared', () => {
    const at = (path: string) => path.split('.').reduce<JSONSchemaProps>((node, k) => node.properties![k]!, UPSTREAM_SCHEMA);
    for (const r of fromCrd) if (r.fieldPath) expect(at(r.at).properties, `${r.at}${r.fieldPath}`).toHaveProperty(r.fieldPath.slice(1));
  });
});
