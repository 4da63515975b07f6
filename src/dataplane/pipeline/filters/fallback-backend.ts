import type { FallbackBackendPolicy } from '../../../routing/policies.ts';
import type { BackendRuntime } from '../../backend-runtime.ts';
import type { RequestFilter } from '../admission.ts';

/**
 * `default-backend` (ingress-nginx): when the backend chosen so far has no endpoint (it would
 * answer 503), the annotation's Service answers instead.
 */
export function fallbackBackendFilter(policy: FallbackBackendPolicy, resolve: (id: string) => BackendRuntime): RequestFilter {
  const fallback = resolve(policy.backend);
  return (a) => {
    if (a.backend.unavailable && !fallback.unavailable) a.backend = fallback;
    return true;
  };
}
