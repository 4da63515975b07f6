import type { ErrorPagesPolicy } from '../../../routing/policies.ts';
import type { BackendRuntime } from '../../backend-runtime.ts';
import type { DownstreamRequest } from '../../front/downstream.ts';
import type { Admission, RequestFilter } from '../admission.ts';

/** What the proxy needs to send an intercepted answer to the error backend. */
export interface ErrorPages {
  readonly codes: ReadonlySet<number>;
  readonly backend: BackendRuntime;
  /** The error request's headers for an answer with `status` (ingress-nginx's CUSTOM_ERRORS). */
  headers(status: number, req: DownstreamRequest, admission: Admission): string[];
}

/**
 * `custom-http-errors`: registers the codes whose answers (the upstream's, or Pier's own 502,
 * 503, 504) the proxy replaces by the error backend's answer to `GET /` (HEAD for HEAD), sent
 * with ingress-nginx's headers. The error backend's answer is relayed as it is, status
 * included (nginx `error_page <code> = @custom_...`); it is never intercepted again.
 */
export function errorPagesFilter(policy: ErrorPagesPolicy, resolve: (id: string) => BackendRuntime): RequestFilter {
  const pages: ErrorPages = {
    codes: new Set(policy.codes),
    backend: resolve(policy.backend),
    headers: (status, req, admission) => {
      const h = [
        'host', admission.host ?? '',
        'x-code', String(status),
        'x-format', first(req.headers.accept) ?? '',
        'x-original-uri', req.url,
        'x-namespace', policy.namespace,
        'x-ingress-name', policy.ingress,
        'x-service-name', policy.service,
        'x-service-port', policy.servicePort,
        'x-forwarded-for', req.conn.clientAddress,
      ];
      const id = first(req.headers['x-request-id']);
      if (id !== undefined) h.push('x-request-id', id);
      return h;
    },
  };
  return (a) => {
    a.errorPages = pages;
    return true;
  };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
