import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** ingress-nginx's RegexPathWithCapture: what `rewrite-target` may contain. */
const REWRITE_TARGET = /^\/?[-._~a-zA-Z0-9/:$]*$/;
/** A path (`app-root`, `x-forwarded-prefix`): no spaces, quotes or control characters. */
const PATH = /^\/[-._~a-zA-Z0-9/:%@!$&'()*+,;=]*$/;

/**
 * Paths family: `use-regex`, `rewrite-target`, `x-forwarded-prefix`, `app-root`.
 * - use-regex, or a rewrite-target that differs from a path: the host's paths are regular
 *   expressions (as in ingress-nginx, every path of the host: merge-routes applies that).
 * - rewrite-target: a RewritePolicy per route (built in ingress-processor with the route's path).
 * - app-root: `/` redirects (302) to this path; must be a path, not a URL.
 */
export function parsePaths(r: AnnotationReader, s: IngressSettings): void {
  s.regex = r.bool('use-regex') ?? false;
  const target = r.string('rewrite-target');
  if (target !== undefined) {
    if (!REWRITE_TARGET.test(target)) r.fail('rewrite-target', 'may contain only a path with $1..$9 captures (letters, digits, - . _ ~ / : $)');
    else if (target !== '') s.rewriteTarget = target;
  }
  const prefix = r.string('x-forwarded-prefix');
  if (prefix !== undefined) {
    if (!PATH.test(prefix)) r.fail('x-forwarded-prefix', 'must be a path starting with /');
    else s.forwardedPrefix = prefix;
  }
  const root = r.string('app-root');
  if (root !== undefined) {
    if (!PATH.test(root)) r.fail('app-root', 'must be a path starting with / (not a URL)');
    else s.policies.push({ kind: 'app-root', path: root });
  }
}
