import type { Upstream } from '../source/objects.ts';
import type { Backend, BackendPolicy } from '../routing/route-table.ts';
import { DEFAULT_POLICY } from '../routing/route-table.ts';
import type { Problem } from './problem.ts';
import type { SnapshotIndex } from './snapshot.ts';
import { upstreamServers } from './upstream-servers.ts';
import { parseUpstream } from './upstream-spec.ts';
import type { ParsedUpstream, UpstreamSpec } from './upstream-spec.ts';

/** Result of resolving a backend reference: a backend to route to, plus problems to report. */
export interface ResolvedBackend {
  readonly backend: Backend;
  readonly problems: readonly Problem[];
}

type Referrer = { kind: string; namespace: string; name: string };

/**
 * Per translate() call (keyed by its SnapshotIndex): each Upstream is parsed once, and problems
 * about the Upstream object itself are reported once however many Ingresses use it. A WeakMap,
 * so nothing outlives the call and translate() stays a pure function of its snapshot.
 */
const perIndex = new WeakMap<SnapshotIndex, { parsed: Map<string, ParsedUpstream>; reported: Set<string> }>();

function memo(index: SnapshotIndex) {
  let m = perIndex.get(index);
  if (!m) {
    m = { parsed: new Map(), reported: new Set() };
    perIndex.set(index, m);
  }
  return m;
}

/** parseUpstream, once per Upstream per translate() call. */
export function parsedUpstream(index: SnapshotIndex, upstream: Upstream): ParsedUpstream {
  const m = memo(index);
  const key = `${upstream.metadata.namespace ?? ''}/${upstream.metadata.name}`;
  let parsed = m.parsed.get(key);
  if (!parsed) {
    parsed = parseUpstream(upstream);
    m.parsed.set(key, parsed);
  }
  return parsed;
}

/**
 * Resolves an Ingress `backend.resource` naming a pier.dev Upstream in `namespace`.
 * `referrer` is the Ingress (for problem reports). Returns a backend in every case
 * (id `upstream:<ns>/<name>`); an unusable Upstream yields a backend marked `unavailable` (503)
 * plus problems: `UpstreamNotFound` (on the Ingress); `InvalidUpstream` /
 * `UnsupportedProtocol` (on the Upstream, with the API server's validation text, and on the
 * Ingress); a Service or CA Secret problem (reason from service-endpoints.ts, or
 * `CASecretNotFound`). A Service without endpoints next to static servers is only a warning.
 */
export function resolveUpstreamBackend(index: SnapshotIndex, namespace: string, name: string, referrer: Referrer): ResolvedBackend {
  const id = `upstream:${namespace}/${name}`;
  const display = `${namespace}/${name}`;
  const upstream = index.upstream(namespace, name);
  if (!upstream) {
    return unavailable(id, DEFAULT_POLICY, 'UpstreamNotFound', [warning(referrer, 'UpstreamNotFound', `Upstream ${display} not found: its requests get 503`)]);
  }
  const self: Referrer = { kind: 'Upstream', namespace, name };
  const once = (problem: Problem): Problem[] => {
    const { reported } = memo(index);
    const key = `${display}\n${problem.reason}`;
    if (reported.has(key)) return [];
    reported.add(key);
    return [problem];
  };
  const parsed = parsedUpstream(index, upstream);
  if (!parsed.ok) {
    return unavailable(id, DEFAULT_POLICY, parsed.reason, [
      ...once(warning(self, parsed.reason, parsed.message)),
      warning(referrer, parsed.reason, `Upstream ${display} is invalid, its requests get 503: ${parsed.message}`),
    ]);
  }
  const tls = caPem(index, namespace, parsed.spec);
  const policy = policyOf(parsed.spec, tls.pem);
  if (tls.missing) {
    const message = `Upstream ${display}: tls.caSecret ${namespace}/${tls.missing} is not a kubernetes.io/tls Secret with a ca.crt: its requests get 503`;
    return unavailable(id, policy, 'CASecretNotFound', [...once(warning(self, 'CASecretNotFound', message)), warning(referrer, 'CASecretNotFound', message)]);
  }
  const { servers, serviceIssue } = upstreamServers(index, namespace, parsed.spec);
  const problems: Problem[] = [];
  if (serviceIssue && servers.length === 0) {
    const message = `Upstream ${display}: ${serviceIssue.message}: its requests get 503`;
    return unavailable(id, policy, serviceIssue.unavailable, [...once(warning(self, serviceIssue.unavailable, message)), warning(referrer, serviceIssue.unavailable, message)]);
  }
  if (serviceIssue) {
    problems.push(...once(warning(self, serviceIssue.unavailable, `Upstream ${display}: ${serviceIssue.message}: only its static servers are used`)));
  }
  return { backend: { id, servers, policy }, problems };
}

/** The BackendPolicy an Upstream spec asks for (every field explicit). */
export function policyOf(spec: UpstreamSpec, caPemText?: string): BackendPolicy {
  return {
    algorithm: spec.algorithm,
    ...(spec.hashKey ? { hashKey: spec.hashKey } : {}),
    protocol: spec.protocol,
    ...(spec.fastcgi ? { fastcgi: spec.fastcgi } : {}),
    ...(spec.protocol === 'HTTPS'
      ? { tls: { ...(spec.tls?.serverName ? { serverName: spec.tls.serverName } : {}), ...(caPemText ? { caPem: caPemText } : {}), verify: !(spec.tls?.insecureSkipVerify ?? false), ...(spec.tls?.alpn === 'h2' ? { alpn: 'h2' as const } : {}) } }
      : {}),
    timeouts: spec.timeouts,
    keepalive: spec.keepalive,
    retries: spec.retries,
    ...(spec.healthCheck ? { healthCheck: spec.healthCheck } : {}),
    ...(spec.http2 ? { http2: spec.http2 } : {}),
  };
}

/** The CA bundle named by `tls.caSecret` (key `ca.crt`, base64 in the Secret). */
function caPem(index: SnapshotIndex, namespace: string, spec: UpstreamSpec): { pem?: string; missing?: string } {
  const name = spec.tls?.caSecret;
  if (!name || spec.protocol !== 'HTTPS') return {};
  // The Upstream's tls.caSecret takes kubernetes.io/tls Secrets only (the store keeps Opaque ones
  // too, for auth Secrets and proxy-ssl-secret); any other is reported as not found.
  const secret = index.secret(namespace, name);
  const data = secret?.type === 'kubernetes.io/tls' ? secret.data?.['ca.crt'] : undefined;
  if (!data) return { missing: name };
  return { pem: Buffer.from(data, 'base64').toString('utf8') };
}

function unavailable(id: string, policy: BackendPolicy, reason: string, problems: Problem[]): ResolvedBackend {
  return { backend: { id, servers: [], policy, unavailable: reason }, problems };
}

function warning(about: Referrer, reason: string, message: string): Problem {
  return { kind: about.kind, namespace: about.namespace, name: about.name, reason, message, severity: 'Warning' };
}
