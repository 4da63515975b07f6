/**
 * RFC 9111 freshness and validation rules for Pier's shared cache. The storability and
 * freshness-lifetime rules (§3, §4.2.1, §4.2.2) come from `http-cache-semantics` (shared-cache
 * mode), which is well kept and measured; what it lacks or gets wrong for a proxy is done here:
 * - the Age of §4.2.3 (it ignores the response delay and apparent age),
 * - `must-revalidate` (it refuses even a *fresh* response that carries it; §5.2.2.2 only
 *   forbids serving it *stale*),
 * - `Set-Cookie`: never stored unless the response is explicitly `public` (the rule;
 *   the library stores it and treats it as stale),
 * - `proxy_cache_valid` for responses without freshness information (nginx's meaning),
 * - `stale-while-revalidate` / `stale-if-error` (RFC 5861), forbidden where §4.2.4 forbids
 *   stale responses (must-revalidate, proxy-revalidate, s-maxage in a shared cache).
 * The lifetime is computed once, when a response is stored; a hit only does arithmetic.
 */
import CachePolicy from 'http-cache-semantics';
import type { CacheValidRule } from '../../routing/policies.ts';

/** Cache-Control directives, lower-case names; `true` for a directive without a value. */
export type Directives = Map<string, string | true>;

/** Parses a Cache-Control value (several fields joined with commas). */
export function parseCacheControl(value: string | undefined): Directives {
  const out: Directives = new Map();
  if (value === undefined || value === '') return out;
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

/**
 * Decides whether a response may be stored (§3) and how long it stays fresh. Undefined: not
 * storable. `requestTime`/`responseTime`: ms, when the request went upstream and the head came
 * back (§4.2.3's request_time and response_time).
 */
export function storeDecision(req: RequestFacts, status: number, headers: Record<string, string>, valid: readonly CacheValidRule[], requestTime: number, responseTime: number): Freshness | undefined {
  if (status === 206 || status === 304 || (status >= 100 && status < 200)) return undefined; // partial and validation responses are not stored whole
  const cc = parseCacheControl(headers['cache-control']);
  const vary = headers['vary'];
  if (vary !== undefined && vary.split(',').some((v) => v.trim() === '*')) return undefined;
  if (headers['set-cookie'] !== undefined && !cc.has('public')) return undefined;
  const explicit = cc.has('s-maxage') || cc.has('max-age') || headers['expires'] !== undefined;
  const rule = explicit ? undefined : valid.find((r) => r.statuses.length === 0 || r.statuses.includes(status));
  const policy = new CachePolicy({ method: req.method, url: req.url, headers: req.headers }, { status, headers }, { shared: true });
  let lifetime: number;
  if (policy.storable()) lifetime = policy.maxAge();
  else if (rule !== undefined && storableByConfiguration(req, status, cc)) lifetime = 0;
  else return undefined;
  if (rule !== undefined) lifetime = rule.seconds;
  const noStale = cc.has('must-revalidate') || cc.has('proxy-revalidate') || cc.has('s-maxage');
  return {
    lifetime,
    initialAge: initialAge(headers, requestTime, responseTime),
    responseTime,
    noCache: cc.has('no-cache') || (headers['cache-control'] === undefined && /no-cache/i.test(headers['pragma'] ?? '')),
    noStale,
    staleWhileRevalidate: noStale ? 0 : seconds(cc, 'stale-while-revalidate') ?? 0,
    staleIfError: noStale ? 0 : seconds(cc, 'stale-if-error') ?? 0,
  };
}

/** §3 without the "has freshness or is heuristically cacheable" clause: what cache-valid may
 * add (nginx proxy_cache_valid), never overriding no-store, private or Authorization. */
function storableByConfiguration(req: RequestFacts, status: number, cc: Directives): boolean {
  if (req.method !== 'GET' || status < 200 || status >= 600) return false;
  if (cc.has('no-store') || cc.has('private')) return false;
  if (parseCacheControl(req.headers['cache-control']).has('no-store')) return false;
  return req.headers['authorization'] === undefined;
}

/** §4.2.3: corrected_initial_age = max(apparent_age, age_value + response_delay). */
export function initialAge(headers: Record<string, string>, requestTime: number, responseTime: number): number {
  const date = Date.parse(headers['date'] ?? '');
  const apparent = Number.isFinite(date) ? Math.max(0, (responseTime - date) / 1000) : 0;
  const ageValue = /^[0-9]+$/.test((headers['age'] ?? '').trim()) ? Number(headers['age']!.trim()) : 0;
  const corrected = ageValue + Math.max(0, (responseTime - requestTime) / 1000);
  return Math.max(apparent, corrected);
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

/** RFC 5861 §4: may a stale response answer instead of an error (5xx or no answer)? */
export function usableOnError(f: Freshness, requestCacheControl: string | undefined, now: number): boolean {
  const age = currentAge(f, now);
  const rcc = parseCacheControl(requestCacheControl);
  const sie = seconds(rcc, 'stale-if-error') ?? f.staleIfError;
  return !f.noStale && sie > 0 && age - f.lifetime < sie;
}
