import type { Route } from './route-table.ts';

/** What a successful match yields: the route (absent for the table's default backend) and the
 * backend it points at, bound to whatever the caller attached (see compileTable). */
export interface RouteMatch<B> {
  readonly route: Route | undefined;
  readonly backend: B;
}

const SLASH = 47;

/**
 * The path rules of one virtual host, compiled for per-request matching.
 *
 * Exact paths live in a Map. Prefix rules are kept without their trailing slash (the root `/`
 * becomes `''`) and sorted longest first, so the first candidate that matches element-wise is the
 * longest matching Prefix (Ingress v1: "the longest matching path wins"). A linear scan beats a
 * trie for the handful of prefixes a host usually has, and allocates nothing.
 */
export class HostRules<B> {
  readonly #exact = new Map<string, RouteMatch<B>>();
  readonly #prefixes: string[] = [];
  readonly #prefixMatches: RouteMatch<B>[] = [];

  /** Rules for the same path and type after the first one are ignored (translate sorted them). */
  constructor(entries: readonly RouteMatch<B>[]) {
    const prefixes: { key: string; match: RouteMatch<B> }[] = [];
    const seenPrefix = new Set<string>();
    for (const entry of entries) {
      const route = entry.route!;
      if (route.pathType === 'Exact') {
        if (!this.#exact.has(route.path)) this.#exact.set(route.path, entry);
        continue;
      }
      const key = prefixKey(route.path);
      if (seenPrefix.has(key)) continue;
      seenPrefix.add(key);
      prefixes.push({ key, match: entry });
    }
    // Stable sort: equal lengths keep translate's order (deterministic).
    prefixes.sort((a, b) => b.key.length - a.key.length);
    for (const p of prefixes) {
      this.#prefixes.push(p.key);
      this.#prefixMatches.push(p.match);
    }
  }

  /**
   * The rule for `url`, whose path ends at `pathEnd` (the query string starts there, if any).
   * Exact beats Prefix; then the longest element-wise Prefix.
   */
  match(url: string, pathEnd: number): RouteMatch<B> | undefined {
    if (this.#exact.size > 0) {
      const exact = this.#exact.get(pathEnd === url.length ? url : url.slice(0, pathEnd));
      if (exact !== undefined) return exact;
    }
    const prefixes = this.#prefixes;
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i]!;
      if (p.length > pathEnd) continue;
      if (!url.startsWith(p)) continue;
      if (p.length === pathEnd || url.charCodeAt(p.length) === SLASH) return this.#prefixMatches[i];
    }
    return undefined;
  }
}

/** `/aaa/bbb/` → `/aaa/bbb`, `/` → `''`: the form element-wise matching compares against. */
export function prefixKey(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === SLASH) end--;
  return path.slice(0, end);
}
