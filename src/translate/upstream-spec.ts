import type { Algorithm, FastcgiPolicy, HashKey, RetryCondition } from '../routing/route-table.ts';
import type { Upstream } from '../source/objects.ts';
import { evaluateCelRules } from './upstream-cel-rules.ts';
import { UPSTREAM_SCHEMA } from './upstream-crd.ts';
import type { JSONSchemaProps } from './upstream-crd.ts';
import { parseDuration } from './upstream-duration.ts';
import { FASTCGI_DEFAULTS } from '../routing/fastcgi-defaults.ts';
import type { FieldError } from './upstream-field-error.ts';
import { CEL_SKIPPED, formatInvalid, isBlocking } from './upstream-field-error.ts';
import { applyDefaults, validateAgainstSchema } from './upstream-schema-validator.ts';

/** A static server with defaults applied and durations in ms. */
export interface UpstreamServerSpec {
  /** An address or DNS name, or `unix:/path` (FastCGI; port 0). */
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly backup: boolean;
  readonly maxFails: number;
  readonly failTimeoutMs: number;
}

/** A valid Upstream spec: every default applied, durations in milliseconds. */
export interface UpstreamSpec {
  readonly service?: { readonly name: string; readonly port: { readonly name?: string; readonly number?: number } };
  readonly servers: readonly UpstreamServerSpec[];
  readonly algorithm: Algorithm;
  readonly hashKey?: HashKey;
  readonly protocol: 'HTTP' | 'HTTPS' | 'H2C' | 'FastCGI';
  /** With protocol FastCGI only, every default applied. */
  readonly fastcgi?: FastcgiPolicy;
  readonly tls?: { readonly serverName?: string; readonly caSecret?: string; readonly insecureSkipVerify: boolean; readonly alpn?: 'http/1.1' | 'h2' };
  readonly healthCheck?: { readonly path: string; readonly intervalMs: number; readonly timeoutMs: number; readonly healthyThreshold: number; readonly unhealthyThreshold: number; readonly grpcService?: string };
  /** With an HTTP/2 protocol only. */
  readonly http2?: { readonly pingIntervalMs: number; readonly maxConcurrentStreams: number };
  readonly keepalive: { readonly connections: number; readonly requests: number; readonly timeMs: number; readonly idleTimeoutMs: number };
  readonly timeouts: { readonly connectMs: number; readonly sendMs: number; readonly readMs: number };
  readonly retries: { readonly attempts: number; readonly on: readonly RetryCondition[]; readonly nonIdempotent: boolean };
}

/**
 * Accepted, or rejected with the API server's text. `reason` is `InvalidUpstream` for what the
 * CRD schema rejects and `UnsupportedProtocol` for a protocol the schema accepts
 * (reserved) but Pier cannot serve yet.
 */
export type ParsedUpstream =
  | { readonly ok: true; readonly spec: UpstreamSpec }
  | { readonly ok: false; readonly reason: 'InvalidUpstream' | 'UnsupportedProtocol'; readonly errors: readonly FieldError[]; readonly message: string };

const SPEC_SCHEMA: JSONSchemaProps = UPSTREAM_SCHEMA.properties!.spec!;

/**
 * Validates an Upstream's `spec` the way the API server validates it in cluster mode: unknown
 * fields refuse the object outright (strict decoding); otherwise drop nulls, apply the CRD's
 * defaults, check the structural schema, then the CEL rules — unless a blocking error (wrong
 * type, missing required field, unsupported enum value, too long, too many) makes the API server
 * skip them, which it reports with one more error. Returns the defaulted spec and the errors.
 */
export function validateUpstreamSpec(spec: unknown): { readonly spec: unknown; readonly errors: readonly FieldError[] } {
  if (spec === undefined || spec === null) return { spec, errors: [{ field: 'spec', type: 'Required value' }, CEL_SKIPPED] };
  const defaulted = applyDefaults(spec, SPEC_SCHEMA);
  const errors = validateAgainstSchema(defaulted, SPEC_SCHEMA, 'spec');
  const unknown = errors.filter((e) => e.type === 'unknown field');
  if (unknown.length > 0) return { spec: defaulted, errors: unknown };
  if (errors.some(isBlocking)) return { spec: defaulted, errors: [...errors, CEL_SKIPPED] };
  return { spec: defaulted, errors: [...errors, ...evaluateCelRules(defaulted, SPEC_SCHEMA, 'spec', 'spec')] };
}

/** Parses an Upstream object into a typed spec, or explains (in kubectl's words) why not. */
export function parseUpstream(upstream: Upstream): ParsedUpstream {
  const { spec, errors } = validateUpstreamSpec(upstream.spec);
  if (errors.length > 0) {
    return { ok: false, reason: 'InvalidUpstream', errors, message: formatInvalid(upstream.metadata.name, errors) };
  }
  const raw = spec as RawSpec;
  // Every protocol the CRD's enum lists is served now (HTTP, HTTPS, H2C, FastCGI); the
  // UnsupportedProtocol reason stays for a protocol the schema may reserve later.
  return { ok: true, spec: typed(raw) };
}

/** The defaulted, validated spec as plain JSON (what the CRD guarantees after validation). */
interface RawSpec {
  service?: { name: string; port: { name?: string; number?: number } };
  servers?: { address: string; port?: number; weight: number; backup: boolean; maxFails: number; failTimeout: string }[];
  loadBalancing: { algorithm: Algorithm; hashKey?: { source: HashKey['source']; name?: string } };
  protocol: 'HTTP' | 'HTTPS' | 'H2C' | 'FastCGI';
  tls?: { serverName?: string; caSecret?: string; insecureSkipVerify: boolean; alpn?: 'http/1.1' | 'h2' };
  fastcgi?: { documentRoot: string; index: string; scriptFilename?: string; splitPathInfo: string; params?: { name: string; value: string }[] };
  healthCheck?: { path: string; interval: string; timeout: string; healthyThreshold: number; unhealthyThreshold: number; grpcService?: string };
  http2?: { pingInterval: string; maxConcurrentStreams: number };
  keepalive: { connections: number; requests: number; time: string; idleTimeout: string };
  timeouts: { connect: string; send: string; read: string };
  retries: { attempts: number; on: RetryCondition[]; nonIdempotent: boolean };
}

const ms = (text: string): number => parseDuration(text) ?? 0;

function typed(raw: RawSpec): UpstreamSpec {
  const { hashKey } = raw.loadBalancing;
  const hc = raw.healthCheck;
  return {
    ...(raw.service ? { service: raw.service } : {}),
    servers: (raw.servers ?? []).map((s) => ({ address: s.address, port: s.port ?? 0, weight: s.weight, backup: s.backup, maxFails: s.maxFails, failTimeoutMs: ms(s.failTimeout) })),
    algorithm: raw.loadBalancing.algorithm,
    // Header names are matched against Node's lower-cased header keys.
    ...(hashKey ? { hashKey: { source: hashKey.source, ...(hashKey.name ? { name: hashKey.source === 'Header' ? hashKey.name.toLowerCase() : hashKey.name } : {}) } } : {}),
    protocol: raw.protocol as 'HTTP' | 'HTTPS' | 'H2C' | 'FastCGI',
    ...(raw.protocol === 'FastCGI' ? { fastcgi: fastcgiOf(raw.fastcgi) } : {}),
    ...(raw.tls ? { tls: raw.tls } : {}),
    ...(hc ? { healthCheck: { path: hc.path, intervalMs: ms(hc.interval), timeoutMs: ms(hc.timeout), healthyThreshold: hc.healthyThreshold, unhealthyThreshold: hc.unhealthyThreshold, ...(hc.grpcService === undefined ? {} : { grpcService: hc.grpcService }) } } : {}),
    ...(raw.http2 ? { http2: { pingIntervalMs: ms(raw.http2.pingInterval), maxConcurrentStreams: raw.http2.maxConcurrentStreams } } : {}),
    keepalive: { connections: raw.keepalive.connections, requests: raw.keepalive.requests, timeMs: ms(raw.keepalive.time), idleTimeoutMs: ms(raw.keepalive.idleTimeout) },
    timeouts: { connectMs: ms(raw.timeouts.connect), sendMs: ms(raw.timeouts.send), readMs: ms(raw.timeouts.read) },
    retries: { attempts: raw.retries.attempts, on: raw.retries.on, nonIdempotent: raw.retries.nonIdempotent },
  };
}

/** `spec.fastcgi` with the CRD's defaults (they apply only when the object is present). */
function fastcgiOf(f: RawSpec['fastcgi']): FastcgiPolicy {
  if (f === undefined) return FASTCGI_DEFAULTS;
  return {
    documentRoot: f.documentRoot,
    index: f.index,
    ...(f.scriptFilename === undefined ? {} : { scriptFilename: f.scriptFilename }),
    splitPathInfo: f.splitPathInfo,
    params: (f.params ?? []).map((p) => ({ name: p.name, value: p.value })),
  };
}
