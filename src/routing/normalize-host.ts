/**
 * Host normalization for matching, shared by the matcher and anything that needs the same key
 * (access logs, SNI later).
 */

const DOT = 46;
const CLOSE_BRACKET = 93;

/**
 * The matching key of a Host header value (or an SNI name): lower-case, port removed, one
 * trailing dot removed. IPv6 literals keep their brackets (`[::1]:8080` → `[::1]`). Missing or
 * empty hosts (HTTP/1.0 without Host) give `''`, which only the any-host entry matches.
 *
 * Returns the input itself when it is already normalized, so the common case allocates nothing.
 */
export function normalizeHost(host: string | undefined): string {
  if (host === undefined || host.length === 0) return '';
  let end = host.length;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']');
    if (close > 0) end = close + 1;
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) end = colon;
  }
  if (end > 0 && host.charCodeAt(end - 1) === DOT) end--;
  const trimmed = end === host.length ? host : host.slice(0, end);
  return hasUpper(trimmed) ? trimmed.toLowerCase() : trimmed;
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
    if (c > 127) return true; // non-ASCII: let toLowerCase decide
  }
  return false;
}

/**
 * The suffix a single-label wildcard must name for `host` to match it: `bar.foo.com` → `foo.com`
 * (looked up as `*.foo.com`). Undefined when the host has no dot, an empty first label, or is an
 * IPv6 literal.
 */
export function wildcardSuffix(host: string): string | undefined {
  const dot = host.indexOf('.');
  if (dot <= 0 || dot === host.length - 1) return undefined;
  if (host.charCodeAt(host.length - 1) === CLOSE_BRACKET || host.charCodeAt(0) === 91) return undefined;
  return host.slice(dot + 1);
}
