import { describe, expect, it } from 'vitest';
import { currentAge, initialAge, storeDecision, usability, usableOnError, type Freshness } from '../../src/dataplane/cache/freshness.ts';
import { targetedDirectives } from '../../src/dataplane/cache/targeted-cache-control.ts';
import type { CacheValidRule } from '../../src/routing/policies.ts';

const T0 = Date.parse('Mon, 01 Jan 2024 12:00:00 GMT');
const date = (offsetS: number) => new Date(T0 + offsetS * 1000).toUTCString();
const GET = { method: 'GET', url: '/a', headers: { host: 'x' } };

/** storeDecision for a response received at T0 (request sent at T0 too). */
function decide(status: number, headers: Record<string, string>, options: { req?: Record<string, string>; valid?: CacheValidRule[]; method?: string } = {}): Freshness | undefined {
  return storeDecision({ ...GET, method: options.method ?? 'GET', headers: { host: 'x', ...options.req } }, status, { date: date(0), ...headers }, options.valid ?? [], T0, T0);
}

describe('storability and freshness lifetime (RFC 9111 §3, §4.2.1, §4.2.2)', () => {
  it.each([
    ['max-age', 200, { 'cache-control': 'max-age=60' }, 60],
    ['s-maxage wins over max-age in a shared cache', 200, { 'cache-control': 'max-age=60, s-maxage=10' }, 10],
    ['max-age wins over Expires', 200, { 'cache-control': 'max-age=60', expires: date(3600) }, 60],
    ['Expires minus Date', 200, { expires: date(120) }, 120],
    ['an invalid Expires is already expired', 200, { expires: '0' }, 0],
    ['heuristic: 10% of Date - Last-Modified for a heuristically cacheable status', 200, { 'last-modified': date(-1000) }, 100],
    ['heuristic for 404 too', 404, { 'last-modified': date(-1000) }, 100],
    ['no-cache is stored, with no freshness', 200, { 'cache-control': 'no-cache, max-age=60' }, 0],
    ['public makes a 302 storable with a heuristic', 302, { 'cache-control': 'public', 'last-modified': date(-1000) }, 100],
    ['Set-Cookie with public is stored', 200, { 'cache-control': 'public, max-age=60', 'set-cookie': 'a=b' }, 60],
    ['any final status with explicit freshness (a 503)', 503, { 'cache-control': 'max-age=60' }, 60],
    ['an unknown status with explicit freshness', 599, { 'cache-control': 'max-age=60' }, 60],
    ['public makes an unknown status heuristically cacheable', 599, { 'cache-control': 'public', 'last-modified': date(-1000) }, 100],
    ['must-understand stores an understood status despite no-store', 200, { 'cache-control': 'max-age=60, no-store, must-understand' }, 60],
    ['Expires in RFC 850 form', 200, { expires: 'Monday, 01-Jan-24 12:02:00 GMT' }, 120],
    ['Expires in asctime form', 200, { expires: 'Mon Jan  1 12:02:00 2024' }, 120],
    ['Expires with names in another case', 200, { expires: 'MON, 01 JAN 2024 12:02:00 gmt' }, 120],
    ['a max-age that is not a number is stale, not absent', 200, { 'cache-control': 'max-age=ten', expires: date(120) }, 0],
  ] as const)('%s', (_name, status, headers, lifetime) => {
    expect(decide(status, headers)?.lifetime).toBe(lifetime);
  });

  it.each([
    ['no-store', 200, { 'cache-control': 'no-store, max-age=60' }, {}],
    ['private', 200, { 'cache-control': 'private, max-age=60' }, {}],
    ['Set-Cookie without public', 200, { 'cache-control': 'max-age=60', 'set-cookie': 'a=b' }, {}],
    ['Authorization without public/s-maxage/must-revalidate', 200, { 'cache-control': 'max-age=60' }, { authorization: 'Basic eDp5' }],
    ['request no-store', 200, { 'cache-control': 'max-age=60' }, { 'cache-control': 'no-store' }],
    ['Vary: *', 200, { 'cache-control': 'max-age=60', vary: '*' }, {}],
    ['a 302 without freshness (no heuristic for it)', 302, { 'last-modified': date(-1000) }, {}],
    ['a 206', 206, { 'cache-control': 'max-age=60' }, {}],
    ['an unknown status with must-understand', 299, { 'cache-control': 'max-age=60, must-understand' }, {}],
    ['an unknown status without freshness', 599, { 'last-modified': date(-1000) }, {}],
  ] as const)('not stored: %s', (_name, status, headers, req) => {
    expect(decide(status, headers, { req })).toBeUndefined();
  });

  it.each([
    ['s-maxage', { 'cache-control': 's-maxage=60' }],
    ['public', { 'cache-control': 'public, max-age=60' }],
    ['must-revalidate', { 'cache-control': 'must-revalidate, max-age=60' }],
  ])('Authorization with %s is stored', (_name, headers) => {
    expect(decide(200, headers, { req: { authorization: 'Basic eDp5' } })).toBeDefined();
  });

  it.each([
    'Mon, 01 Jan 2024 12:02:00 UTC', 'Mon, 01 Jan 2024 12:02:00 AEST', 'Mon, 01 Jan 24 12:02:00 GMT', 'Mon 01 Jan 2024 12:02:00 GMT',
    'Mon, 01  Jan  2024 12:02:00 GMT', 'Mon, 01-Jan-2024 12:02:00 GMT', 'Mon, 01 Jan 2024 12.02.00 GMT', 'Mon, 01 Jan 2024 2:02:00 GMT',
    'Mon, 01 Jan 2024 12:02:00 GMT, Mon, 01 Jan 2024 12:03:00 GMT', '0', 'Mon, 31 Feb 2024 12:02:00 GMT',
  ])('an Expires that is not an HTTP-date is already expired (RFC 9111 §5.3): %s', (expires) => {
    expect(decide(200, { expires })?.lifetime).toBe(0);
  });

  it('cache-valid (nginx proxy_cache_valid) applies only without explicit freshness', () => {
    const valid = [{ statuses: [200, 302], seconds: 600 }, { statuses: [404], seconds: 60 }];
    expect(decide(200, {}, { valid })?.lifetime).toBe(600);
    expect(decide(302, {}, { valid })?.lifetime).toBe(600);
    expect(decide(404, {}, { valid })?.lifetime).toBe(60);
    expect(decide(200, { 'cache-control': 'max-age=5' }, { valid })?.lifetime).toBe(5);
    expect(decide(500, {}, { valid })).toBeUndefined();
    expect(decide(200, { 'cache-control': 'private' }, { valid })).toBeUndefined();
    expect(decide(200, {}, { valid, req: { authorization: 'x' } })).toBeUndefined();
  });

  it('must-revalidate, proxy-revalidate and s-maxage forbid serving stale', () => {
    for (const cc of ['must-revalidate', 'proxy-revalidate', 's-maxage=5']) {
      const f = decide(200, { 'cache-control': `max-age=5, ${cc}, stale-while-revalidate=60, stale-if-error=60` })!;
      expect([f.noStale, f.staleWhileRevalidate, f.staleIfError]).toEqual([true, 0, 0]);
    }
  });
});

describe('Age (RFC 9111 §4.2.3)', () => {
  it.each([
    ['no Date skew, no Age', {}, 0, 0, 0],
    ['apparent age from a Date in the past', { date: date(-30) }, 0, 0, 30],
    ['Age header plus the response delay', { age: '10' }, -2, 0, 12],
    ['the larger of the two', { date: date(-5), age: '100' }, 0, 0, 100],
    ['the first of several Age values', { age: '100, 0' }, 0, 0, 100],
    ['an Age that is not a number counts as none', { age: '-7200' }, 0, 0, 0],
    ['a Date in the future is not negative', { date: date(50) }, 0, 0, 0],
  ] as const)('%s', (_name, headers, requestOffsetS, responseOffsetS, want) => {
    expect(initialAge({ date: date(0), ...headers }, T0 + requestOffsetS * 1000, T0 + responseOffsetS * 1000)).toBe(want);
  });

  it('grows with resident time', () => {
    const f = decide(200, { 'cache-control': 'max-age=60', age: '10' })!;
    expect(currentAge(f, T0 + 5_000)).toBe(15);
  });
});

describe('reuse (RFC 9111 §4, §5.2.1; RFC 5861)', () => {
  const f = (cc: string) => decide(200, { 'cache-control': cc })!;
  const at = (s: number) => T0 + s * 1000;
  it.each([
    ['fresh', 'max-age=60', undefined, 10, 'fresh'],
    ['stale', 'max-age=60', undefined, 61, 'validate'],
    ['must-revalidate while fresh is still fresh', 'max-age=60, must-revalidate', undefined, 10, 'fresh'],
    ['request no-cache', 'max-age=60', 'no-cache', 10, 'validate'],
    ['request max-age below the age', 'max-age=60', 'max-age=5', 10, 'validate'],
    ['request max-age above the age', 'max-age=60', 'max-age=30', 10, 'fresh'],
    ['request min-fresh', 'max-age=60', 'min-fresh=55', 10, 'validate'],
    ['request max-stale within', 'max-age=60', 'max-stale=30', 80, 'fresh'],
    ['request max-stale beyond', 'max-age=60', 'max-stale=10', 80, 'validate'],
    ['max-stale cannot override must-revalidate', 'max-age=60, must-revalidate', 'max-stale', 80, 'validate'],
    ['response no-cache', 'no-cache', undefined, 0, 'validate'],
    ['stale-while-revalidate window', 'max-age=60, stale-while-revalidate=30', undefined, 80, 'stale-while-revalidate'],
    ['past the stale-while-revalidate window', 'max-age=60, stale-while-revalidate=30', undefined, 95, 'validate'],
  ] as const)('%s', (_name, cc, rcc, ageS, want) => {
    expect(usability(f(cc), rcc, undefined, at(ageS))).toBe(want);
  });

  it('Pragma: no-cache without Cache-Control', () => {
    expect(usability(f('max-age=60'), undefined, 'no-cache', at(1))).toBe('validate');
  });

  it.each([
    ['within stale-if-error', 'max-age=60, stale-if-error=30', undefined, 80, true],
    ['beyond it', 'max-age=60, stale-if-error=30', undefined, 95, false],
    ['the request\'s stale-if-error', 'max-age=60', 'stale-if-error=60', 80, true],
    ['not with must-revalidate', 'max-age=60, must-revalidate, stale-if-error=30', undefined, 80, false],
  ] as const)('stale-if-error %s', (_name, cc, rcc, ageS, want) => {
    expect(usableOnError(f(cc), rcc, at(ageS))).toBe(want);
  });
});

describe('RFC 9213 targeted fields (CDN-Cache-Control)', () => {
  const FIELDS = ['cdn-cache-control'];
  const decideTargeted = (status: number, headers: Record<string, string>) => {
    const all = { date: date(0), ...headers };
    return storeDecision(GET, status, all, [], T0, T0, targetedDirectives(all, FIELDS));
  };
  it.each([
    ['replaces Cache-Control', { 'cdn-cache-control': 'max-age=600', 'cache-control': 'no-store' }, 600],
    ['and Expires', { 'cdn-cache-control': 'max-age=600', expires: date(-100) }, 600],
    ['its max-age=0 wins over a fresh Cache-Control', { 'cdn-cache-control': 'max-age=0', 'cache-control': 'max-age=600' }, 0],
    ['unknown directives are ignored', { 'cdn-cache-control': 'foobar, max-age=600' }, 600],
    ['an invalid field is ignored: Cache-Control applies', { 'cdn-cache-control': 'max-age="600"', 'cache-control': 'max-age=30' }, 30],
    ['a field that does not parse is ignored', { 'cdn-cache-control': 'max-age=600, &&&', 'cache-control': 'max-age=30' }, 30],
  ] as const)('%s', (_name, headers, lifetime) => {
    expect(decideTargeted(200, headers)?.lifetime).toBe(lifetime);
  });

  it.each([
    ['no-store', { 'cdn-cache-control': 'no-store', 'cache-control': 'max-age=600' }],
    ['private', { 'cdn-cache-control': 'private', 'cache-control': 'max-age=600' }],
    ['an invalid field leaves Cache-Control\'s no-store', { 'cdn-cache-control': 'max-age="600"', 'cache-control': 'no-store' }],
  ] as const)('not stored: %s', (_name, headers) => {
    expect(decideTargeted(200, headers)).toBeUndefined();
  });

  it('no-cache in the field means validate before each use', () => {
    expect(decideTargeted(200, { 'cdn-cache-control': 'no-cache', 'cache-control': 'max-age=600' })?.noCache).toBe(true);
  });

  it('the first valid field of the list wins; none named: undefined', () => {
    expect(targetedDirectives({ 'a-cache-control': 'max-age=1', 'cdn-cache-control': 'max-age=2' }, ['a-cache-control', 'cdn-cache-control'])?.get('max-age')).toBe('1');
    expect(targetedDirectives({ 'a-cache-control': '(', 'cdn-cache-control': 'max-age=2' }, ['a-cache-control', 'cdn-cache-control'])?.get('max-age')).toBe('2');
    expect(targetedDirectives({ 'cache-control': 'max-age=2' }, ['cdn-cache-control'])).toBeUndefined();
  });
});
