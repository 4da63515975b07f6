import type { CelRuleSpec, JSONSchemaProps, LocatedCelRule } from './upstream-crd.ts';
import type { FieldError } from './upstream-field-error.ts';
import { parseDuration } from './upstream-duration.ts';

type Self = Record<string, unknown>;

/** A CRD CEL rule re-expressed in TypeScript; `rule`, `message`, `fieldPath` and `reason` are the CRD's text. */
export interface TsCelRule extends LocatedCelRule {
  readonly check: (self: Self) => boolean;
}

const has = (self: Self, field: string): boolean => self[field] !== undefined;
const list = (value: unknown): Self[] => (Array.isArray(value) ? (value as Self[]) : []);
const obj = (value: unknown): Self => (value && typeof value === 'object' ? (value as Self) : {});
/** protocol H2C, or HTTPS with tls.alpn h2: the spec's HTTP/2 protocols. */
const speaksHttp2 = (spec: Self): boolean => spec.protocol === 'H2C' || (spec.protocol === 'HTTPS' && obj(spec.tls).alpn === 'h2');
const isUnix = (server: Self): boolean => typeof server.address === 'string' && server.address.startsWith('unix:');

/**
 * The Upstream CRD's `x-kubernetes-validations`, one TypeScript predicate per CEL rule. A test
 * asserts this list and the CRD's rules are the same (at, rule, message, fieldPath, reason), and
 * evaluation refuses a CRD rule without a TypeScript twin, so the two cannot drift apart.
 */
export const UPSTREAM_CEL_RULES: readonly TsCelRule[] = [
  {
    at: 'spec',
    rule: 'has(self.service) || (has(self.servers) && size(self.servers) > 0)',
    message: 'at least one of service or servers must be set',
    check: (self) => has(self, 'service') || list(self.servers).length > 0,
  },
  {
    at: 'spec',
    rule: "!has(self.servers) || !has(self.loadBalancing) || !(self.loadBalancing.algorithm in ['IPHash', 'ConsistentHash']) || self.servers.all(s, !has(s.backup) || !s.backup)",
    message: 'backup servers are not allowed with IPHash or ConsistentHash',
    fieldPath: '.servers',
    reason: 'FieldValueForbidden',
    check: (self) => {
      const algorithm = obj(self.loadBalancing).algorithm;
      return (algorithm !== 'IPHash' && algorithm !== 'ConsistentHash') || list(self.servers).every((s) => s.backup !== true);
    },
  },
  {
    at: 'spec',
    rule: "!has(self.tls) || self.protocol == 'HTTPS'",
    message: 'tls is only allowed when protocol is HTTPS',
    fieldPath: '.tls',
    reason: 'FieldValueForbidden',
    check: (self) => !has(self, 'tls') || self.protocol === 'HTTPS',
  },
  {
    at: 'spec',
    rule: "!has(self.fastcgi) || self.protocol == 'FastCGI'",
    message: 'fastcgi is only allowed when protocol is FastCGI',
    fieldPath: '.fastcgi',
    reason: 'FieldValueForbidden',
    check: (self) => !has(self, 'fastcgi') || self.protocol === 'FastCGI',
  },
  {
    at: 'spec',
    rule: "self.protocol != 'FastCGI' || !has(self.healthCheck)",
    message: 'healthCheck is not supported with protocol FastCGI',
    fieldPath: '.healthCheck',
    reason: 'FieldValueForbidden',
    check: (self) => self.protocol !== 'FastCGI' || !has(self, 'healthCheck'),
  },
  {
    at: 'spec',
    rule: "!has(self.http2) || self.protocol == 'H2C' || (self.protocol == 'HTTPS' && has(self.tls) && has(self.tls.alpn) && self.tls.alpn == 'h2')",
    message: 'http2 is only allowed when protocol is H2C, or HTTPS with tls.alpn h2',
    fieldPath: '.http2',
    reason: 'FieldValueForbidden',
    check: (self) => !has(self, 'http2') || speaksHttp2(self),
  },
  {
    at: 'spec',
    rule: "!has(self.healthCheck) || !has(self.healthCheck.grpcService) || self.protocol == 'H2C' || (self.protocol == 'HTTPS' && has(self.tls) && has(self.tls.alpn) && self.tls.alpn == 'h2')",
    message: 'healthCheck.grpcService is only allowed when protocol is H2C, or HTTPS with tls.alpn h2',
    fieldPath: '.healthCheck',
    reason: 'FieldValueForbidden',
    check: (self) => !has(self, 'healthCheck') || !has(obj(self.healthCheck), 'grpcService') || speaksHttp2(self),
  },
  {
    at: 'spec',
    rule: "!has(self.servers) || self.protocol == 'FastCGI' || self.servers.all(s, !s.address.startsWith('unix:'))",
    message: 'unix socket addresses are only allowed with protocol FastCGI',
    fieldPath: '.servers',
    reason: 'FieldValueForbidden',
    check: (self) => self.protocol === 'FastCGI' || list(self.servers).every((s) => !isUnix(s)),
  },
  {
    at: 'spec',
    rule: "!has(self.servers) || self.servers.all(s, s.address.startsWith('unix:') || has(s.port))",
    message: 'every server needs a port unless its address is a unix socket',
    fieldPath: '.servers',
    reason: 'FieldValueRequired',
    check: (self) => list(self.servers).every((s) => isUnix(s) || has(s, 'port')),
  },
  {
    at: 'spec',
    rule: "!has(self.servers) || self.servers.all(s, !s.address.startsWith('unix:') || !has(s.port))",
    message: 'a server with a unix socket address takes no port',
    fieldPath: '.servers',
    reason: 'FieldValueForbidden',
    check: (self) => list(self.servers).every((s) => !isUnix(s) || !has(s, 'port')),
  },
  {
    at: 'spec.fastcgi.params',
    rule: 'self.all(p, self.exists_one(q, q.name == p.name))',
    message: 'parameter names must be unique',
    check: (self) => {
      const names = list(self).map((p) => p.name);
      return new Set(names).size === names.length;
    },
  },
  {
    at: 'spec.fastcgi.params',
    rule: "self.all(p, p.name != 'HTTP_PROXY')",
    message: 'HTTP_PROXY is never passed (httpoxy)',
    check: (self) => list(self).every((p) => p.name !== 'HTTP_PROXY'),
  },
  {
    at: 'spec.service.port',
    rule: 'has(self.name) != has(self.number)',
    message: 'exactly one of name or number must be set',
    check: (self) => has(self, 'name') !== has(self, 'number'),
  },
  {
    at: 'spec.loadBalancing',
    rule: "self.algorithm != 'ConsistentHash' || has(self.hashKey)",
    message: 'hashKey is required when algorithm is ConsistentHash',
    fieldPath: '.hashKey',
    reason: 'FieldValueRequired',
    check: (self) => self.algorithm !== 'ConsistentHash' || has(self, 'hashKey'),
  },
  {
    at: 'spec.loadBalancing',
    rule: "self.algorithm == 'ConsistentHash' || !has(self.hashKey)",
    message: 'hashKey is only allowed when algorithm is ConsistentHash',
    fieldPath: '.hashKey',
    reason: 'FieldValueForbidden',
    check: (self) => self.algorithm === 'ConsistentHash' || !has(self, 'hashKey'),
  },
  {
    at: 'spec.loadBalancing.hashKey',
    rule: "self.source == 'ClientAddress' || has(self.name)",
    message: 'name is required when source is Header or Cookie',
    fieldPath: '.name',
    reason: 'FieldValueRequired',
    check: (self) => self.source === 'ClientAddress' || has(self, 'name'),
  },
  {
    at: 'spec.loadBalancing.hashKey',
    rule: "self.source != 'ClientAddress' || !has(self.name)",
    message: 'name is not allowed when source is ClientAddress',
    fieldPath: '.name',
    reason: 'FieldValueForbidden',
    check: (self) => self.source !== 'ClientAddress' || !has(self, 'name'),
  },
  {
    at: 'spec.healthCheck',
    rule: 'duration(self.timeout) <= duration(self.interval)',
    message: 'timeout must not be longer than interval',
    fieldPath: '.timeout',
    check: (self) => (parseDuration(String(self.timeout)) ?? 0) <= (parseDuration(String(self.interval)) ?? 0),
  },
];

const byLocation = new Map(UPSTREAM_CEL_RULES.map((r) => [`${r.at}\n${r.rule}`, r]));

/**
 * Runs the CRD's CEL rules over an already structurally valid, defaulted `value` at schema
 * path `at` / data path `path`, reporting failures as the API server does
 * (apiextensions-apiserver schema/cel: `fieldErrorForReason`).
 */
export function evaluateCelRules(value: unknown, schema: JSONSchemaProps, at: string, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  const errors: FieldError[] = [];
  for (const spec of schema['x-kubernetes-validations'] ?? []) {
    const rule = byLocation.get(`${at}\n${spec.rule}`);
    if (!rule) throw new Error(`CEL rule at ${at} has no TypeScript twin in upstream-cel-rules.ts: ${spec.rule}`);
    if (!rule.check(value as Self)) errors.push(celError(spec, schema, path));
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => errors.push(...evaluateCelRules(item, schema.items!, `${at}[*]`, `${path}[${i}]`)));
  } else if (typeof value === 'object' && schema.properties) {
    for (const [name, child] of Object.entries(schema.properties)) {
      errors.push(...evaluateCelRules((value as Self)[name], child, `${at}.${name}`, `${path}.${name}`));
    }
  }
  return errors;
}

function celError(spec: CelRuleSpec, schema: JSONSchemaProps, path: string): FieldError {
  const field = path + (spec.fieldPath ?? '');
  const detail = spec.message ?? `failed rule: ${spec.rule}`;
  switch (spec.reason) {
    case 'FieldValueRequired':
      return { field, type: 'Required value', detail };
    case 'FieldValueForbidden':
      return { field, type: 'Forbidden', detail };
    default:
      return { field, type: 'Invalid value', value: schema.type ?? 'object', detail };
  }
}
