import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** nginx's `k`: ingress-nginx writes both values as `<n>k` (template.go buildRateLimit). */
const KILOBYTE = 1024;
/** Bounds Pier takes: 1 TiB/s and 1 TiB are "no limit" for any client; the products stay
 * exact integers in a double. */
const MAX_KILOBYTES = 1_073_741_824;

/**
 * Bandwidth family, as ingress-nginx's ratelimit parser and template:
 * - `limit-rate`: kilobytes (1024 bytes) per second sent to the client per request, nginx
 *   `limit_rate <n>k`; 0 (the default) = no limit.
 * - `limit-rate-after`: kilobytes sent at full speed before the limit applies, nginx
 *   `limit_rate_after <n>k`; 0 (the default) = from the first byte. Alone it does nothing.
 * Whole numbers ≥ 0. ingress-nginx falls back to its ConfigMap default on a value that is not
 * a number; Pier rejects the Ingress with a problem naming the annotation, as for every other.
 */
export function parseBandwidth(r: AnnotationReader, s: IngressSettings): void {
  const rate = r.int('limit-rate', 0, MAX_KILOBYTES) ?? 0;
  const after = r.int('limit-rate-after', 0, MAX_KILOBYTES) ?? 0;
  if (rate === 0) return;
  s.policies.push({ kind: 'limit-rate', bytesPerSecond: rate * KILOBYTE, afterBytes: after * KILOBYTE });
}
