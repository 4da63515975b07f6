import { equalsLower } from './ascii-case.ts';
import type { DownstreamRequest, DownstreamResponse } from './front/downstream.ts';
import type { ProxyExchange } from './proxy-exchange.ts';
import { requestIdOf } from './request-id.ts';

/** Where access lines go: a sonic-boom destination (observe/access-log-destination.ts) in a
 * worker, anything with `write` in tests. */
export interface AccessLogDestination {
  write(line: string): unknown;
}

/**
 * One JSON line per finished request, with the field names of ingress-nginx's documented JSON
 * `log-format-upstream` (time, request_id, remote_addr, method, vhost, path, request_query,
 * request_proto, status, bytes_sent, request_length, request_time, http_referrer,
 * http_user_agent) and of its upstream and Ingress variables (upstream_addr, upstream_status,
 * upstream_response_time, namespace, ingress_name, service_name). Times are seconds with
 * millisecond resolution, as nginx writes them; an absent value is null. `pid` is the worker's
 * (nginx's `$pid`). `reason` says why
 * Pier answered an error itself: no-route, no-endpoint, or the last try's failure (connect,
 * connect-timeout, reset, timeout, bad-response, status).
 */
export class AccessLog {
  readonly #out: AccessLogDestination;

  constructor(out: AccessLogDestination) {
    this.#out = out;
  }

  /** Writes the line of `res` (already counted: `status`, `seconds`, `requestBytes`,
   * `upstreamSeconds` as recorded; -1: no upstream response). */
  write(res: DownstreamResponse, status: number, seconds: number, requestBytes: number, ex: ProxyExchange | undefined, upstreamSeconds: number): void {
    const req = res.req;
    const target = req.url;
    const q = target.indexOf('?');
    const server = ex !== undefined && ex.server >= 0 ? ex.runtime.backend.servers[ex.server] : undefined;
    const labels = res.meter?.labels;
    this.#out.write(`${JSON.stringify({
      time: isoNow(),
      pid: process.pid,
      request_id: requestIdOf(req.facts),
      remote_addr: req.conn.clientAddress,
      method: req.method,
      vhost: hostOf(req),
      path: q < 0 ? target : target.slice(0, q),
      request_query: q < 0 ? '' : target.slice(q + 1),
      request_proto: `HTTP/${req.httpVersion}`,
      status,
      bytes_sent: res.bytesSent,
      request_length: requestBytes,
      request_time: milliRound(seconds),
      upstream_addr: server === undefined ? null : `${server.host}:${server.port}`,
      upstream_status: ex === undefined || ex.upstreamStatus === 0 ? null : ex.upstreamStatus,
      upstream_response_time: upstreamSeconds < 0 ? null : milliRound(upstreamSeconds),
      proxy_upstream_name: ex?.runtime.backend.id ?? null,
      namespace: labels?.namespace ?? '',
      ingress_name: labels?.ingress ?? '',
      service_name: labels?.service ?? '',
      http_referrer: header(req, 'referer'),
      http_user_agent: header(req, 'user-agent'),
      reason: reasonOf(res, status, ex),
    })}\n`);
  }
}

let isoMs = 0;
let iso = '';

/** The time as ISO 8601 with milliseconds, formatted once per millisecond (a busy worker
 * writes several lines within one: formatting a Date costs more than the rest of a line). */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    iso = new Date(now).toISOString();
  }
  return iso;
}

/** nginx's `$host`: the authority's host, lower-case, without port. */
function hostOf(req: DownstreamRequest): string {
  const host = req.facts.host;
  if (host === undefined) return '';
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.lastIndexOf(':');
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}

/** The first `name` header (lower-case name), from the raw list: no header object built. */
function header(req: DownstreamRequest, name: string): string | null {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === name.length && equalsLower(raw[i]!, name)) return raw[i + 1]!;
  return null;
}

function milliRound(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** Why Pier answered 404/502/503/504 itself; undefined (omitted) for anything else. */
function reasonOf(res: DownstreamResponse, status: number, ex: ProxyExchange | undefined): string | undefined {
  if (ex !== undefined) return ex.failure;
  if (status === 404 && res.meter?.labels.ingress === '' && res.meter.labels.service === '') return 'no-route';
  if (status === 503) return 'no-endpoint';
  return undefined;
}

/** nginx's `$request_length`: request line, headers and body, in bytes (as received). */
export function requestLength(req: DownstreamRequest): number {
  const raw = req.rawHeaders;
  let n = req.method.length + req.url.length + 14 + req.bodyBytes; // "M U HTTP/1.1\r\n" + the final CRLF
  for (let i = 0; i < raw.length; i++) n += raw[i]!.length + 2; // "name: value\r\n"
  return n;
}
