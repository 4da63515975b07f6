import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The subset of an OpenAPI v3 structural schema (apiextensions.k8s.io/v1) Pier interprets. */
export interface JSONSchemaProps {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JSONSchemaProps>>;
  readonly required?: readonly string[];
  readonly items?: JSONSchemaProps;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly format?: string;
  readonly 'x-kubernetes-validations'?: readonly CelRuleSpec[];
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** One `x-kubernetes-validations` entry, as written in the CRD. */
export interface CelRuleSpec {
  readonly rule: string;
  readonly message?: string;
  readonly fieldPath?: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden' | 'FieldValueDuplicate';
}

/** A CEL rule and where it sits: `at` is a schema path such as `spec.loadBalancing` (`[*]` for array items). */
export interface LocatedCelRule extends CelRuleSpec {
  readonly at: string;
}

/** Where the CRD lives: crds/ ships in the image next to src/ (see Dockerfile). */
export const UPSTREAM_CRD_URL = new URL('../../crds/upstreams.pier.dev.yaml', import.meta.url);

interface CrdDocument {
  readonly spec: { readonly versions: readonly { readonly name: string; readonly schema: { readonly openAPIV3Schema: JSONSchemaProps } }[] };
}

/**
 * The parsed CRD, read once when this module loads (not during translate(), which stays free of
 * I/O). The CRD is the single source of truth for Upstream validation in both modes.
 */
export const UPSTREAM_CRD: CrdDocument = parse(readFileSync(UPSTREAM_CRD_URL, 'utf8')) as CrdDocument;

/** The v1alpha1 openAPIV3Schema of the Upstream CRD. */
export const UPSTREAM_SCHEMA: JSONSchemaProps = versionSchema(UPSTREAM_CRD, 'v1alpha1');

function versionSchema(crd: CrdDocument, version: string): JSONSchemaProps {
  const found = crd.spec.versions.find((v) => v.name === version);
  if (!found) throw new Error(`crds/upstreams.pier.dev.yaml has no version ${version}`);
  return found.schema.openAPIV3Schema;
}

/** Every CEL rule in `schema`, with its schema path, in schema order. */
export function celRulesIn(schema: JSONSchemaProps, at = ''): LocatedCelRule[] {
  const here = (schema['x-kubernetes-validations'] ?? []).map((r) => ({ at, ...r }));
  const props = Object.entries(schema.properties ?? {}).flatMap(([name, child]) => celRulesIn(child, at ? `${at}.${name}` : name));
  const items = schema.items ? celRulesIn(schema.items, `${at}[*]`) : [];
  return [...here, ...props, ...items];
}
