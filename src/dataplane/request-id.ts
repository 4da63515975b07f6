import { randomFillSync } from 'node:crypto';
import type { RequestHeaderFacts } from './forward-headers.ts';

/** Random bytes drawn 4 KiB at a time and turned to hex at once: 256 ids per refill, each
 * then a slice of one string (a hex conversion per id cost more than the rest of an id). */
const pool = Buffer.allocUnsafe(4096);
let hex = '';
let used = 0;

/** 16 random bytes as 32 hex digits: nginx's `$request_id`. */
export function newRequestId(): string {
  if (used === hex.length) {
    randomFillSync(pool);
    hex = pool.toString('hex');
    used = 0;
  }
  const id = hex.slice(used, used + 32);
  used += 32;
  return id;
}

/**
 * The request's id (ingress-nginx's `$req_id`): the client's `X-Request-ID` when it sent a
 * non-empty one, else a new random one, made once and kept in the request's facts so that what
 * goes upstream and what the access log says agree.
 */
export function requestIdOf(facts: RequestHeaderFacts): string {
  return (facts.requestId ??= newRequestId());
}
