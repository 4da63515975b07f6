import { STATUS_CODES } from 'node:http';
import type { DataplaneStats, PierStatus } from './dataplane-stats.ts';
import type { DownstreamResponse } from './front/downstream.ts';
import { grpcErrorHeaders, isGrpcRequest } from './grpc-status.ts';
import type { AnswerScope } from './pipeline/admission.ts';

/** `502 Bad Gateway\n`: short, plain, no version, no internal detail. Built once per status. */
const BODIES = new Map<number, Buffer>();
export function errorBody(status: number): Buffer {
  let b = BODIES.get(status);
  if (b === undefined) {
    b = Buffer.from(`${status} ${STATUS_CODES[status] ?? 'Error'}\n`, 'latin1');
    BODIES.set(status, b);
  }
  return b;
}

/**
 * Answers `res` with a status Pier produced itself. `close` (draining) adds `Connection:
 * close`; `scope` carries `--add-headers` when the table has it (the request's Admission).
 * Does nothing when the head already went out (the caller destroys the response then).
 */
export function sendError(res: DownstreamResponse, status: PierStatus, stats: DataplaneStats, close: boolean, scope?: AnswerScope): void {
  stats.errors[status]++;
  if (res.headersSent || res.destroyed) return;
  if (isGrpcRequest(res.req)) {
    // A gRPC client gets a gRPC status (grpc-status.ts), never a text body.
    const headers = grpcErrorHeaders(status);
    if (close) headers.push('connection', 'close');
    scope?.answerHeaders?.(headers, scope);
    res.writeHead(200, undefined, headers);
    res.end();
    return;
  }
  const b = errorBody(status);
  const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(b.length), 'cache-control', 'no-store'];
  if (close) headers.push('connection', 'close');
  scope?.answerHeaders?.(headers, scope);
  res.writeHead(status, undefined, headers);
  res.end(b);
}

/** Statuses the connection layer answers on its own, before any request handling. */
export type ClientErrorStatus = 400 | 405 | 408 | 413 | 431 | 501 | 505;

const RAW = new Map<number, string>();

/**
 * A complete response for a status Pier answers on the raw socket and then closes on
 * (malformed request, header overflow, request head timeout, CONNECT, refused upgrade, a
 * transfer coding or HTTP version Pier does not implement).
 */
export function rawErrorResponse(status: PierStatus): string {
  let raw = RAW.get(status);
  if (raw === undefined) {
    const b = errorBody(status);
    raw = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${b.length}\r\nConnection: close\r\n\r\n${b.toString('latin1')}`;
    RAW.set(status, raw);
  }
  return raw;
}
