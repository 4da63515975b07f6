/**
 * What went wrong with one upstream try, decided from undici / socket error codes. The kind
 * decides the status Pier answers with, whether a retry is safe, and whether the server's
 * passive health hears about it.
 */
export type FailureKind =
  /** Nothing reached the server (refused, unreachable, pool closed by a swap). */
  | 'connect'
  /** The connection could not be established in time. Nothing was sent. */
  | 'connect-timeout'
  /** The connection broke before a complete response (reset, "other side closed"). */
  | 'reset'
  /** The response head did not arrive within the read timeout, or the upstream took no part
   * of the request body within the send timeout. */
  | 'timeout'
  /** The response could not be parsed, or anything else. */
  | 'bad-response'
  /** The upstream answered a status `retries.on` lists (502/503/504): dropped to retry. */
  | 'status';

/** Every FailureKind (the `reason` label of pier_upstream_failures_total). */
export const FAILURE_KINDS: readonly FailureKind[] = ['connect', 'connect-timeout', 'reset', 'timeout', 'bad-response', 'status'];

const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN',
  'UND_ERR_CLOSED', 'UND_ERR_DESTROYED',
  // A unix socket endpoint (FastCGI) that does not exist (yet) or may not be opened.
  'ENOENT', 'EACCES',
]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED']);

/** Code of the error a proxy exchange aborts a try with when its send timer expires (read
 * timeouts are the pool's: UND_ERR_HEADERS_TIMEOUT / UND_ERR_BODY_TIMEOUT). */
export const SEND_TIMEOUT_CODE = 'PIER_ERR_UPSTREAM_SEND_TIMEOUT';

const kKeepaliveRace = Symbol('pier.keepaliveRace');

/**
 * Marks `err` as the idle-close race: a *reused* keepalive connection closed before any answer
 * (the upstream gave up on it as it was picked). That says nothing about the server or the
 * request, so ProxyExchange retries it without using up a try (nginx's rule for a failed cached
 * connection) and without a back-off. A pool marks it where it sees the close.
 */
export function markKeepaliveRace(err: Error): void {
  (err as Error & { [kKeepaliveRace]?: true })[kKeepaliveRace] = true;
}

/** The failure is the idle-close race (see markKeepaliveRace). */
export function isKeepaliveRace(err: unknown): boolean {
  return (err as { [kKeepaliveRace]?: true } | null)?.[kKeepaliveRace] === true;
}

/** Aborts a try whose status is in `retries.on`, so it is retried like a failure. */
export class RetryableStatus extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`upstream answered ${status}`);
    this.status = status;
  }
}

/** Classifies an error from undici's dispatch. */
export function classifyFailure(err: unknown): FailureKind {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'bad-response';
  if (CONNECT_CODES.has(code)) return 'connect';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect-timeout';
  if (RESET_CODES.has(code)) return 'reset';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === SEND_TIMEOUT_CODE) return 'timeout';
  return 'bad-response';
}

/** nginx's answers: 504 for timeouts (connecting included), 502 for everything else. */
export function failureStatus(kind: FailureKind): 502 | 504 {
  return kind === 'timeout' || kind === 'connect-timeout' ? 504 : 502;
}

/** Nothing of the request left Pier, so even a non-idempotent request may be retried. */
export function nothingSent(kind: FailureKind): boolean {
  return kind === 'connect' || kind === 'connect-timeout';
}

/** Idempotent methods (RFC 9110 §9.2.2): safe to send twice. */
export function isIdempotent(method: string): boolean {
  switch (method) {
    case 'GET': case 'HEAD': case 'OPTIONS': case 'PUT': case 'DELETE': case 'TRACE':
      return true;
    default:
      return false;
  }
}
