import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/**
 * `ssl-passthrough: "true"`, as ingress-nginx: TLS connections whose server name (SNI) is one
 * of the Ingress's hosts are relayed to the backend of the host's `/` path undeciphered
 * (ssl-passthrough-hosts.ts puts the target on the virtual host; the dataplane honours it with
 * `--enable-ssl-passthrough`). Whatever the flag, the backend speaks TLS: ingress-nginx reaches
 * a passthrough upstream with `proxy_pass https://` for the requests it does serve (plain HTTP,
 * and HTTPS without a passthrough server name), so the Ingress's backends are reached over
 * HTTPS (GRPC and GRPCS over TLS: GRPCS), whatever `backend-protocol` says; unverified unless
 * proxy-ssl-verify says otherwise, as any HTTPS backend (backend-overrides.ts).
 */
export function parseSslPassthrough(r: AnnotationReader, s: IngressSettings): void {
  if (r.bool('ssl-passthrough') !== true) return;
  s.sslPassthrough = true;
  const protocol = s.backend.protocol;
  s.backend = { ...s.backend, protocol: protocol === 'GRPC' || protocol === 'GRPCS' ? 'GRPCS' : 'HTTPS' };
}
