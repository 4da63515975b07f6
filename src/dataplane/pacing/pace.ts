/**
 * The pacing arithmetic of nginx's `limit_rate` / `limit_rate_after` (ngx_http_write_filter:
 * `limit = rate × elapsed − (sent − after)`), with a millisecond clock where nginx's counts
 * whole seconds (and so grants up to a second's worth ahead). Pure: times in, bytes and delays
 * out, so it is tested as a table.
 */

/** Bytes a response may have sent `elapsedMs` after its head: the first `after` at once, then
 * `rate` per second. */
export function allowance(elapsedMs: number, rate: number, after: number): number {
  return after + Math.floor((rate * Math.max(0, elapsedMs)) / 1000);
}

/** Milliseconds from `elapsedMs` until `sent + bytes` fits the allowance (0: it fits now). */
export function delayFor(sent: number, bytes: number, elapsedMs: number, rate: number, after: number): number {
  const due = ((sent + bytes - after) * 1000) / rate;
  return due > elapsedMs ? Math.ceil(due - elapsedMs) : 0;
}

/**
 * The smallest piece worth a timer: a twentieth of a second's bytes (at most 20 wake-ups a
 * second per response), at least one byte, at most 16 KiB (a socket write's worth).
 */
export function minSlice(rate: number): number {
  return Math.max(1, Math.min(16_384, Math.floor(rate / 20)));
}
