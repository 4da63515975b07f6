import ipaddr from 'ipaddr.js';
import { parseIpv4, type CidrSet } from './cidr-set.ts';
import { equalsLower } from './ascii-case.ts';
import type { DownstreamRequest } from './front/downstream.ts';

/** `--forwarded-for-header`, lower-case: where a trusted proxy names the client. */
let forwardedFor = 'x-forwarded-for';

/**
 * `--forwarded-for-header` (ingress-nginx's ConfigMap key, nginx's real_ip_header): the header
 * a trusted proxy names the client in, e.g. Cloudflare's `CF-Connecting-IP`. Process-wide, as
 * the worker's flags are: set once at start.
 */
export function setForwardedForHeader(name: string): void {
  forwardedFor = name.toLowerCase();
}

/** `--forwarded-for-header` is X-Forwarded-For (the default). */
export function readsXForwardedFor(): boolean {
  return forwardedFor === 'x-forwarded-for';
}

/** The value of the `--forwarded-for-header` lines of `raw` (flat request headers), joined
 * with `, ` as nginx joins repeated ones; undefined when there is none. */
export function forwardedForValue(raw: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === forwardedFor.length && equalsLower(name, forwardedFor)) value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
  }
  return value;
}

/**
 * The address access control uses for a request (nginx's `$remote_addr` after its realip
 * module with `real_ip_recursive on`):
 * - the connection's address: the socket's peer, or the source a PROXY protocol header gave
 *   (`--proxy-protocol`);
 * - unless that address is one of `--trusted-proxies` (the front then sets
 *   `conn.trustedProxies`): X-Forwarded-For (or `--forwarded-for-header`) is read right to left, skipping trusted addresses,
 *   and the first untrusted one counts. If every entry is trusted, the left-most one counts; an
 *   entry that is not an address stops the walk at the last address reached (as nginx). Without
 *   X-Forwarded-For the connection's address counts.
 * A connection from an untrusted peer can never choose its address by sending the header.
 */
export function clientAddressOf(req: DownstreamRequest): string {
  const conn = req.conn;
  const trusted = conn.trustedProxies;
  if (trusted === undefined) return conn.clientAddress;
  const header = req.headers[forwardedFor];
  if (header === undefined) return conn.clientAddress;
  return rightmostUntrusted(typeof header === 'string' ? header : (header as string[]).join(', '), trusted, conn.clientAddress);
}

/** The walk of clientAddressOf over one (comma-joined) X-Forwarded-For value. */
export function rightmostUntrusted(header: string, trusted: CidrSet, peer: string): string {
  let address = peer;
  let end = header.length;
  while (end > 0) {
    const comma = header.lastIndexOf(',', end - 1);
    const entry = header.slice(comma + 1, end).trim();
    end = comma < 0 ? 0 : comma;
    if (entry === '') continue;
    const plain = unbracket(entry);
    if (!looksLikeAddress(plain)) return address;
    address = plain;
    if (!trusted.has(plain)) return address;
  }
  return address;
}

/** `[2001:db8::1]` and `[2001:db8::1]:443` → `2001:db8::1`; `10.0.0.1:443` → `10.0.0.1`. */
function unbracket(entry: string): string {
  if (entry.charCodeAt(0) === 91) {
    const close = entry.indexOf(']');
    return close < 0 ? entry : entry.slice(1, close);
  }
  const colon = entry.indexOf(':');
  return colon > 0 && colon === entry.lastIndexOf(':') ? entry.slice(0, colon) : entry;
}

function looksLikeAddress(text: string): boolean {
  return parseIpv4(text) >= 0 || (text.includes(':') && ipaddr.IPv6.isValid(text));
}
