import { STATUS_CODES } from 'node:http';
import type { Admission } from './admission.ts';

/**
 * A filter answers the request itself: `status` with `headers` (flat) and a short plain body
 * (nginx sends a small HTML page for redirects; Pier sends one line of text, no version).
 * Response hooks registered by filters that ran earlier (header edits) apply to it too.
 * `close` ends the connection after it (a request body left unread, ...). Returns false, the
 * filter verdict "answered".
 */
export function answer(admission: Admission, status: number, headers: string[], text?: string, close = admission.close): false {
  const res = admission.res;
  if (res.headersSent || res.destroyed) return false;
  const body = Buffer.from(text ?? `${status} ${STATUS_CODES[status] ?? ''}\n`, 'latin1');
  headers.push('content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length));
  if (close) headers.push('connection', 'close');
  admission.applyResponseHooks(status, headers);
  res.writeHead(status, undefined, headers);
  res.end(admission.req.method === 'HEAD' ? undefined : body);
  return false;
}

/** A redirect to `location` with `code`. */
export function redirect(admission: Admission, code: number, location: string): false {
  return answer(admission, code, ['location', location]);
}
