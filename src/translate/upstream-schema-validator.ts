import type { JSONSchemaProps } from './upstream-crd.ts';
import type { FieldError } from './upstream-field-error.ts';

/**
 * A small structural-schema engine doing what the API server does to a custom resource before
 * storing it, in the same order: drop nulls, apply defaults (apiextensions defaulting: a
 * missing field with a `default` gets it, then its own nested defaults), then validate types,
 * enums, bounds, lengths, patterns, required fields, list sets and unknown fields. Messages
 * follow kube-openapi (pkg/validation/errors) as converted by apiextensions-apiserver.
 *
 * Not supported (the Upstream schema does not use them): allOf/anyOf/oneOf/not, formats,
 * additionalProperties, multipleOf, exclusive bounds, list-type map uniqueness.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A defaulted deep copy of `value` (nulls dropped), as the API server would store it. */
export function applyDefaults(value: unknown, schema: JSONSchemaProps): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => (schema.items ? applyDefaults(item, schema.items) : item));
  }
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === null && schema.properties?.[key]) continue;
    const childSchema = schema.properties?.[key];
    out[key] = childSchema ? applyDefaults(child, childSchema) : child;
  }
  for (const [key, childSchema] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined && childSchema.default !== undefined) {
      out[key] = applyDefaults(structuredClone(childSchema.default as Json), childSchema);
    }
  }
  return out;
}

/** Every structural error in `value` at `path` (e.g. `spec`), in schema order. */
export function validateAgainstSchema(value: unknown, schema: JSONSchemaProps, path: string): FieldError[] {
  const errors: FieldError[] = [];
  check(value, schema, path, errors);
  return errors;
}

function check(value: unknown, schema: JSONSchemaProps, path: string, errors: FieldError[]): void {
  if (value === undefined) return;
  if (schema.type && typeName(value) !== schema.type && !(schema.type === 'number' && typeName(value) === 'integer')) {
    const actual = typeName(value);
    errors.push({ field: path, type: 'Invalid value', value: actual, detail: `${path} in body must be of type ${schema.type}: "${actual}"`, typeInvalid: true });
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    errors.push({ field: path, type: 'Unsupported value', value, detail: `supported values: ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}` });
  }
  if (typeof value === 'string') checkString(value, schema, path, errors);
  else if (typeof value === 'number') checkNumber(value, schema, path, errors);
  else if (Array.isArray(value)) checkArray(value, schema, path, errors);
  else if (isObject(value)) checkObject(value, schema, path, errors);
}

function checkString(value: string, schema: JSONSchemaProps, path: string, errors: FieldError[]): void {
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    errors.push({ field: path, type: 'Too long', value, detail: `may not be longer than ${schema.maxLength}` });
  }
  if (schema.minLength !== undefined && length < schema.minLength) {
    errors.push({ field: path, type: 'Invalid value', value, detail: `${path} in body should be at least ${schema.minLength} chars long` });
  }
  if (schema.pattern !== undefined && !compiled(schema.pattern).test(value)) {
    errors.push({ field: path, type: 'Invalid value', value, detail: `${path} in body should match '${schema.pattern}'` });
  }
}

function checkNumber(value: number, schema: JSONSchemaProps, path: string, errors: FieldError[]): void {
  if (schema.maximum !== undefined && value > schema.maximum) {
    errors.push({ field: path, type: 'Invalid value', value, detail: `${path} in body should be less than or equal to ${schema.maximum}` });
  }
  if (schema.minimum !== undefined && value < schema.minimum) {
    errors.push({ field: path, type: 'Invalid value', value, detail: `${path} in body should be greater than or equal to ${schema.minimum}` });
  }
}

function checkArray(value: unknown[], schema: JSONSchemaProps, path: string, errors: FieldError[]): void {
  if (schema.items) value.forEach((item, i) => check(item, schema.items!, `${path}[${i}]`, errors));
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    errors.push({ field: path, type: 'Invalid value', value: value.length, detail: `${path} in body should have at least ${schema.minItems} items` });
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    errors.push({ field: path, type: 'Too many', value: value.length, detail: `must have at most ${schema.maxItems} items` });
  }
  if (schema['x-kubernetes-list-type'] === 'set') {
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) errors.push({ field: `${path}[${i}]`, type: 'Duplicate value', value: item });
      seen.add(key);
    });
  }
}

function checkObject(value: Record<string, unknown>, schema: JSONSchemaProps, path: string, errors: FieldError[]): void {
  for (const name of schema.required ?? []) {
    if (value[name] === undefined) errors.push({ field: `${path}.${name}`, type: 'Required value' });
  }
  const props = schema.properties;
  if (!props) return;
  for (const [name, child] of Object.entries(props)) check(value[name], child, `${path}.${name}`, errors);
  if (schema['x-kubernetes-preserve-unknown-fields']) return;
  for (const name of Object.keys(value)) {
    if (!(name in props)) errors.push({ field: `${path}.${name}`, type: 'unknown field' });
  }
}

/** JSON type name of a value, as kube-openapi reports it (`integer` for whole numbers). */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const patterns = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    patterns.set(pattern, re);
  }
  return re;
}
