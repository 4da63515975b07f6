import type { RetryCondition } from '../../routing/route-table.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';
import { parseNginxSize } from './nginx-values.ts';

/** A day: the longest timeout Pier takes from an annotation. */
const MAX_SECONDS = 86_400;

/** Retries after the first try at most: the Upstream CRD's `retries.attempts` maximum (test/upstream/crd.test.ts checks they agree). */
export const MAX_RETRIES = 10;

/** `proxy-next-upstream` tokens → Pier's retry conditions. */
const NEXT_UPSTREAM: Readonly<Record<string, readonly RetryCondition[]>> = {
  error: ['connect-failure', 'reset'],
  timeout: ['timeout'],
  invalid_header: ['reset'],
  http_500: ['500'], http_502: ['502'], http_503: ['503'], http_504: ['504'], http_403: ['403'], http_404: ['404'], http_429: ['429'],
  non_idempotent: [],
  off: [],
};

/**
 * Proxy family: body size, timeouts and retries, as ingress-nginx's proxy parser.
 * - `proxy-body-size`: nginx size (`8m`); 0 = unlimited. It replaces `--max-body-size` for the
 *   route (raising or lowering it). Over it: 413 before the body is read.
 * - `proxy-connect-timeout`, `-send-timeout`, `-read-timeout`: whole seconds, as ingress-nginx
 *   (`"120"`); nginx units (`120s`) are accepted too.
 * - `proxy-next-upstream`: space-separated `error timeout invalid_header http_500 http_502
 *   http_503 http_504 http_403 http_404 http_429 non_idempotent off`; `-tries` (total tries;
 *   nginx's 0, no limit but the number of servers, and anything above 11 give 10 retries, the
 *   Upstream maximum: Pier also goes back to a server already tried, after a back-off),
 *   `-timeout` (seconds; no new try after it, 0 = none).
 * - Buffering knobs (`proxy-buffering`, `proxy-request-buffering`, `client-body-buffer-size`,
 *   `proxy-buffer-size`, `proxy-buffers-number`, `proxy-busy-buffers-size`,
 *   `proxy-max-temp-file-size`) are validated and have no effect: Pier always streams bodies
 *   both ways with bounded memory.
 */
export function parseProxy(r: AnnotationReader, s: IngressSettings): void {
  const bodySize = r.string('proxy-body-size');
  if (bodySize !== undefined) {
    const bytes = parseNginxSize(bodySize);
    if (bytes === undefined) r.fail('proxy-body-size', 'is not an nginx size (like 1m, 8k, 1000)');
    else s.policies.push({ kind: 'body-size', maxBytes: bytes });
  }
  const b = s.backend;
  const connect = seconds(r, 'proxy-connect-timeout');
  if (connect !== undefined) b.connectMs = connect;
  const send = seconds(r, 'proxy-send-timeout');
  if (send !== undefined) b.sendMs = send;
  const read = seconds(r, 'proxy-read-timeout');
  if (read !== undefined) b.readMs = read;
  const next = r.string('proxy-next-upstream');
  if (next !== undefined) {
    const tokens = next.split(/\s+/).filter((t) => t !== '');
    const bad = tokens.find((t) => NEXT_UPSTREAM[t] === undefined);
    if (bad !== undefined || tokens.length === 0) r.fail('proxy-next-upstream', `has ${bad === undefined ? 'no condition' : `an unknown condition "${bad}"`} (use error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent or off)`);
    else if (tokens.includes('off')) {
      b.retryOn = [];
      b.retryAttempts = 0;
    } else {
      b.retryOn = [...new Set(tokens.flatMap((t) => NEXT_UPSTREAM[t]!))];
      b.retryNonIdempotent = tokens.includes('non_idempotent');
    }
  }
  // nginx bounds tries by the number of endpoints (0: no other limit); Pier also goes back to
  // an endpoint already tried (after a back-off), so it bounds retries at the Upstream's maximum.
  const tries = r.int('proxy-next-upstream-tries', 0, 100);
  if (tries !== undefined && b.retryAttempts !== 0) b.retryAttempts = tries === 0 ? MAX_RETRIES : Math.min(tries - 1, MAX_RETRIES);
  const retryTimeout = seconds(r, 'proxy-next-upstream-timeout');
  if (retryTimeout !== undefined && retryTimeout > 0) b.retryTimeoutMs = retryTimeout;
  for (const name of ['client-body-buffer-size', 'proxy-buffer-size', 'proxy-busy-buffers-size', 'proxy-max-temp-file-size']) {
    const v = r.string(name);
    if (v !== undefined && parseNginxSize(v) === undefined) r.fail(name, 'is not an nginx size (like 1m, 8k, 1000)');
  }
  r.int('proxy-buffers-number', 1, 1_000);
  r.choice('proxy-buffering', ['on', 'off'], true);
  r.choice('proxy-request-buffering', ['on', 'off'], true);
  r.choice('proxy-http-version', ['1.0', '1.1']);
}

/**
 * `connection-proxy-header` (ingress-nginx: `close` or `keep-alive`, the Connection header sent
 * to the backend). `close`: each request goes out with `Connection: close` on a connection of its
 * own, as nginx's backend then closes it; `keep-alive` is what Pier sends anyway. (An Upgrade
 * request still says `Connection: upgrade`: nginx would send the annotation's value and break it.)
 */
export function parseConnectionProxyHeader(r: AnnotationReader, s: IngressSettings): void {
  if (r.choice('connection-proxy-header', ['close', 'keep-alive']) === 'close') s.backend.connectionClose = true;
}

/** Whole seconds (ingress-nginx's unitless form) or an nginx time with units, as ms. */
function seconds(r: AnnotationReader, name: string): number | undefined {
  const v = r.string(name);
  if (v === undefined) return undefined;
  const m = /^([0-9]+)(ms|s|m|h)?$/.exec(v);
  if (m === null) return r.fail(name, 'is not a number of seconds (like "60")');
  const n = Number(m[1]) * ({ ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as Record<string, number>)[m[2] ?? 's']!;
  if (n > MAX_SECONDS * 1_000) return r.fail(name, `must be at most ${MAX_SECONDS} seconds`);
  return n;
}
