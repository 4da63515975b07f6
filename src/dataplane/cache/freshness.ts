/**
 * RFC 9111 freshness and validation rules for Pier's shared cache: storability (§3), the
 * freshness lifetime (§4.2.1, heuristics only where §4.2.2 allows), Age (§4.2.3), reuse (§4,
 * §5.2.1's request directives) and RFC 5861's stale-while-revalidate / stale-if-error, plus
 * - `Set-Cookie`: never stored unless the response is explicitly `public` (Pier's rule: a
 *   cookie meant for one user must not reach another through a misconfigured origin),
 * - `proxy_cache_valid` (`pier.dev/cache-valid`) for responses without freshness (nginx's
 *   meaning).
 * Written against the RFC rather than with `http-cache-semantics`: scored by the cache-tests.fyi
 * suite (bench/results/cache-conformance.md), that library refuses responses with explicit
 * freshness whose status it does not list (500, 503, …: RFC 9111 lets any final status be
 * stored), reads Expires with the lenient `Date.parse` (an Expires in UTC or without the comma
 * made a response fresh that must be expired), reads a two-value Age as 0, and refuses a fresh
 * `must-revalidate` response. The lifetime is computed once, when a response is stored; a hit
 * only does arithmetic.
 */
import type { CacheValidRule } from '../../routing/policies.ts';
import { parseHttpDate } from './http-date.ts';

/** Cache-Control directives, lower-case names; `true` for a directive without a value. */
export type Directives = Map<string, string | true>;

/** No directives (most requests): shared, never modified. */
const NONE: Directives = new Map();

/** Parses a Cache-Control value (several fields joined with commas). */
export function parseCacheControl(value: string | undefined): Directives {
  if (value === undefined || value === '') return NONE;
  const out: Directives = new Map();
  for (const m of value.matchAll(/([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,;]*)))?/g)) {
    const name = m[1]!.toLowerCase();
    if (!out.has(name)) out.set(name, m[2] ?? m[3] ?? true);
  }
  return out;
}

/** A directive's delta-seconds, or undefined when absent or not a number. */
export function seconds(d: Directives, name: string): number | undefined {
  const v = d.get(name);
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) return undefined;
  return Math.min(Number(v), 2 ** 31);
}

/** What the cache keeps about a stored response's freshness (serialized in the entry). */
export interface Freshness {
  /** Freshness lifetime, seconds (§4.2.1; heuristic where §4.2.2 allows; cache-valid). */
  readonly lifetime: number;
  /** corrected_initial_age (§4.2.3), seconds. */
  readonly initialAge: number;
  /** When the response was received, ms since the epoch. */
  readonly responseTime: number;
  /** Response `no-cache` (unqualified or qualified): validate before every use. */
  readonly noCache: boolean;
  /** must-revalidate, proxy-revalidate or s-maxage: never served stale. */
  readonly noStale: boolean;
  /** RFC 5861 windows, seconds (0 when absent or forbidden). */
  readonly staleWhileRevalidate: number;
  readonly staleIfError: number;
}

/** The request, as the store decision needs it: lower-case names → values. */
export interface RequestFacts {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** Collapses a flat header list into lower-case name → value (repeats joined by ", "). */
export function headerRecord(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    const v = flat[i + 1]!;
    out[name] = out[name] === undefined ? v : name === 'set-cookie' ? `${out[name]}\n${v}` : `${out[name]}, ${v}`;
  }
  return out;
}

/** RFC 9110 §15.1: statuses a cache may store with a heuristic lifetime. */
const HEURISTIC = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]);
/** Statuses whose caching Pier understands (must-understand, §5.2.2.3): RFC 9110's final
 * statuses, except 206 (partial responses are not stored). */
const UNDERSTOOD = new Set([200, 201, 202, 203, 204, 205, 300, 301, 302, 303, 304, 305, 307, 308, ...range(400, 417), 421, 422, 426, ...range(500, 505)]);

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * Decides whether a response may be stored (§3) and how long it stays fresh. Undefined: not
 * storable. `requestTime`/`responseTime`: ms, when the request went upstream and the head came
 * back (§4.2.3's request_time and response_time). `targeted`: the directives of an RFC 9213
 * targeted field (targeted-cache-control.ts), which replace Cache-Control, Expires and Pragma.
 */
export function storeDecision(req: RequestFacts, status: number, headers: Record<string, string>, valid: readonly CacheValidRule[], requestTime: number, responseTime: number, targeted?: Directives): Freshness | undefined {
  if (req.method !== 'GET' || status < 200 || status === 206 || status === 304) return undefined; // partial and validation responses are not stored whole
  const cc = targeted ?? parseCacheControl(headers['cache-control']);
  // §5.2.2.3: with must-understand, an understood status is stored despite no-store, any
  // other is not stored at all.
  if (cc.has('must-understand') ? !UNDERSTOOD.has(status) : cc.has('no-store')) return undefined;
  if (parseCacheControl(req.headers['cache-control']).has('no-store')) return undefined;
  if (cc.get('private') === true) return undefined; // qualified private: the named fields are dropped (storedHeaders)
  if (req.headers['authorization'] !== undefined && !cc.has('must-revalidate') && !cc.has('public') && !cc.has('s-maxage')) return undefined; // §3.5
  const vary = headers['vary'];
  if (vary !== undefined && vary.split(',').some((v) => v.trim() === '*')) return undefined;
  if (headers['set-cookie'] !== undefined && !cc.has('public')) return undefined;
  const date = parseHttpDate(headers['date']) ?? responseTime;
  let lifetime = explicitLifetime(cc, targeted === undefined ? headers['expires'] : undefined, date);
  if (lifetime === undefined) {
    const rule = valid.find((r) => r.statuses.length === 0 || r.statuses.includes(status));
    if (rule !== undefined) lifetime = rule.seconds;
    else if (HEURISTIC.has(status) || cc.has('public')) lifetime = heuristicLifetime(headers, date);
    else return undefined;
  }
  const noStale = cc.has('must-revalidate') || cc.has('proxy-revalidate') || cc.has('s-maxage');
  const noCache = cc.has('no-cache') || (targeted === undefined && headers['cache-control'] === undefined && /no-cache/i.test(headers['pragma'] ?? ''));
  return {
    lifetime: noCache ? 0 : lifetime,
    initialAge: initialAge(headers, requestTime, responseTime),
    responseTime,
    noCache,
    noStale,
    staleWhileRevalidate: noStale ? 0 : seconds(cc, 'stale-while-revalidate') ?? 0,
    staleIfError: noStale ? 0 : seconds(cc, 'stale-if-error') ?? 0,
  };
}

/**
 * §4.2.1 for a shared cache: s-maxage, else max-age, else Expires − Date; undefined without
 * any. A directive without a valid number, and an Expires that is not an HTTP-date (§5.3),
 * mean "already stale" (0), not "absent".
 */
function explicitLifetime(cc: Directives, expires: string | undefined, date: number): number | undefined {
  if (cc.has('s-maxage')) return seconds(cc, 's-maxage') ?? 0;
  if (cc.has('max-age')) return seconds(cc, 'max-age') ?? 0;
  if (expires === undefined) return undefined;
  const at = parseHttpDate(expires);
  return at === undefined ? 0 : Math.max(0, Math.floor((at - date) / 1000));
}

/** §4.2.2: 10% of the time since Last-Modified (as httpd, Squid and Traffic Server do); 0
 * without a usable Last-Modified. */
function heuristicLifetime(headers: Record<string, string>, date: number): number {
  const modified = parseHttpDate(headers['last-modified']);
  return modified !== undefined && modified < date ? Math.floor((date - modified) / 10_000) : 0;
}

/** §4.2.3: corrected_initial_age = max(apparent_age, age_value + response_delay). */
export function initialAge(headers: Record<string, string>, requestTime: number, responseTime: number): number {
  const date = parseHttpDate(headers['date']);
  const apparent = date !== undefined ? Math.max(0, (responseTime - date) / 1000) : 0;
  const ageValue = ageSeconds(headers['age']);
  const corrected = ageValue + Math.max(0, (responseTime - requestTime) / 1000);
  return Math.max(apparent, corrected);
}

/** §5.1: the Age field's delta-seconds; with several values (a list, or several lines joined by
 * headerRecord) the first; 0 when it is not a non-negative integer. */
function ageSeconds(value: string | undefined): number {
  const first = (value ?? '').split(',')[0]!.trim();
  return /^[0-9]+$/.test(first) ? Math.min(Number(first), 2 ** 31) : 0;
}

/** current_age (§4.2.3), seconds. */
export function currentAge(f: Freshness, now: number): number {
  return f.initialAge + Math.max(0, (now - f.responseTime) / 1000);
}

/** What the cache may do with a stored response for a request. */
export type Usability =
  | 'fresh'
  /** Stale but within stale-while-revalidate: serve it and revalidate in the background. */
  | 'stale-while-revalidate'
  /** Must be validated (or refetched) before use. */
  | 'validate';

/**
 * §4 (and §5.2.1's request directives): may this stored response answer the request without
 * contacting the origin? `max-stale` lets a client accept staleness unless the response
 * forbids it (§4.2.4).
 */
export function usability(f: Freshness, requestCacheControl: string | undefined, pragma: string | undefined, now: number): Usability {
  const age = currentAge(f, now);
  const rcc = parseCacheControl(requestCacheControl);
  if (rcc.has('no-cache') || (requestCacheControl === undefined && /no-cache/i.test(pragma ?? ''))) return 'validate';
  if (f.noCache) return 'validate';
  const maxAge = seconds(rcc, 'max-age');
  if (maxAge !== undefined && age > maxAge) return 'validate';
  const minFresh = seconds(rcc, 'min-fresh');
  if (minFresh !== undefined && f.lifetime - age < minFresh) return 'validate';
  if (age < f.lifetime) return 'fresh';
  if (f.noStale) return 'validate';
  const maxStale = rcc.get('max-stale');
  if (maxStale === true || (typeof maxStale === 'string' && /^[0-9]+$/.test(maxStale) && age - f.lifetime <= Number(maxStale))) return 'fresh';
  if (f.staleWhileRevalidate > 0 && age - f.lifetime < f.staleWhileRevalidate) return 'stale-while-revalidate';
  return 'validate';
}

/** RFC 9111 §4.2.4: may the stored response be served stale at all (when the origin cannot be
 * reached, or as configured)? Not with must-revalidate, proxy-revalidate, s-maxage or no-cache. */
export function canServeStale(f: Freshness): boolean {
  return !f.noStale && !f.noCache;
}

/** RFC 5861 §4: may a stale response answer instead of an error (5xx or no answer)? */
export function usableOnError(f: Freshness, requestCacheControl: string | undefined, now: number): boolean {
  const age = currentAge(f, now);
  const rcc = parseCacheControl(requestCacheControl);
  const sie = seconds(rcc, 'stale-if-error') ?? f.staleIfError;
  return canServeStale(f) && sie > 0 && age - f.lifetime < sie;
}
