import type { ResponseRewritePolicy, RewriteRule } from '../../../routing/policies.ts';
import { equalsLower } from '../../ascii-case.ts';
import type { RequestFilter, ResponseHook } from '../admission.ts';

/**
 * `proxy-redirect-from`/`-to`, `proxy-cookie-domain`, `proxy-cookie-path`: nginx's
 * proxy_redirect, proxy_cookie_domain and proxy_cookie_path (ngx_http_proxy_module, text forms)
 * on the head the upstream sent, fetched now or served from the cache (`originHead`), for
 * HTTP/1.1 and HTTP/2 clients alike. Pier's own answers are left alone, as nginx's `return`s.
 * The hook is only registered on routes with one of the annotations; other routes pay nothing.
 */
export function responseRewriteFilter(policy: ResponseRewritePolicy): RequestFilter {
  const hook: ResponseHook = (_status, headers, a) => {
    if (a.originHead) rewriteHead(policy, headers);
  };
  return (a) => {
    a.onResponse(hook);
    return true;
  };
}

/** Rewrites Location, Refresh and every Set-Cookie of a flat header list, in place. */
export function rewriteHead(policy: ResponseRewritePolicy, headers: string[]): void {
  const redirect = policy.redirect;
  const cookies = policy.cookieDomain !== undefined || policy.cookiePath !== undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    let next: string | undefined;
    if (name.length === 10) {
      if (cookies && equalsLower(name, 'set-cookie')) next = rewriteSetCookie(value, policy);
    } else if (redirect !== undefined) {
      if (name.length === 8 && equalsLower(name, 'location')) next = rewriteLocation(value, redirect);
      else if (name.length === 7 && equalsLower(name, 'refresh')) next = rewriteRefresh(value, redirect);
    }
    if (next !== undefined) headers[i + 1] = next;
  }
}

/** proxy_redirect on a Location value: the `from` prefix (case-sensitive) replaced by `to`;
 * undefined when it does not start with `from`. */
export function rewriteLocation(value: string, rule: RewriteRule): string | undefined {
  return value.startsWith(rule.from) ? rule.to + value.slice(rule.from.length) : undefined;
}

/** proxy_redirect on a Refresh value (`5; url=http://...`): the same, on what follows the
 * first `url=` (any case); undefined when there is none or it does not match. */
export function rewriteRefresh(value: string, rule: RewriteRule): string | undefined {
  const at = value.toLowerCase().indexOf('url=');
  if (at < 0) return undefined;
  const start = at + 4;
  return value.startsWith(rule.from, start) ? value.slice(0, start) + rule.to + value.slice(start + rule.from.length) : undefined;
}

/** One `name=value` piece of a Set-Cookie value, spaces trimmed; `value` undefined without `=`. */
interface Attribute {
  readonly name: string;
  value: string | undefined;
}

/**
 * proxy_cookie_domain and proxy_cookie_path on one Set-Cookie value, parsed as nginx does
 * (pieces split at `;`, names and values trimmed of spaces; the first piece is the cookie, and
 * a value without `=` there is left alone). A `Domain` / `Path` attribute (any case) is
 * rewritten; when one was, the value is written again with `; ` between the pieces, as nginx
 * does. Undefined when nothing changed.
 */
export function rewriteSetCookie(value: string, policy: ResponseRewritePolicy): string | undefined {
  const attrs = parseCookie(value);
  if (attrs[0]!.value === undefined) return undefined;
  let changed = false;
  for (let i = 1; i < attrs.length; i++) {
    const attr = attrs[i]!;
    if (attr.value === undefined) continue;
    let next: string | undefined;
    if (attr.name.length === 6 && policy.cookieDomain !== undefined && equalsLower(attr.name, 'domain')) next = rewriteDomain(attr.value, policy.cookieDomain);
    else if (attr.name.length === 4 && policy.cookiePath !== undefined && equalsLower(attr.name, 'path')) next = rewriteLocation(attr.value, policy.cookiePath);
    if (next !== undefined) {
      attr.value = next;
      changed = true;
    }
  }
  if (!changed) return undefined;
  return attrs.map((a) => (a.value === undefined ? a.name : `${a.name}=${a.value}`)).join('; ');
}

/** A cookie domain equal to `from` without case (a leading dot of the cookie's is set aside
 * and kept) becomes `to`; undefined otherwise. `from` and `to` carry no leading dot (translate
 * drops it, as nginx does). */
export function rewriteDomain(value: string, rule: RewriteRule): string | undefined {
  const dot = value.startsWith('.') ? 1 : 0;
  if (value.length - dot !== rule.from.length || value.slice(dot).toLowerCase() !== rule.from.toLowerCase()) return undefined;
  return value.slice(0, dot) + rule.to;
}

function parseCookie(value: string): Attribute[] {
  const attrs: Attribute[] = [];
  for (const piece of value.split(';')) {
    const eq = piece.indexOf('=');
    if (eq < 0) attrs.push({ name: trimSpaces(piece), value: undefined });
    else attrs.push({ name: trimSpaces(piece.slice(0, eq)), value: trimSpaces(piece.slice(eq + 1)) });
  }
  return attrs;
}

/** nginx trims spaces only (not tabs) around cookie names and values. */
function trimSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) === 32) start++;
  while (end > start && text.charCodeAt(end - 1) === 32) end--;
  return text.slice(start, end);
}
