import type { OutgoingHttpHeaders } from 'node:http2';
import { equalsLower as eq } from '../../ascii-case.ts';

/**
 * Header conversion between Pier's flat `[name, value, ...]` lists (HTTP/1.1 shaped, as
 * ProxyExchange hands them over) and node:http2's header objects.
 */

/**
 * The request headers for an HTTP/2 upstream: the four pseudo-headers first, then the flat
 * list lower-cased (HTTP/2 field names must be), without the connection-specific fields
 * RFC 9113 §8.2.2 forbids (node would throw on them), and with Host turned into `:authority`
 * (§8.3.1: an intermediary builds `:authority` from the original request's authority; the
 * first Host routed the request, so it is the one kept). Repeated names become arrays, which
 * node sends as repeated fields. `te: trailers` is always sent: this client relays trailers
 * (gRPC servers expect it, RFC 9113 §8.2.2 allows exactly this value).
 */
export function h2RequestHeaders(method: string, path: string, scheme: string, defaultAuthority: string, flat: readonly string[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': method, ':scheme': scheme, ':path': path, ':authority': defaultAuthority };
  let sawHost = false;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    const value = flat[i + 1]!;
    if (!forwardable(name)) {
      if (name.length === 4 && eq(name, 'host') && !sawHost) {
        sawHost = true;
        out[':authority'] = value;
      }
      continue;
    }
    const key = lowerAscii(name);
    const seen = out[key];
    if (seen === undefined) out[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[key] = [String(seen), value];
  }
  out.te = 'trailers';
  return out;
}

/** Whether a request field may cross into HTTP/2 as it is (not Host, TE or a connection-specific one). */
function forwardable(name: string): boolean {
  if (name.charCodeAt(0) === 58) return false; // ':': a pseudo-header is never a field
  switch (name.length) {
    case 2: return !eq(name, 'te');
    case 4: return !eq(name, 'host');
    case 7: return !eq(name, 'upgrade');
    case 10: return !eq(name, 'connection') && !eq(name, 'keep-alive');
    case 14: return !eq(name, 'http2-settings');
    case 16: return !eq(name, 'proxy-connection');
    case 17: return !eq(name, 'transfer-encoding');
    default: return true;
  }
}

/** `name` lower-cased, without a copy when it already is (nearly always: ours, or HTTP/2's). */
function lowerAscii(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) return name.toLowerCase();
  }
  return name;
}

/**
 * A response's (or trailer block's) raw fields as node:http2 delivers them (flat, names
 * lower-case, in wire order, repeats kept) minus the pseudo-headers: the flat string list
 * UpstreamHandler.onHeaders / onComplete take. Connection-specific fields cannot be there (node
 * refuses a response carrying them as malformed).
 */
export function flatFields(raw: readonly string[]): string[] {
  let start = 0;
  while (start < raw.length && raw[start]!.charCodeAt(0) === 58) start += 2;
  let pseudo = false;
  for (let i = start; i < raw.length; i += 2) if (raw[i]!.charCodeAt(0) === 58) pseudo = true;
  if (!pseudo) return start === 0 ? (raw as string[]) : raw.slice(start);
  const out: string[] = [];
  for (let i = start; i < raw.length; i += 2) if (raw[i]!.charCodeAt(0) !== 58) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

/** Flat trailer fields (already fit to forward) → the object node:http2's sendTrailers takes
 * (repeats as arrays); none → `{}`, which ends the stream with an empty DATA frame. */
export function trailerObject(flat: readonly string[] | null): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  if (flat === null) return out;
  for (let i = 0; i < flat.length; i += 2) {
    const key = lowerAscii(flat[i]!);
    const value = flat[i + 1]!;
    const seen = out[key];
    if (seen === undefined) out[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[key] = [String(seen), value];
  }
  return out;
}
