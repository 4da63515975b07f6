import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../objects.ts';
import type { Problem } from '../../translate/problem.ts';

/** The apiVersion Pier reads for each kind; a kind is identified by kind AND apiVersion. */
export const MANIFEST_KINDS: Readonly<Record<string, string>> = {
  Ingress: 'networking.k8s.io/v1',
  IngressClass: 'networking.k8s.io/v1',
  Service: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  Secret: 'v1',
  ConfigMap: 'v1',
  Upstream: 'pier.dev/v1alpha1',
  // Read for its labels only, by --watch-namespace-selector (namespace-gate.ts).
  Namespace: 'v1',
};

const CLUSTER_SCOPED = new Set(['IngressClass', 'Namespace']);

export interface ParseOptions {
  /** Namespaced objects outside it are dropped silently; cluster-scoped ones are kept. */
  readonly watchNamespace?: string;
}

/**
 * A file's content turned into objects. `objects` is undefined when the file as a whole could
 * not be parsed (a YAML syntax error): the caller keeps the file's last good objects then.
 * Otherwise bad documents are left out and reported in `problems`, good ones are kept.
 */
export interface ParsedManifest {
  readonly objects?: readonly KubeObject[];
  readonly problems: readonly Problem[];
}

type Raw = Record<string, unknown>;

/**
 * Parses one manifest file (YAML, multi-document; JSON is read as the YAML subset it is).
 * Checks document structure only — kind, apiVersion, metadata.name — never an object's spec:
 * that is translate/'s job. `kind: List` is expanded, empty documents are skipped, namespaced
 * kinds without a namespace get `default` as `kubectl apply` does, a cluster-scoped kind loses
 * any namespace it was given (the API server ignores it too).
 */
export function parseManifest(text: string, file: string, options: ParseOptions = {}): ParsedManifest {
  const json = jsonDocuments(text);
  if (json !== undefined) return collectAll(json, file, options);
  // An empty file yields an EmptyStream, which is an empty array as well.
  const list = parseAllDocuments(text, { prettyErrors: true });
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) return { problems: [fileProblem(file, 'ManifestParseError', syntaxMessage(file, error))] };
  }
  const values: unknown[] = [];
  try {
    for (const doc of list) values.push(doc.toJS({ maxAliasCount: 100 }));
  } catch (err) {
    // Excessive aliases (a "billion laughs" file) and similar: the whole file is unusable.
    return { problems: [fileProblem(file, 'ManifestParseError', `${file}: ${(err as Error).message}; its last good objects are kept.`)] };
  }
  return collectAll(values, file, options);
}

function collectAll(values: readonly unknown[], file: string, options: ParseOptions): ParsedManifest {
  const objects: KubeObject[] = [];
  const problems: Problem[] = [];
  values.forEach((value, i) => collect(value, `${file} document ${i + 1}`, options, objects, problems, true));
  return { objects, problems };
}

/** A `---` line that separates documents and carries nothing else. */
const SEPARATOR = /^---[ \t]*\r?$/m;

/**
 * The documents of a file that is JSON objects separated by bare `---` lines (`kubectl get -o
 * json`, generated manifests), read with JSON.parse — tens of times faster than the YAML
 * parser, which matters for files of thousands of objects. Undefined when any document is not
 * plain JSON: the YAML parser then reads the whole file. (JSON is the YAML subset it is read
 * as, except that YAML refuses a repeated key in one mapping where JSON.parse keeps the last.)
 */
function jsonDocuments(text: string): unknown[] | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  const values: unknown[] = [];
  for (const chunk of text.split(SEPARATOR)) {
    const doc = chunk.trim();
    if (doc === '') {
      values.push(null);
      continue;
    }
    if (!doc.startsWith('{') || !doc.endsWith('}')) return undefined;
    try {
      values.push(JSON.parse(doc));
    } catch {
      return undefined;
    }
  }
  return values;
}

/** A problem about a file rather than an object: kind `ManifestFile`, name = file name. */
export function fileProblem(file: string, reason: string, message: string): Problem {
  return { kind: 'ManifestFile', namespace: '', name: file, reason, message, severity: 'Warning' };
}

function syntaxMessage(file: string, error: { message: string; linePos?: readonly { line: number; col: number }[] }): string {
  const pos = error.linePos?.[0];
  const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
  // yaml's pretty message appends a source excerpt on following lines; the first line suffices.
  const first = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  return `${where}: YAML syntax error: ${first}; the file's last good objects are kept.`;
}

function collect(value: unknown, where: string, options: ParseOptions, out: KubeObject[], problems: Problem[], allowList: boolean): void {
  if (value === null || value === undefined) return; // empty document, or only comments
  if (!isRecord(value)) {
    problems.push(invalid(where, '', '', '', 'is not a mapping (object)'));
    return;
  }
  const kind = typeof value.kind === 'string' ? value.kind : '';
  const meta = isRecord(value.metadata) ? value.metadata : undefined;
  const name = typeof meta?.name === 'string' ? meta.name : '';
  const namespace = typeof meta?.namespace === 'string' ? meta.namespace : '';
  if (!kind) {
    problems.push(invalid(where, '', namespace, name, 'has no kind'));
    return;
  }
  if (kind === 'List' && value.apiVersion === 'v1') {
    collectList(value, where, options, out, problems, allowList);
    return;
  }
  const apiVersion = MANIFEST_KINDS[kind];
  if (apiVersion === undefined || value.apiVersion !== apiVersion) {
    problems.push(unknownKind(where, kind, String(value.apiVersion ?? ''), apiVersion, namespace, name));
    return;
  }
  if (!meta || !name) {
    problems.push(invalid(where, kind, namespace, name, 'has no metadata.name'));
    return;
  }
  if (meta.namespace !== undefined && typeof meta.namespace !== 'string') {
    problems.push(invalid(where, kind, '', name, 'has a metadata.namespace that is not a string'));
    return;
  }
  const obj = withNamespace(value, meta, kind);
  const ns = obj.metadata.namespace;
  if (ns !== undefined && options.watchNamespace && ns !== options.watchNamespace) return;
  out.push(obj);
}

function collectList(value: Raw, where: string, options: ParseOptions, out: KubeObject[], problems: Problem[], allowList: boolean): void {
  if (!allowList) {
    problems.push(invalid(where, 'List', '', '', 'is a List nested in a List'));
    return;
  }
  if (value.items !== undefined && value.items !== null && !Array.isArray(value.items)) {
    problems.push(invalid(where, 'List', '', '', 'has items that are not a sequence'));
    return;
  }
  const items = (value.items ?? []) as unknown[];
  items.forEach((item, i) => collect(item, `${where} item ${i + 1}`, options, out, problems, false));
}

function withNamespace(value: Raw, meta: Raw, kind: string): KubeObject {
  if (CLUSTER_SCOPED.has(kind)) {
    const { namespace: _ignored, ...rest } = meta;
    return { ...value, metadata: rest } as unknown as KubeObject;
  }
  const namespace = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default';
  return { ...value, metadata: { ...meta, namespace } } as unknown as KubeObject;
}

function unknownKind(where: string, kind: string, got: string, want: string | undefined, namespace: string, name: string): Problem {
  const expected = want === undefined ? `Pier reads ${Object.keys(MANIFEST_KINDS).join(', ')}` : `Pier reads ${kind} ${want}`;
  const message = `${where}: ${kind} ${got || '(no apiVersion)'} is not a kind Pier reads (${expected}); skipped.`;
  return { kind, namespace, name, reason: 'UnknownKind', message, severity: 'Warning' };
}

function invalid(where: string, kind: string, namespace: string, name: string, what: string): Problem {
  return { kind: kind || 'Unknown', namespace, name, reason: 'InvalidObject', message: `${where} ${what}; skipped.`, severity: 'Warning' };
}

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
