import { DEFAULT_CACHE_KEY, type CachePolicy } from '../../routing/policies.ts';
import { Admission, type RequestFilter, type ResponseHook } from '../pipeline/admission.ts';
import { answer } from '../pipeline/answer.ts';
import { setHeader } from '../pipeline/filters/header-lists.ts';
import { compileKey } from './cache-key.ts';
import type { Found, WorkerCache } from './cache-store.ts';
import { canServeStale, usability } from './freshness.ts';
import { NullResponse } from './null-response.ts';
import { releaseEntry, serveEntry } from './serve-entry.ts';
import { requestHeader, RevalidateTap, StoreTap, type CacheStatus, type TapContext } from './cache-taps.ts';

const STATUSES: readonly CacheStatus[] = ['HIT', 'MISS', 'EXPIRED', 'STALE', 'UPDATING', 'REVALIDATED', 'BYPASS'];
/** One hook per status value, made once: no closure per request. */
const STATUS_HOOKS = new Map<CacheStatus, ResponseHook>(STATUSES.map((s) => [s, (_st: number, headers: string[]) => setHeader(headers, 'x-cache-status', s)]));
/** RFC 9110 §9.2.1: methods that are not safe, whose success invalidates (RFC 9111 §4.4). */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * `pier.dev/cache: "on"`: the route's shared HTTP cache (RFC 9111, RFC 5861). Per request:
 * - unsafe methods pass through; a non-error answer invalidates the target's entry (§4.4);
 * - the bypass header skips the lookup (BYPASS) but the answer may be stored;
 * - a stored response is served when fresh (HIT), or stale within stale-while-revalidate
 *   while one background request refreshes it (STALE); otherwise it is revalidated with its
 *   validators (REVALIDATED on 304, EXPIRED when the origin sends a new one, STALE when the
 *   origin fails within stale-if-error);
 * - a miss, or a stored response that must be validated, asks the pod-wide lock first
 *   (request collapsing, supervisor/cache-index.ts): one request fetches (or revalidates) and
 *   stores while the others wait, then are served from the entry; with cache-use-stale
 *   `updating` the others get the stale entry instead of waiting;
 * - a HEAD that misses is fetched upstream as a GET and stored (nginx's
 *   proxy_cache_convert_head); the client gets the head.
 * Range requests are sent upstream without Range on a miss, so the whole body is stored; the
 * client gets its single range cut from the response as it streams (206, as nginx without the
 * slice module; range-slice.ts), or the whole 200 when the response has no declared length,
 * and later requests get 206 from the entry. Without a cache directory in the dataplane the
 * filter does nothing.
 */
export function cacheFilter(policy: CachePolicy, cache: WorkerCache | undefined, origin: string): RequestFilter {
  if (cache === undefined) return () => true;
  const keyOf = compileKey(policy.key);
  const ctx: TapContext = {
    cache, valid: policy.valid, useStale: policy.useStale, targetedFields: policy.targetedFields ?? [], counters: cache.countersOf(origin),
    mark: policy.statusHeader ? (a, s) => a.onResponse(STATUS_HOOKS.get(s)!) : () => {},
  };
  const bypass = policy.bypassHeader;
  const refreshing = new Set<string>();
  // §4.4: the target URI, and Location / Content-Location when they name the same host
  // (with the default key only: another template cannot be evaluated for another URI).
  const byUrl = policy.key === DEFAULT_CACHE_KEY;
  const invalidate: ResponseHook = (status, headers, a) => {
    if (status >= 400) return;
    cache.invalidate(keyOf(a));
    if (!byUrl) return;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!.toLowerCase();
      if (name !== 'location' && name !== 'content-location') continue;
      const key = sameOriginKey(a, headers[i + 1]!);
      if (key !== undefined) cache.invalidate(key);
    }
  };
  return (a) => {
    // Upgrades (WebSocket) are tunnels, never cached; and a filter-less proceed is only set
    // for plain requests.
    if (a.upgrade || a.proceed === undefined) return true;
    const method = a.req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      if (!SAFE.has(method)) a.onResponse(invalidate);
      return true;
    }
    const key = keyOf(a);
    if (bypass !== undefined) {
      const v = requestHeader(a, bypass);
      if (v !== undefined && v !== '' && v !== '0') {
        a.tap = new StoreTap(a, ctx, key, 'BYPASS');
        a.editRequest(dropRange);
        return true;
      }
    }
    const found = cache.lookup(key, (n) => requestHeader(a, n));
    if (found !== undefined) {
      const now = Date.now();
      const use = usability(found.entry.meta.freshness, requestHeader(a, 'cache-control'), requestHeader(a, 'pragma'), now);
      if (use === 'fresh') return hit(a, ctx, found, 'HIT', now);
      if (use === 'stale-while-revalidate') {
        // nginx's names: STALE for the request that starts the refresh, UPDATING while it runs.
        if (refreshing.has(key)) return hit(a, ctx, found, 'UPDATING', now);
        refreshing.add(key);
        refreshInBackground(a, ctx, key, () => refreshing.delete(key));
        return hit(a, ctx, found, 'STALE', now);
      }
      if (ctx.useStale?.updating === true && canServeStale(found.entry.meta.freshness) && !onlyIfCached(a)) return staleWhileUpdating(a, ctx, key, found);
      releaseEntry(found.entry);
    }
    if (onlyIfCached(a)) return answer(a, 504, []);
    // A miss, or a stored response to validate: one request per key fetches or revalidates
    // while the others wait for it (collapsing, as nginx's proxy_cache_lock, but for
    // revalidations too), then are served from what it stored.
    // The request goes on later (afterLock): its done hooks (limit-connections) must run when
    // it is over, not when this filter's false makes the request handler run them.
    const held = a.doneHooks;
    a.doneHooks = undefined;
    const asked = Date.now();
    void cache.coordinator.lock(key).then((granted) => afterLock(a, ctx, key, granted, held, asked), () => afterLock(a, ctx, key, false, held, asked));
    return false;
  };
}

/** §5.2.1.7: only a stored response that can be used without contacting the origin. */
function onlyIfCached(a: Admission): boolean {
  return /(^|,)\s*only-if-cached/i.test(requestHeader(a, 'cache-control') ?? '');
}

/** The default key of a Location / Content-Location on the request's own host, if it is. */
function sameOriginKey(a: Admission, location: string): string | undefined {
  const scheme = a.tls ? 'https' : 'http';
  const host = (a.host ?? '').toLowerCase().replace(/:\d+$/, '');
  let url: URL;
  try {
    url = new URL(location, `${scheme}://${a.host ?? 'localhost'}${a.req.url}`);
  } catch {
    return undefined;
  }
  if (url.hostname.toLowerCase() !== host || url.protocol !== `${scheme}:`) return undefined;
  return `${scheme}://${host}${url.pathname}${url.search}`;
}

function hit(a: Admission, ctx: TapContext, found: Found, status: CacheStatus, now: number): false {
  ctx.mark(a, status);
  ctx.counters.hits++;
  ctx.counters.hitBytes += serveEntry(a, found.entry, now);
  ctx.cache.touch(found.file);
  return false;
}

/**
 * After the collapsing lock: look again (the holder may just have stored or refreshed the
 * entry), then serve a fresh entry, or revalidate a stale one, or fetch. `granted`: this
 * request holds the key's lock and releases it once what it fetched is in place; otherwise the
 * holder finished (or its lock timed out) and this request goes upstream by itself, unless
 * the entry was fetched or validated after this request arrived (`asked`): that answer is as
 * new as one this request would get, even for a response that must be validated on every use
 * (max-age=0, no-cache), so waiting requests are collapsed for those too.
 */
function afterLock(a: Admission, ctx: TapContext, key: string, granted: boolean, held: Admission['doneHooks'], asked: number): void {
  a.doneHooks = held;
  const unlock = granted ? once(() => ctx.cache.coordinator.send({ type: 'cache-unlock', key })) : undefined;
  if (a.res.destroyed) {
    a.done();
    return unlock?.();
  }
  const found = ctx.cache.lookup(key, (n) => requestHeader(a, n));
  // A HEAD is fetched as a GET, so that what comes back can be stored (nginx's
  // proxy_cache_convert_head); the client gets the head only.
  if (a.req.method === 'HEAD') a.upstreamMethod = 'GET';
  if (found !== undefined) {
    const now = Date.now();
    const f = found.entry.meta.freshness;
    if ((!granted && f.responseTime >= asked) || usability(f, requestHeader(a, 'cache-control'), requestHeader(a, 'pragma'), now) === 'fresh') {
      hit(a, ctx, found, 'HIT', now);
      a.done();
      return unlock?.();
    }
    a.tap = new RevalidateTap(a, ctx, key, found, true, unlock ?? (() => {}));
    a.editRequest(conditionalFor(found));
  } else {
    a.tap = new StoreTap(a, ctx, key, 'MISS', unlock);
    a.editRequest(dropRange);
  }
  a.proceed!(a);
}

function once(f: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    f();
  };
}

/**
 * cache-use-stale `updating` (nginx's): the request that gets the key's lock revalidates the
 * entry; while it holds it, the others are answered with the stale entry (UPDATING) instead of
 * waiting.
 */
function staleWhileUpdating(a: Admission, ctx: TapContext, key: string, found: Found): false {
  const held = a.doneHooks;
  a.doneHooks = undefined;
  const asked = Date.now();
  const go = (granted: boolean) => {
    if (granted || a.res.destroyed) {
      releaseEntry(found.entry);
      return afterLock(a, ctx, key, granted, held, asked);
    }
    a.doneHooks = held;
    hit(a, ctx, found, 'UPDATING', Date.now());
    a.done();
  };
  void ctx.cache.coordinator.lock(key, false).then(go, () => go(false));
  return false;
}

/** stale-while-revalidate: one conditional request whose answer nobody waits for, made by the
 * worker that gets the key's lock (another worker refreshing it already is enough). */
function refreshInBackground(a: Admission, ctx: TapContext, key: string, done: () => void): void {
  void ctx.cache.coordinator.lock(key).then((granted) => {
    if (!granted) return done();
    const unlock = once(() => {
      done();
      ctx.cache.coordinator.send({ type: 'cache-unlock', key });
    });
    // Its own handle on the entry: the client's is closed once its answer is sent.
    const again = ctx.cache.lookup(key, (n) => requestHeader(a, n));
    if (again === undefined) return unlock();
    const sink = new NullResponse(a.req);
    const bg = new Admission(a.req, sink, a.stats, a.host, a.target, a.backend, false, false);
    bg.upstreamMethod = 'GET';
    bg.requestEdits = a.requestEdits === undefined ? undefined : [...a.requestEdits];
    bg.tap = new RevalidateTap(bg, ctx, key, again, false, unlock);
    bg.editRequest(conditionalFor(again));
    a.proceed!(bg);
  }, done);
}

/** Removes the client's validators and Range, and sends the entry's (§4.3.1). */
function conditionalFor(found: Found): (headers: string[]) => void {
  const { etag, lastModified } = found.entry.meta;
  return (headers) => {
    dropRange(headers);
    removeAll(headers, ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since']);
    if (etag !== undefined) headers.push('if-none-match', etag);
    if (lastModified !== undefined) headers.push('if-modified-since', lastModified);
  };
}

function dropRange(headers: string[]): void {
  removeAll(headers, ['range', 'if-range']);
}

function removeAll(headers: string[], names: readonly string[]): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if (names.includes(headers[r]!.toLowerCase())) continue;
    headers[w++] = headers[r]!;
    headers[w++] = headers[r + 1]!;
  }
  headers.length = w;
}
