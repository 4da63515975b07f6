import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DataplaneStats, PierStatus } from './dataplane-stats.ts';

/** `502 Bad Gateway\n`: short, plain, no version, no internal detail. Built once per status. */
const BODIES = new Map<number, Buffer>();
function body(status: number): Buffer {
  let b = BODIES.get(status);
  if (b === undefined) {
    b = Buffer.from(`${status} ${STATUS_CODES[status] ?? 'Error'}\n`, 'latin1');
    BODIES.set(status, b);
  }
  return b;
}

/**
 * Answers `res` with a status Pier produced itself. `close` (draining) adds `Connection:
 * close`. Does nothing when the head already went out (the caller destroys the response then).
 */
export function sendError(res: ServerResponse, status: PierStatus, stats: DataplaneStats, close: boolean): void {
  stats.errors[status]++;
  if (res.headersSent || res.destroyed) return;
  const b = body(status);
  const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(b.length), 'cache-control', 'no-store'];
  if (close) headers.push('connection', 'close');
  res.writeHead(status, headers);
  res.end(b);
}

/**
 * node:http's `clientError` (unparsable request, header overflow, request timeout): answer with
 * a 4xx and close, never crash. Nothing is written when a response is already on the wire or
 * the socket is gone.
 */
export function onClientError(err: NodeJS.ErrnoException, socket: Duplex, stats: DataplaneStats): void {
  const status: PierStatus = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  stats.errors[status]++;
  const b = body(status);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${b.length}\r\nConnection: close\r\n\r\n${b.toString('latin1')}`);
}
