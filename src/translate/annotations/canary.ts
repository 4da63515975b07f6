import { RE2JS } from 're2js';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** ingress-nginx's BasicCharsRegex: header and cookie names, header values. */
const BASIC = /^[-._~a-zA-Z0-9/:]*$/;

/**
 * Canary family: `canary: "true"` makes this Ingress's backends alternatives for the main
 * Ingress's routes with the same host and path (merge-routes attaches them). `canary-by-header`
 * (+ `-value` or `-pattern`), `canary-by-cookie`, `canary-weight` (0..total), `canary-weight-total`
 * (default 100). The pattern must compile on RE2 (no lookarounds or backreferences).
 */
export function parseCanary(r: AnnotationReader, s: IngressSettings): void {
  if (r.bool('canary') !== true) return;
  const header = basic(r, 'canary-by-header');
  const headerValue = basic(r, 'canary-by-header-value');
  const headerPattern = r.string('canary-by-header-pattern') || undefined;
  if (headerPattern !== undefined) {
    try {
      RE2JS.compile(headerPattern);
    } catch {
      r.fail('canary-by-header-pattern', 'is not a regular expression RE2 can run (lookarounds and backreferences are not supported)');
    }
  }
  const cookie = basic(r, 'canary-by-cookie');
  const weightTotal = r.int('canary-weight-total', 1, 1_000_000_000) ?? 100;
  const weight = r.int('canary-weight', 0, 1_000_000_000) ?? 0;
  s.canary = {
    ...(header === undefined ? {} : { header: header.toLowerCase() }),
    ...(headerValue === undefined ? {} : { headerValue }),
    ...(headerPattern === undefined || headerValue !== undefined ? {} : { headerPattern }),
    ...(cookie === undefined ? {} : { cookie }),
    weight,
    weightTotal,
  };
}

function basic(r: AnnotationReader, name: string): string | undefined {
  const v = r.string(name);
  if (v === undefined || v === '') return undefined;
  if (!BASIC.test(v)) return r.fail(name, 'may contain only letters, digits and - . _ ~ / :');
  return v;
}
