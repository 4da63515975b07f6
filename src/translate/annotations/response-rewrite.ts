import type { ResponseRewritePolicy, RewriteRule } from '../../routing/policies.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** ingress-nginx's cookie-domain characters: letters, digits and `- . _ ~ / :`. */
const DOMAIN = /^[-._~a-zA-Z0-9/:]+$/;
/** A URL or path as one token: visible ASCII (no space or control character). */
const TOKEN = /^[\x21-\x7e]+$/;

/**
 * Response rewriting, as ingress-nginx writes nginx's proxy module directives (nginx.tmpl):
 * - `proxy-redirect-from` / `proxy-redirect-to` → `proxy_redirect <from> <to>`: `off` (the
 *   default) and `default` in from write no rule (`default` names ingress-nginx's internal
 *   upstream URL, which no backend sends); to `off` (its default) writes none either.
 * - `proxy-cookie-domain` / `proxy-cookie-path`: `off` (the default) or `<from> <to>`.
 * Text forms only: a regular expression (`~...`) or an nginx variable (`$...`) is an error
 * naming the annotation, as ingress-nginx's validation refuses those characters too.
 * The flags of the same names (ingress-nginx's ConfigMap keys) are read where an Ingress sets
 * none (AnnotationReader's fallbacks): each annotation replaces its own key only, as ingress-
 * nginx's proxy parser, so a controller `proxy-redirect-from` pairs with an Ingress's `-to`.
 */
export function parseResponseRewrite(r: AnnotationReader, s: IngressSettings): void {
  const redirect = redirectRule(r);
  const cookieDomain = pairOf(r, 'proxy-cookie-domain', true);
  const cookiePath = pairOf(r, 'proxy-cookie-path', false);
  if (redirect === undefined && cookieDomain === undefined && cookiePath === undefined) return;
  const policy: { -readonly [K in keyof ResponseRewritePolicy]: ResponseRewritePolicy[K] } = { kind: 'response-rewrite' };
  if (redirect !== undefined) policy.redirect = redirect;
  if (cookieDomain !== undefined) policy.cookieDomain = cookieDomain;
  if (cookiePath !== undefined) policy.cookiePath = cookiePath;
  s.policies.push(policy);
}

function redirectRule(r: AnnotationReader): RewriteRule | undefined {
  const from = r.string('proxy-redirect-from');
  const to = r.string('proxy-redirect-to');
  const fromSet = from !== undefined && from !== '' && from !== 'off' && from !== 'default';
  const toSet = to !== undefined && to !== '' && to !== 'off';
  if (fromSet && !token(r, 'proxy-redirect-from', from, true)) return undefined;
  if (toSet && !token(r, 'proxy-redirect-to', to, false)) return undefined;
  // Only about the Ingress's own value: a controller value alone waits for the other half.
  if (fromSet && !toSet && !r.fromController('proxy-redirect-from')) r.notice('proxy-redirect-from', 'has no effect without proxy-redirect-to (ingress-nginx writes no proxy_redirect then)');
  if (!fromSet && toSet && !r.fromController('proxy-redirect-to')) r.notice('proxy-redirect-to', 'has no effect without proxy-redirect-from (not set, "off" or "default")');
  return fromSet && toSet ? { from, to } : undefined;
}

/** `off`, or two tokens separated by white space (a domain drops one leading dot, as nginx). */
function pairOf(r: AnnotationReader, name: string, domain: boolean): RewriteRule | undefined {
  const value = r.string(name);
  if (value === undefined || value === '' || value === 'off') return undefined;
  const parts = value.split(/\s+/);
  if (parts.length !== 2) return r.fail(name, `must be "off" or two values separated by a space (the ${domain ? 'domain' : 'path'} to change and its replacement)`);
  let [from, to] = parts as [string, string];
  if (!token(r, name, from, true) || !token(r, name, to, false)) return undefined;
  if (domain) {
    if (!DOMAIN.test(from) || !DOMAIN.test(to)) return r.fail(name, 'may contain only letters, digits and - . _ ~ / : in its domains');
    if (from.startsWith('.')) from = from.slice(1);
    if (to.startsWith('.')) to = to.slice(1);
    if (from === '') return r.fail(name, 'must name a domain to change');
  } else if (/[;,]/.test(from + to)) return r.fail(name, 'may not contain ";" or "," in a cookie path');
  return { from, to };
}

/** A text `from` or `to` of nginx's directives, as Pier applies them. */
function token(r: AnnotationReader, name: string, text: string, pattern: boolean): boolean {
  if (!TOKEN.test(text)) return r.fail(name, 'must be one value without spaces or control characters') ?? false;
  if (pattern && text.startsWith('~')) return r.fail(name, 'is a regular expression (~); Pier supports the text form only (a prefix to replace)') ?? false;
  if (text.includes('$')) return r.fail(name, 'uses an nginx variable ($); Pier supports plain text only') ?? false;
  return true;
}
