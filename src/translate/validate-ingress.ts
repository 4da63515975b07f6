import type { HTTPIngressPath, Ingress, IngressBackend, IngressRule } from '../source/objects.ts';
import { ingressHostError, isDns1035Label, isIanaSvcName } from './k8s-names.ts';

/*
 * The checks the API server applies to networking.k8s.io/v1 Ingress (ValidateIngressSpec), minus
 * TLS (a later issue). An Ingress failing any of them would never reach a cluster, so Pier skips
 * it whole rather than guess what was meant. Host case is the exception: hosts are lower-cased
 * before the check, because host matching is case-insensitive anyway and a manifest written
 * `Foo.com` has one obvious meaning.
 */

/** The path types the API accepts. */
export const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'] as const;

const FORBIDDEN_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const FORBIDDEN_SUFFIXES = ['/..', '/.'];

/** Returns what the API server would reject in `ingress`, as `field: error` texts (empty = valid). */
export function validateIngress(ingress: Ingress): string[] {
  const errors: string[] = [];
  const spec = ingress.spec;
  const rules = spec?.rules ?? [];
  if (!spec?.defaultBackend && rules.length === 0) {
    errors.push('spec: either `defaultBackend` or `rules` must be specified');
  }
  if (spec?.defaultBackend) errors.push(...backendErrors('spec.defaultBackend', spec.defaultBackend));
  rules.forEach((rule, i) => errors.push(...ruleErrors(`spec.rules[${i}]`, rule)));
  return errors;
}

function ruleErrors(field: string, rule: IngressRule): string[] {
  const errors: string[] = [];
  if (rule.host !== undefined && rule.host !== '') {
    const error = ingressHostError(rule.host.toLowerCase());
    if (error) errors.push(`${field}.host: "${rule.host}" ${error}`);
  }
  if (rule.http) {
    const paths = rule.http.paths ?? [];
    if (paths.length === 0) errors.push(`${field}.http.paths: required`);
    paths.forEach((p, i) => errors.push(...pathErrors(`${field}.http.paths[${i}]`, p)));
  }
  return errors;
}

function pathErrors(field: string, p: HTTPIngressPath): string[] {
  const errors: string[] = [];
  const path = p.path ?? '';
  if (p.pathType === undefined) {
    errors.push(`${field}.pathType: required`);
  } else if (!(PATH_TYPES as readonly string[]).includes(p.pathType)) {
    errors.push(`${field}.pathType: "${p.pathType}" is not one of ${PATH_TYPES.join(', ')}`);
  } else if (p.pathType === 'ImplementationSpecific') {
    if (path !== '' && !path.startsWith('/')) errors.push(`${field}.path: "${path}" must be an absolute path`);
  } else {
    errors.push(...strictPathErrors(`${field}.path`, path));
  }
  if (!p.backend) errors.push(`${field}.backend: required`);
  else errors.push(...backendErrors(`${field}.backend`, p.backend));
  return errors;
}

/** Exact and Prefix paths: absolute, and free of sequences that would make matching ambiguous. */
function strictPathErrors(field: string, path: string): string[] {
  if (!path.startsWith('/')) return [`${field}: "${path}" must be an absolute path`];
  const bad = FORBIDDEN_SEQUENCES.find((s) => path.includes(s)) ?? FORBIDDEN_SUFFIXES.find((s) => path.endsWith(s));
  return bad ? [`${field}: "${path}" must not contain "${bad}"`] : [];
}

function backendErrors(field: string, backend: IngressBackend): string[] {
  if (backend.service && backend.resource) return [`${field}: cannot set both service and resource`];
  if (backend.resource) {
    const { kind, name } = backend.resource;
    const errors: string[] = [];
    if (!kind) errors.push(`${field}.resource.kind: required`);
    if (!name) errors.push(`${field}.resource.name: required`);
    return errors;
  }
  if (!backend.service) return [`${field}: one of service or resource is required`];
  const { name, port } = backend.service;
  const errors: string[] = [];
  if (!name) errors.push(`${field}.service.name: required`);
  else if (!isDns1035Label(name)) errors.push(`${field}.service.name: "${name}" must be a DNS-1035 label`);
  errors.push(...portErrors(`${field}.service.port`, port));
  return errors;
}

function portErrors(field: string, port: { name?: string; number?: number } | undefined): string[] {
  const name = port?.name === '' ? undefined : port?.name;
  const number = port?.number;
  if ((name === undefined) === (number === undefined)) return [`${field}: exactly one of name or number is required`];
  if (name !== undefined) return isIanaSvcName(name) ? [] : [`${field}.name: "${name}" must be an IANA service name`];
  if (Number.isInteger(number) && number! >= 1 && number! <= 65535) return [];
  return [`${field}.number: ${String(number)} must be an integer between 1 and 65535`];
}
