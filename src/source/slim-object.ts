import { NGINX_PREFIX, PIER_PREFIX } from '../translate/annotations/annotation-reader.ts';
import { DEFAULT_CLASS_ANNOTATION, LEGACY_CLASS_ANNOTATION } from '../translate/ingress-class.ts';
import { isKeptSecretType } from './kube/watched-resources.ts';
import type { KubeObject, ObjectMeta } from './objects.ts';

/** Annotation prefixes Pier reads: every annotation family (translate/annotations/). */
export const KEPT_ANNOTATION_PREFIXES: readonly string[] = [NGINX_PREFIX, PIER_PREFIX];
/** Other annotations Pier reads: the class rules (translate/ingress-class.ts). */
export const KEPT_ANNOTATIONS: ReadonlySet<string> = new Set([LEGACY_CLASS_ANNOTATION, DEFAULT_CLASS_ANNOTATION]);
/** Labels Pier reads: which Service an EndpointSlice belongs to (translate/snapshot.ts). */
export const KEPT_LABELS: ReadonlySet<string> = new Set(['kubernetes.io/service-name']);

const METADATA_FIELDS = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp'] as const;
const SERVICE_SPEC_FIELDS = ['type', 'ports', 'externalName', 'clusterIP'] as const;
const SERVICE_PORT_FIELDS = ['name', 'port', 'targetPort', 'protocol', 'appProtocol'] as const;
const ENDPOINT_FIELDS = ['addresses', 'conditions', 'nodeName'] as const;
const ENDPOINT_PORT_FIELDS = ['name', 'port', 'protocol', 'appProtocol'] as const;

type Json = Record<string, unknown>;

/**
 * The object as the store keeps it: only the fields typed in objects.ts, which are the fields
 * some code of Pier reads. Both sources apply it before anything holds the object, so the store
 * (and the client library's list/watch bookkeeping, which shares the same object) never keeps
 * what Pier ignores. What goes, with the reason it is safe:
 *
 * - `metadata.managedFields`, `ownerReferences`, `finalizers`: server-side bookkeeping; often
 *   larger than the spec.
 * - Annotations other than `nginx.ingress.kubernetes.io/*`, `pier.dev/*` and the two class
 *   annotations, e.g. `kubectl.kubernetes.io/last-applied-configuration` (a second copy of the
 *   whole object) and those of Helm, Argo CD and cloud controllers. Labels other than
 *   `kubernetes.io/service-name`. An annotation or label map left empty is dropped.
 * - Service: everything but `spec.type`, `spec.ports` (without `nodePort`), `spec.externalName`
 *   and `spec.clusterIP`; its status (the published Service is read from the API, not here).
 * - EndpointSlice endpoints: `targetRef`, `zone`, `hints`, `hostname`.
 * - Secret: `data` of a type Pier does not keep (isKeptSecretType), and `immutable`.
 * - ConfigMap: `binaryData`.
 * - Namespace (read for --watch-namespace-selector): everything but its name and all its labels.
 *
 * Ingress, IngressClass and Upstream keep their whole `spec` and `status`. Never mutates its
 * input. A field of an unexpected JSON type (a manifest is not schema-checked) is passed through
 * unchanged, so translate/ reports it exactly as it would have.
 */
export function slimObject<T extends KubeObject>(obj: T): T {
  const raw = obj as unknown as Json;
  const out: Json = { apiVersion: raw.apiVersion, kind: raw.kind, metadata: slimMetadata(obj.metadata) };
  switch (obj.kind) {
    case 'Ingress':
    case 'Upstream':
      copy(raw, out, ['spec', 'status']);
      break;
    case 'IngressClass':
      copy(raw, out, ['spec']);
      break;
    case 'Service':
      if (raw.spec !== undefined) out.spec = pickFrom(raw.spec, SERVICE_SPEC_FIELDS, { ports: (ports) => mapObjects(ports, SERVICE_PORT_FIELDS) });
      break;
    case 'EndpointSlice':
      copy(raw, out, ['addressType']);
      if (raw.endpoints !== undefined) out.endpoints = mapObjects(raw.endpoints, ENDPOINT_FIELDS);
      if (raw.ports !== undefined) out.ports = mapObjects(raw.ports, ENDPOINT_PORT_FIELDS);
      break;
    case 'Secret':
      copy(raw, out, isKeptSecretType(raw.type as string | undefined) ? ['type', 'data'] : ['type']);
      break;
    case 'ConfigMap':
      copy(raw, out, ['data']);
      break;
    case 'Namespace':
      // --watch-namespace-selector matches every label of a Namespace; nothing else is read.
      if (isRecord(obj.metadata) && obj.metadata.labels !== undefined) out.metadata = { ...(out.metadata as Json), labels: obj.metadata.labels };
      break;
    default:
      // Not a kind Pier watches: nothing is known to be unread, so only metadata is slimmed.
      for (const key of Object.keys(raw)) if (!(key in out)) out[key] = raw[key];
  }
  if (out.apiVersion === undefined) delete out.apiVersion;
  return out as unknown as T;
}

function slimMetadata(metadata: ObjectMeta): ObjectMeta {
  if (!isRecord(metadata)) return metadata;
  const out = pickFrom(metadata, METADATA_FIELDS) as Json;
  const annotations = filterKeys(metadata.annotations, (k) => KEPT_ANNOTATIONS.has(k) || KEPT_ANNOTATION_PREFIXES.some((p) => k.startsWith(p)));
  if (annotations !== undefined) out.annotations = annotations;
  const labels = filterKeys(metadata.labels, (k) => KEPT_LABELS.has(k));
  if (labels !== undefined) out.labels = labels;
  return out as unknown as ObjectMeta;
}

/** The entries of a map whose key passes; undefined when none does. A non-map is kept as is. */
function filterKeys(map: unknown, keep: (key: string) => boolean): unknown {
  if (map === undefined || map === null) return undefined;
  if (!isRecord(map)) return map;
  let out: Json | undefined;
  for (const key of Object.keys(map)) {
    if (keep(key)) (out ??= {})[key] = map[key];
  }
  return out;
}

/** `fields` of `value` (those that are set), each through `nested` when given; a non-object as is. */
function pickFrom(value: unknown, fields: readonly string[], nested: Readonly<Record<string, (v: unknown) => unknown>> = {}): unknown {
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const field of fields) {
    const v = value[field];
    if (v !== undefined) out[field] = nested[field] ? nested[field](v) : v;
  }
  return out;
}

/** Each object of a list picked down to `fields`; other entries, and a non-list, as they are. */
function mapObjects(list: unknown, fields: readonly string[]): unknown {
  return Array.isArray(list) ? list.map((item: unknown) => pickFrom(item, fields)) : list;
}

function copy(from: Json, to: Json, fields: readonly string[]): void {
  for (const field of fields) if (from[field] !== undefined) to[field] = from[field];
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
