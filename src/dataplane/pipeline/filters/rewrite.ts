import { RE2JS } from 're2js';
import type { RewritePolicy } from '../../../routing/policies.ts';
import type { RequestFilter } from '../admission.ts';
import { redirect } from '../answer.ts';
import { setHeader } from './header-lists.ts';

/**
 * `rewrite-target`, as ingress-nginx writes it: `rewrite "(?i)<path>" <target> break;`. When
 * the route's pattern matches the path (case-insensitive, unanchored, leftmost match: the
 * route matched at the start, so this is the same match), the whole path is replaced by the
 * target with `$1`..`$9` filled from the captures (a missing group is empty). The query string
 * is kept: appended after `?`, or after `&` when the target brings its own arguments; a target
 * ending in `?` drops it (nginx's rewrite rules). A target starting with `http://` or
 * `https://` is a 302 redirect, as nginx's rewrite makes it. `x-forwarded-prefix` goes
 * upstream as `X-Forwarded-Prefix` with the rewrite (ingress-nginx sets it only there).
 *
 * Pier matches the path as received (not percent-decoded, no `//` merging), as it routes.
 * Patterns run on RE2 (linear time).
 */
export function rewriteFilter(policy: RewritePolicy): RequestFilter {
  const pattern = RE2JS.compile(policy.pattern, RE2JS.CASE_INSENSITIVE);
  // A `$n` beyond the pattern's groups is empty (nginx), never a lookup that throws.
  const groups = pattern.groupCount();
  const pieces = parseTarget(policy.target).map((p) => (typeof p === 'number' && p > groups ? '' : p));
  const prefix = policy.forwardedPrefix;
  return (a) => {
    const t = a.target;
    const q = t.indexOf('?');
    const path = q < 0 ? t : t.slice(0, q);
    const m = pattern.matcher(path);
    if (!m.find()) return true;
    let out = '';
    for (const piece of pieces) out += typeof piece === 'string' ? piece : (m.group(piece) ?? '');
    const args = q < 0 ? '' : t.slice(q + 1);
    if (out.endsWith('?')) out = out.slice(0, -1);
    else if (args !== '') out += out.includes('?') ? `&${args}` : `?${args}`;
    if (out.startsWith('http://') || out.startsWith('https://')) return redirect(a, 302, out);
    a.target = out.startsWith('/') ? out : `/${out}`;
    if (prefix !== undefined) a.editRequest((headers) => setHeader(headers, 'x-forwarded-prefix', prefix));
    return true;
  };
}

/** `/$2/x` → ['/', 2, '/x']: literal text and capture numbers (nginx: `$1`..`$9`). */
export function parseTarget(target: string): (string | number)[] {
  const out: (string | number)[] = [];
  let text = '';
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    const next = target.charCodeAt(i + 1);
    if (c === 36 /* $ */ && next >= 48 && next <= 57) {
      if (text !== '') out.push(text);
      text = '';
      out.push(next - 48);
      i++;
    } else {
      text += target[i];
    }
  }
  if (text !== '') out.push(text);
  return out;
}
