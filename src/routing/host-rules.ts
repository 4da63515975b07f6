import { RE2JS } from 're2js';
import type { Route } from './route-table.ts';

/** What a successful match yields: the route (absent for the table's default backend), the
 * backend it points at, the route's compiled pipeline (absent when there is nothing to run: a
 * route without policies in a table without header lists) and its meter (where the dataplane counts its requests), bound to whatever the
 * caller attached (see compileTable). */
export interface RouteMatch<B, P = unknown, M = unknown> {
  readonly route: Route | undefined;
  readonly backend: B;
  readonly pipeline: P | undefined;
  readonly meter: M;
}

const SLASH = 47;

/**
 * The path rules of one virtual host, compiled for per-request matching.
 *
 * Exact paths live in a Map. Prefix rules are kept without their trailing slash (the root `/`
 * becomes `''`) and sorted longest first, so the first candidate that matches element-wise is the
 * longest matching Prefix (Ingress v1: "the longest matching path wins"). A linear scan beats a
 * trie for the handful of prefixes a host usually has, and allocates nothing.
 *
 * Regex rules (a host where ingress-nginx would enforce `~*` locations: translate makes every
 * path of such a host Regex) are tried in order of descending path length, as ingress-nginx
 * orders its locations, and the first whose case-insensitive pattern matches at the start of
 * the path wins (nginx's first-match rule for regex locations). Patterns run on RE2 (re2js):
 * matching is linear in the path, so no tenant's pattern can stall a worker.
 */
export class HostRules<B, P = unknown, M = unknown> {
  readonly #exact = new Map<string, RouteMatch<B, P, M>>();
  readonly #prefixes: string[] = [];
  readonly #prefixMatches: RouteMatch<B, P, M>[] = [];
  readonly #regexes: RE2JS[] = [];
  readonly #regexMatches: RouteMatch<B, P, M>[] = [];

  /** Rules for the same path and type after the first one are ignored (translate sorted them). */
  constructor(entries: readonly RouteMatch<B, P, M>[]) {
    const prefixes: { key: string; match: RouteMatch<B, P, M> }[] = [];
    const regexes: RouteMatch<B, P, M>[] = [];
    const seenPrefix = new Set<string>();
    const seenRegex = new Set<string>();
    for (const entry of entries) {
      const route = entry.route!;
      if (route.pathType === 'Exact') {
        if (!this.#exact.has(route.path)) this.#exact.set(route.path, entry);
        continue;
      }
      if (route.pathType === 'Regex') {
        if (seenRegex.has(route.path)) continue;
        seenRegex.add(route.path);
        regexes.push(entry);
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
    regexes.sort((a, b) => b.route!.path.length - a.route!.path.length);
    for (const r of regexes) {
      const compiled = compileRoutePattern(r.route!.path);
      if (compiled === undefined) continue; // translate refuses these; never match on them
      this.#regexes.push(compiled);
      this.#regexMatches.push(r);
    }
  }

  /**
   * The rule for `url`, whose path ends at `pathEnd` (the query string starts there, if any).
   * Exact beats Prefix; then the longest element-wise Prefix; Regex rules (a host has either
   * Regex rules or the other two) in their order.
   */
  match(url: string, pathEnd: number): RouteMatch<B, P, M> | undefined {
    if (this.#regexes.length > 0) return this.#matchRegex(pathEnd === url.length ? url : url.slice(0, pathEnd));
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

  #matchRegex(path: string): RouteMatch<B, P, M> | undefined {
    const regexes = this.#regexes;
    for (let i = 0; i < regexes.length; i++) if (regexes[i]!.test(path)) return this.#regexMatches[i];
    return undefined;
  }
}

/**
 * A Regex route's path as ingress-nginx writes it (`~* "^<path>"`): case-insensitive, anchored
 * at the start only. Undefined when RE2 cannot compile it (lookarounds, backreferences).
 */
export function compileRoutePattern(path: string): RE2JS | undefined {
  try {
    return RE2JS.compile(`^(?:${path})`, RE2JS.CASE_INSENSITIVE);
  } catch {
    return undefined;
  }
}

/** `/aaa/bbb/` → `/aaa/bbb`, `/` → `''`: the form element-wise matching compares against. */
export function prefixKey(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === SLASH) end--;
  return path.slice(0, end);
}
