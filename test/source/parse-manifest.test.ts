import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/source/manifests/parse-manifest.ts';

const svc = (name: string, ns?: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
${ns ? `  namespace: ${ns}\n` : ''}spec:
  ports: [{ port: 80 }]
`;

/** `kind namespace/name` of each parsed object, the shape most cases assert. */
function names(text: string, watchNamespace?: string): string[] {
  return (parseManifest(text, 'a.yaml', { watchNamespace }).objects ?? []).map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`);
}

function reasons(text: string): string[] {
  return parseManifest(text, 'a.yaml').problems.map((p) => p.reason);
}

describe('parseManifest: documents → objects', () => {
  const cases: { name: string; text: string; want: string[]; problems?: string[]; watchNamespace?: string }[] = [
    { name: 'empty file', text: '', want: [] },
    { name: 'only comments and separators', text: '# nothing\n---\n---\n', want: [] },
    { name: 'multi-document', text: `${svc('a', 'x')}---\n${svc('b', 'y')}`, want: ['Service x/a', 'Service y/b'] },
    { name: 'namespace defaults to default', text: svc('a'), want: ['Service default/a'] },
    {
      name: 'IngressClass is cluster-scoped (namespace dropped)',
      text: 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: { name: pier, namespace: x }\nspec: { controller: pier.dev/ingress-controller }\n',
      want: ['IngressClass /pier'],
    },
    {
      name: 'List expanded',
      text: `apiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: Service, metadata: { name: a } }\n  - { apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, metadata: { name: a-1, namespace: x } }\n`,
      want: ['Service default/a', 'EndpointSlice x/a-1'],
    },
    {
      name: 'Namespace (v1) is read, cluster-scoped, for --watch-namespace-selector',
      text: 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop, namespace: x, labels: { team: a } }\n',
      want: ['Namespace /shop'],
    },
    { name: 'empty List', text: 'apiVersion: v1\nkind: List\nitems: []\n', want: [] },
    {
      name: 'JSON file',
      text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'pier.dev/v1alpha1', kind: 'Upstream', metadata: { name: 'u', namespace: 'x' }, spec: {} }] }),
      want: ['Upstream x/u'],
    },
    { name: 'unknown kind skipped, others kept', text: `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\n---\n${svc('a')}`, want: ['Service default/a'], problems: ['UnknownKind'] },
    { name: 'wrong apiVersion', text: 'apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: { name: i }\n', want: [], problems: ['UnknownKind'] },
    { name: 'missing apiVersion', text: 'kind: Service\nmetadata: { name: s }\n', want: [], problems: ['UnknownKind'] },
    { name: 'missing kind', text: 'apiVersion: v1\nmetadata: { name: s }\n', want: [], problems: ['InvalidObject'] },
    { name: 'missing metadata.name', text: 'apiVersion: v1\nkind: Service\nmetadata: { namespace: x }\n', want: [], problems: ['InvalidObject'] },
    { name: 'missing metadata', text: 'apiVersion: v1\nkind: Service\n', want: [], problems: ['InvalidObject'] },
    { name: 'numeric namespace', text: 'apiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: 5 }\n', want: [], problems: ['InvalidObject'] },
    { name: 'document is a scalar', text: `just text\n---\n${svc('a')}`, want: ['Service default/a'], problems: ['InvalidObject'] },
    { name: 'document is a sequence', text: '- a\n- b\n', want: [], problems: ['InvalidObject'] },
    { name: 'nested List', text: 'apiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: List, items: [] }\n', want: [], problems: ['InvalidObject'] },
    { name: 'List items not a sequence', text: 'apiVersion: v1\nkind: List\nitems: { a: 1 }\n', want: [], problems: ['InvalidObject'] },
    {
      name: 'watchNamespace drops other namespaces, keeps cluster-scoped',
      text: `${svc('a', 'x')}---\n${svc('b', 'y')}---\n${svc('c')}---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: { name: pier }\n`,
      watchNamespace: 'x',
      want: ['Service x/a', 'IngressClass /pier'],
    },
    {
      name: 'watchNamespace default keeps defaulted objects',
      text: `${svc('a')}---\n${svc('b', 'y')}`,
      watchNamespace: 'default',
      want: ['Service default/a'],
    },
  ];
  it.each(cases)('$name', ({ text, want, problems = [], watchNamespace }) => {
    expect(names(text, watchNamespace)).toEqual(want);
    expect(reasons(text)).toEqual(problems);
  });

  it('keeps every field of the object (contents are validated by translate)', () => {
    const { objects } = parseManifest('apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: { name: s, labels: { a: b } }\ndata: { tls.crt: eA== }\n', 'a.yaml');
    expect(objects).toEqual([{ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 's', namespace: 'default', labels: { a: 'b' } }, data: { 'tls.crt': 'eA==' } }]);
  });

  it('names the file and document in problems', () => {
    const [problem] = parseManifest(`${svc('a')}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d, namespace: x }\n`, 'apps.yaml').problems;
    expect(problem).toMatchObject({ kind: 'Deployment', namespace: 'x', name: 'd', reason: 'UnknownKind', severity: 'Warning' });
    expect(problem?.message).toContain('apps.yaml document 2');
  });
});

describe('parseManifest: syntax errors', () => {
  it('reports the file and line, and returns no objects (the caller keeps the last good ones)', () => {
    const parsed = parseManifest(`${svc('a')}---\napiVersion: v1\nkind: Service\nmetadata: { name: [b\n`, 'broken.yaml');
    expect(parsed.objects).toBeUndefined();
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]).toMatchObject({ kind: 'ManifestFile', name: 'broken.yaml', reason: 'ManifestParseError' });
    expect(parsed.problems[0]?.message).toMatch(/^broken\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('reports a line inside a later document', () => {
    const text = `${svc('a')}---\nkey: "unterminated\n`;
    const message = parseManifest(text, 'b.yaml').problems[0]?.message ?? '';
    const line = Number(/^b\.yaml:(\d+):/.exec(message)?.[1]);
    expect(line).toBeGreaterThan(6);
  });

  it('rejects broken JSON', () => {
    expect(reasons('{"apiVersion": "v1", "kind": ')).toEqual(['ManifestParseError']);
  });

  it('rejects alias bombs instead of expanding them', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`);
    expect(reasons(bomb.join('\n'))).toEqual(['ManifestParseError']);
  });
});

describe('parseManifest: JSON documents', () => {
  const docs = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'pier', namespace: 'x' }, spec: { controller: 'pier.dev/ingress-controller' } },
    { apiVersion: 'v1', kind: 'Bogus', metadata: { name: 'b' } },
    { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data: { k: 'v "quoted" \u00e9' } }] },
  ];
  const json = docs.map((d) => JSON.stringify(d, null, 2)).join('\n---\n') + '\n---\n';

  it('read as JSON give exactly what the YAML parser gives (a comment line sends the same text to it)', () => {
    const fast = parseManifest(json, 'f.json');
    const yaml = parseManifest(`# generated\n${json}`, 'f.json');
    expect(fast.objects).toHaveLength(3);
    expect(fast.problems).toHaveLength(1);
    expect(fast).toStrictEqual(yaml);
  });

  it('a file mixing JSON and YAML documents, or with broken JSON, is read by the YAML parser', () => {
    const mixed = `${JSON.stringify(docs[0])}\n---\napiVersion: v1\nkind: Service\nmetadata: { name: z }\n`;
    expect(parseManifest(mixed, 'm.yaml').objects?.map((o) => o.metadata.name)).toEqual(['a', 'z']);
    const broken = `${JSON.stringify(docs[0])}\n---\n{"apiVersion": "v1", "kind": "Service", "metadata": {"name": ["z"}}\n`;
    const parsed = parseManifest(broken, 'b.json');
    expect(parsed.objects).toBeUndefined();
    expect(parsed.problems[0]?.reason).toBe('ManifestParseError');
  });
});
