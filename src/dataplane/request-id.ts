import { randomFillSync } from 'node:crypto';
import type { RequestHeaderFacts } from './forward-headers.ts';

/** Random bytes drawn 4 KiB at a time: one syscall per 256 ids. */
const pool = Buffer.allocUnsafe(4096);
let used = pool.length;

/** 16 random bytes as 32 hex digits: nginx's `$request_id`. */
export function newRequestId(): string {
  if (used + 16 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const id = pool.toString('hex', used, used + 16);
  used += 16;
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
