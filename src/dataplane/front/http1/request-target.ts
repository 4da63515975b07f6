import { isAuthority } from '../../authority.ts';
import type { RequestHeaderFacts } from '../../forward-headers.ts';

/**
 * The request target as everything after the connection sees it (RFC 9112 §3.2): the
 * origin-form path (`/a?b`), with the authority in `facts.host`. An absolute-form target
 * (`GET http://foo.com/a HTTP/1.1`) gives its authority to `facts.host` whatever the Host header
 * said (§3.2.2: the Host header is ignored and replaced), so routing, X-Forwarded-Host and the
 * Host sent upstream all agree, for requests and upgrades alike, with or without a Host header.
 * null: the request is refused with 400 — a target of another form (authority-form is CONNECT's,
 * which Pier refuses before this; `*` only with OPTIONS), a fragment (`#` is not part of any
 * request-target: §3.2), an absolute-form target with userinfo, an empty or invalid authority or
 * a scheme other than http(s), or an HTTP/1.1 request without Host (§3.2: a server MUST answer
 * 400).
 */
export function originTarget(method: string, target: string, facts: RequestHeaderFacts, http11: boolean): string | null {
  if (target.charCodeAt(0) === 0x2f /* / */) {
    if (target.indexOf('#') >= 0) return null;
    return facts.host === undefined && http11 ? null : target;
  }
  if (target === '*') return method === 'OPTIONS' && (facts.host !== undefined || !http11) ? target : null;
  const scheme = schemeLength(target);
  if (scheme === 0) return null;
  let end = scheme;
  while (end < target.length) {
    const c = target.charCodeAt(end);
    if (c === 0x2f /* / */ || c === 0x3f /* ? */) break;
    end++;
  }
  const authority = target.slice(scheme, end);
  // isAuthority refuses '@' (userinfo), '#', and whitespace; the host part must not be empty.
  if (authority === '' || authority.charCodeAt(0) === 0x3a || !isAuthority(authority)) return null;
  const rest = target.slice(end);
  if (rest.indexOf('#') >= 0) return null;
  facts.host = authority;
  if (rest === '') return '/';
  return rest.charCodeAt(0) === 0x3f ? `/${rest}` : rest;
}

/** Length of `http://` or `https://` at the start of `target` (any case), else 0. */
function schemeLength(target: string): number {
  const s = target.slice(0, 8).toLowerCase();
  if (s.startsWith('http://')) return 7;
  if (s.startsWith('https://')) return 8;
  return 0;
}
