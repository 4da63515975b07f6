import type { Ingress } from '../source/objects.ts';
import { ingressHostError, isDns1035Label, isIanaSvcName } from './k8s-names.ts';

/*
 * The checks the API server applies to networking.k8s.io/v1 Ingress (ValidateIngressSpec), minus
 * TLS (a later issue). An Ingress failing any of them would never reach a cluster, so Pier skips
 * it whole rather than guess what was meant. Host case is the exception: hosts are lower-cased
 * before the check, because host matching is case-insensitive anyway and a manifest written
 * `Foo.com` has one obvious meaning.
 *
 * A manifest directory is not schema-checked the way the API server checks objects, so every
 * field's JSON type is checked here too: after validateIngress passes, the rest of translate/
 * can trust the shapes in objects.ts.
 */

/** The path types the API accepts. */
export const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'] as const;

const FORBIDDEN_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const FORBIDDEN_SUFFIXES = ['/..', '/.'];

type Fields = Record<string, unknown>;

/** An object's fields with `null` ones dropped (YAML `key:` with no value means absent), or
 * undefined when `value` is not an object. */
function fieldsOf(value: unknown): Fields | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = value as Fields;
  for (const key in fields) {
    // Copy only in the rare case there is a null to drop: this runs for every path of every Ingress.
    if (fields[key] === null) return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
  }
  return fields;
}

/** Returns what the API server would reject in `ingress`, as `field: error` texts (empty = valid). */
export function validateIngress(ingress: Ingress): string[] {
  const spec = fieldsOf(ingress.spec ?? {});
  if (!spec) return ['spec: must be an object'];
  const errors: string[] = [];
  const { rules = [], defaultBackend } = spec;
  if (!Array.isArray(rules)) return ['spec.rules: must be a list'];
  if (defaultBackend === undefined && rules.length === 0) {
    errors.push('spec: either `defaultBackend` or `rules` must be specified');
  }
  if (defaultBackend !== undefined) errors.push(...backendErrors('spec.defaultBackend', defaultBackend));
  rules.forEach((rule: unknown, i) => errors.push(...ruleErrors(`spec.rules[${i}]`, rule)));
  return errors;
}

function ruleErrors(field: string, value: unknown): string[] {
  const rule = fieldsOf(value);
  if (!rule) return [`${field}: must be an object`];
  const errors: string[] = [];
  const { host, http } = rule;
  if (host !== undefined && typeof host !== 'string') {
    errors.push(`${field}.host: must be a string`);
  } else if (host) {
    const error = ingressHostError(host.toLowerCase());
    if (error) errors.push(`${field}.host: "${host}" ${error}`);
  }
  if (http === undefined) return errors;
  const httpFields = fieldsOf(http);
  if (!httpFields) return [...errors, `${field}.http: must be an object`];
  const paths = httpFields.paths ?? [];
  if (!Array.isArray(paths)) return [...errors, `${field}.http.paths: must be a list`];
  if (paths.length === 0) errors.push(`${field}.http.paths: required`);
  paths.forEach((p: unknown, i) => errors.push(...pathErrors(`${field}.http.paths[${i}]`, p)));
  return errors;
}

function pathErrors(field: string, value: unknown): string[] {
  const p = fieldsOf(value);
  if (!p) return [`${field}: must be an object`];
  const errors: string[] = [];
  const { path = '', pathType, backend } = p;
  if (typeof path !== 'string') {
    errors.push(`${field}.path: must be a string`);
  } else if (pathType === undefined) {
    errors.push(`${field}.pathType: required`);
  } else if (!(PATH_TYPES as readonly unknown[]).includes(pathType)) {
    errors.push(`${field}.pathType: "${String(pathType)}" is not one of ${PATH_TYPES.join(', ')}`);
  } else if (pathType === 'ImplementationSpecific') {
    if (path !== '' && !path.startsWith('/')) errors.push(`${field}.path: "${path}" must be an absolute path`);
  } else {
    errors.push(...strictPathErrors(`${field}.path`, path));
  }
  if (backend === undefined) errors.push(`${field}.backend: required`);
  else errors.push(...backendErrors(`${field}.backend`, backend));
  return errors;
}

/** Exact and Prefix paths: absolute, and free of sequences that would make matching ambiguous. */
function strictPathErrors(field: string, path: string): string[] {
  if (!path.startsWith('/')) return [`${field}: "${path}" must be an absolute path`];
  const bad = FORBIDDEN_SEQUENCES.find((s) => path.includes(s)) ?? FORBIDDEN_SUFFIXES.find((s) => path.endsWith(s));
  return bad ? [`${field}: "${path}" must not contain "${bad}"`] : [];
}

function backendErrors(field: string, value: unknown): string[] {
  const backend = fieldsOf(value);
  if (!backend) return [`${field}: must be an object`];
  const { service, resource } = backend;
  if (service !== undefined && resource !== undefined) return [`${field}: cannot set both service and resource`];
  if (resource !== undefined) return resourceErrors(`${field}.resource`, resource);
  if (service === undefined) return [`${field}: one of service or resource is required`];
  const fields = fieldsOf(service);
  if (!fields) return [`${field}.service: must be an object`];
  const errors: string[] = [];
  const { name, port } = fields;
  if (name === undefined || name === '') errors.push(`${field}.service.name: required`);
  else if (typeof name !== 'string' || !isDns1035Label(name)) errors.push(`${field}.service.name: "${String(name)}" must be a DNS-1035 label`);
  errors.push(...portErrors(`${field}.service.port`, port));
  return errors;
}

function resourceErrors(field: string, value: unknown): string[] {
  const resource = fieldsOf(value);
  if (!resource) return [`${field}: must be an object`];
  const errors: string[] = [];
  for (const key of ['kind', 'name'] as const) {
    const value = resource[key];
    if (value === undefined || value === '') errors.push(`${field}.${key}: required`);
    else if (typeof value !== 'string') errors.push(`${field}.${key}: must be a string`);
  }
  if (resource.apiGroup !== undefined && typeof resource.apiGroup !== 'string') errors.push(`${field}.apiGroup: must be a string`);
  return errors;
}

function portErrors(field: string, value: unknown): string[] {
  const port = value === undefined ? undefined : fieldsOf(value);
  if (value !== undefined && !port) return [`${field}: must be an object`];
  const name = port?.name === '' ? undefined : port?.name;
  const number = port?.number;
  if ((name === undefined) === (number === undefined)) return [`${field}: exactly one of name or number is required`];
  if (name !== undefined) {
    return typeof name === 'string' && isIanaSvcName(name) ? [] : [`${field}.name: "${String(name)}" must be an IANA service name`];
  }
  if (typeof number === 'number' && Number.isInteger(number) && number >= 1 && number <= 65535) return [];
  return [`${field}.number: ${JSON.stringify(number)} must be an integer between 1 and 65535`];
}
