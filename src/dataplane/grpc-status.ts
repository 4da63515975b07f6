import { STATUS_CODES } from 'node:http';
import type { DownstreamRequest } from './front/downstream.ts';

/**
 * gRPC's own answers for the statuses Pier produces (no route, no endpoint, upstream down or
 * timed out): a gRPC client reads `grpc-status` and never an HTML or text body, so a gRPC
 * request gets a trailers-only response (HTTP 200, `content-type: application/grpc`, status in
 * the head, no body). Codes from gRPC's HTTP-to-gRPC mapping
 * (https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md).
 */
export function grpcStatusFor(httpStatus: number): number {
  switch (httpStatus) {
    case 400: return 13; // INTERNAL
    case 401: return 16; // UNAUTHENTICATED
    case 403: return 7; // PERMISSION_DENIED
    case 404: return 12; // UNIMPLEMENTED
    case 429: case 502: case 503: case 504: return 14; // UNAVAILABLE
    default: return 2; // UNKNOWN
  }
}

/** A gRPC request: `content-type: application/grpc` (`+proto`, `+json`, ...), not gRPC-Web. */
export function isGrpcRequest(req: DownstreamRequest): boolean {
  const type = req.headers['content-type'];
  return type !== undefined && type.startsWith('application/grpc') && !type.startsWith('application/grpc-web');
}

/** The head of Pier's trailers-only gRPC answer for `httpStatus` (`grpc-message` is
 * percent-encoded text, here plain ASCII words). */
export function grpcErrorHeaders(httpStatus: number): string[] {
  const message = `${httpStatus} ${STATUS_CODES[httpStatus] ?? 'Error'}`.replace(/ /g, '%20');
  return ['content-type', 'application/grpc', 'grpc-status', String(grpcStatusFor(httpStatus)), 'grpc-message', message, 'cache-control', 'no-store'];
}
