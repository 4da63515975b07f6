import type { BackendPolicy, HashKey } from '../../routing/route-table.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** A host name (optionally with a port) for `upstream-vhost`. */
const SERVER_NAME = /^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?(:[0-9]{1,5})?$/;

/** ingress-nginx backend protocols; which Pier serves now (the others are refused by name). */
const PROTOCOLS = ['AUTO_HTTP', 'HTTP', 'HTTPS', 'GRPC', 'GRPCS', 'FCGI', 'H2C'] as const;
const SERVED: Readonly<Record<string, BackendPolicy['protocol']>> = {
  HTTP: 'HTTP', AUTO_HTTP: 'HTTP', HTTPS: 'HTTPS', FCGI: 'FastCGI', GRPC: 'GRPC', GRPCS: 'GRPCS', H2C: 'H2C',
};

/**
 * Backend family: `backend-protocol`, `upstream-vhost`, `load-balance`, `upstream-hash-by`,
 * `service-upstream`.
 * - backend-protocol (case-insensitive): HTTP, HTTPS, GRPC and H2C (HTTP/2 in the clear),
 *   GRPCS (HTTP/2 over TLS), FCGI (FastCGI: see fastcgi.ts for its settings); AUTO_HTTP is
 *   HTTP (Pier does not switch on the client's scheme).
 * - load-balance: round_robin → RoundRobin; ewma (peak-EWMA latency, power of two choices) →
 *   Random, Pier's power-of-two-choices by requests in flight, the closest it has; the chash
 *   and sticky variants are set by upstream-hash-by and affinity instead, so naming them here
 *   is refused. upstream-hash-by wins over load-balance, as in ingress-nginx.
 * - upstream-hash-by: one nginx variable: `$remote_addr`/`$binary_remote_addr`, `$http_<name>`,
 *   `$cookie_<name>`, `$request_uri`; combinations and literal text are refused (Pier hashes one
 *   value) with a problem naming the annotation.
 * - upstream-vhost: the Host header sent upstream (a request header edit).
 */
export function parseBackend(r: AnnotationReader, s: IngressSettings): void {
  const protocol = r.choice('backend-protocol', PROTOCOLS, true);
  if (protocol !== undefined) s.backend.protocol = SERVED[protocol.toUpperCase()];
  const vhost = r.string('upstream-vhost');
  if (vhost !== undefined) {
    if (!SERVER_NAME.test(vhost)) r.fail('upstream-vhost', 'is not a host name');
    else s.policies.push({ kind: 'request-headers', set: ['host', vhost], add: [], remove: [] });
  }
  const lb = r.string('load-balance');
  if (lb !== undefined) {
    if (lb === 'round_robin') s.backend.algorithm = 'RoundRobin';
    else if (lb === 'ewma') s.backend.algorithm = 'Random';
    else if (['chash', 'chashsubset', 'sticky_balanced', 'sticky_persistent'].includes(lb)) r.fail('load-balance', 'is set through upstream-hash-by or affinity in Pier, not load-balance');
    else r.fail('load-balance', 'is not one of round_robin, ewma');
  }
  const hashBy = r.string('upstream-hash-by');
  if (hashBy !== undefined && hashBy !== '') {
    const key = hashKeyOf(hashBy);
    if (key === undefined) r.fail('upstream-hash-by', 'must be one nginx variable: $remote_addr, $binary_remote_addr, $request_uri, $http_<name> or $cookie_<name>');
    else {
      s.backend.algorithm = 'ConsistentHash';
      s.backend.hashKey = key;
    }
  }
  if (r.has('upstream-hash-by-subset') && r.bool('upstream-hash-by-subset') === true) r.fail('upstream-hash-by-subset', 'is not supported (Pier hashes to one server)');
  const serviceUpstream = r.bool('service-upstream');
  if (serviceUpstream) s.backend.serviceUpstream = true;
  if (r.keyOf('http2')?.startsWith('pier.dev/') === true && r.bool('http2') === false) s.http2 = false;
}

function hashKeyOf(text: string): HashKey | undefined {
  const m = /^\$\{?([a-z_][a-z0-9_]*)\}?$/i.exec(text);
  if (m === null) return undefined;
  const name = m[1]!.toLowerCase();
  if (name === 'remote_addr' || name === 'binary_remote_addr') return { source: 'ClientAddress' };
  if (name === 'request_uri') return { source: 'RequestURI' };
  if (name.startsWith('http_') && name.length > 5) return { source: 'Header', name: name.slice(5).replaceAll('_', '-') };
  if (name.startsWith('cookie_') && name.length > 7) return { source: 'Cookie', name: m[1]!.slice(7) };
  return undefined;
}
