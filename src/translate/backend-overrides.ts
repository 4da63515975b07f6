import type { Backend, BackendPolicy, BackendTls } from '../routing/route-table.ts';
import type { BackendOverrides } from './annotations/ingress-settings.ts';

/**
 * A stable text for a set of overrides ('' for none): the suffix of the backend id, so two
 * Ingresses naming one Service with the same annotations share a backend, and different ones
 * do not. Keys in a fixed order, so equal overrides give equal ids.
 */
export function overridesKey(o: BackendOverrides): string {
  const parts: string[] = [];
  if (o.protocol !== undefined) parts.push(`protocol=${o.protocol}`);
  if (o.algorithm !== undefined) parts.push(`lb=${o.algorithm}`);
  if (o.hashKey !== undefined) parts.push(`hash=${o.hashKey.source}${o.hashKey.name === undefined ? '' : `:${o.hashKey.name}`}`);
  if (o.connectMs !== undefined) parts.push(`connect=${o.connectMs}`);
  if (o.sendMs !== undefined) parts.push(`send=${o.sendMs}`);
  if (o.readMs !== undefined) parts.push(`read=${o.readMs}`);
  if (o.retryOn !== undefined) parts.push(`retry-on=${[...o.retryOn].sort().join('+')}`);
  if (o.retryAttempts !== undefined) parts.push(`tries=${o.retryAttempts + 1}`);
  if (o.retryNonIdempotent !== undefined) parts.push(`non-idempotent=${o.retryNonIdempotent}`);
  if (o.retryTimeoutMs !== undefined) parts.push(`retry-timeout=${o.retryTimeoutMs}`);
  if (o.serviceUpstream === true) parts.push('service-upstream');
  if (o.fastcgi !== undefined) parts.push(`fastcgi=${JSON.stringify(o.fastcgi)}`);
  if (o.proxySsl !== undefined) parts.push(`proxy-ssl=${JSON.stringify(o.proxySsl)}`);
  if (o.connectionClose === true) parts.push('connection=close');
  return parts.join(',');
}

/**
 * ingress-nginx does not verify an HTTPS/GRPCS backend's certificate (proxy_ssl_verify is off
 * unless proxy-ssl-secret and proxy-ssl-verify say otherwise), so neither does Pier for a
 * backend-protocol annotation: cluster-internal backends with self-signed certificates
 * (dashboards, argocd-server, keycloak) keep working after a migration. The Upstream resource's
 * spec.tls keeps its verified-by-default meaning (upstream-backend.ts).
 */
const UNVERIFIED: BackendTls = Object.freeze({ verify: false });

/** `policy` with the overrides applied; `tls` is what proxy-ssl-secret resolved to
 * (proxy-ssl-secret.ts), when the overrides have proxy-ssl-* settings. */
export function applyOverrides(policy: BackendPolicy, o: BackendOverrides, tls?: BackendTls): BackendPolicy {
  const t = policy.timeouts;
  const r = policy.retries;
  const overTls = o.protocol === 'HTTPS' || o.protocol === 'GRPCS';
  return {
    ...policy,
    ...(o.protocol === undefined ? {} : { protocol: o.protocol }),
    ...(tls !== undefined ? { tls } : overTls && policy.tls === undefined ? { tls: UNVERIFIED } : {}),
    ...(o.algorithm === undefined ? {} : { algorithm: o.algorithm }),
    ...(o.hashKey === undefined ? {} : { hashKey: o.hashKey }),
    ...(o.fastcgi === undefined ? {} : { fastcgi: o.fastcgi }),
    timeouts: { connectMs: o.connectMs ?? t.connectMs, sendMs: o.sendMs ?? t.sendMs, readMs: o.readMs ?? t.readMs },
    // No connection is kept, and every request says `Connection: close` (pool-options.ts). Only
    // over HTTP/1.1: nginx's grpc_pass and fastcgi_pass send no Connection header.
    ...(o.connectionClose === true && isHttp1(o.protocol ?? policy.protocol) ? { keepalive: { ...policy.keepalive, connections: 0 } } : {}),
    retries: {
      attempts: o.retryAttempts ?? r.attempts,
      on: o.retryOn ?? r.on,
      nonIdempotent: o.retryNonIdempotent ?? r.nonIdempotent,
      ...(o.retryTimeoutMs === undefined ? (r.timeoutMs === undefined ? {} : { timeoutMs: r.timeoutMs }) : { timeoutMs: o.retryTimeoutMs }),
    },
  };
}

function isHttp1(protocol: BackendPolicy['protocol']): boolean {
  return protocol === 'HTTP' || protocol === 'HTTPS';
}

/** The backend with overrides applied under its own id (`<id>#<overrides>`). */
export function overriddenBackend(backend: Backend, o: BackendOverrides, tls?: BackendTls): Backend {
  const key = overridesKey(o);
  if (key === '') return backend;
  return { ...backend, id: `${backend.id}#${key}`, policy: applyOverrides(backend.policy, o, tls) };
}
