import { describe, expect, it } from 'vitest';
import type { ResponseRewritePolicy } from '../../src/routing/policies.ts';
import { rewriteDomain, rewriteHead, rewriteLocation, rewriteRefresh, rewriteSetCookie } from '../../src/dataplane/pipeline/filters/response-rewrite.ts';

/*
 * nginx's proxy_redirect and proxy_cookie_domain / proxy_cookie_path, text forms, as tables
 * (nginx's documented examples first). undefined: the value is left as it is.
 */

describe('proxy_redirect on Location', () => {
  const rows: [string, string, string, string | undefined][] = [
    // nginx docs: proxy_redirect http://localhost:8000/two/ http://frontend/one/;
    ['http://localhost:8000/two/some/uri/', 'http://localhost:8000/two/', 'http://frontend/one/', 'http://frontend/one/some/uri/'],
    // nginx docs: the replacement may omit the server name
    ['http://localhost:8000/two/some/uri/', 'http://localhost:8000/two/', '/', '/some/uri/'],
    // the mailing list's example: a prefix, not a whole path segment
    ['http://10.1.2.3:1234/redirect/to/somewhere', 'http://10.1.2.3:1234/redirect', '/r', '/r/to/somewhere'],
    ['http://localhost:8000/two/', 'http://localhost:8000/two/', '/one/', '/one/'],
    ['/two/x?a=1#f', '/two/', '/one/', '/one/x?a=1#f'],
    ['/', '/', '/app/', '/app/'],
    // case-sensitive, as nginx's text match
    ['HTTP://localhost:8000/two/x', 'http://localhost:8000/two/', '/', undefined],
    ['http://LOCALHOST:8000/two/x', 'http://localhost:8000/two/', '/', undefined],
    ['http://localhost:8000/tw', 'http://localhost:8000/two/', '/', undefined],
    ['https://localhost:8000/two/x', 'http://localhost:8000/two/', '/', undefined],
    // only a prefix, never elsewhere in the value
    ['http://a/?next=http://localhost:8000/two/', 'http://localhost:8000/two/', '/', undefined],
    ['', 'http://a/', '/', undefined],
  ];
  it.each(rows)('%s with %s → %s: %s', (value, from, to, want) => {
    expect(rewriteLocation(value, { from, to })).toBe(want);
  });
});

describe('proxy_redirect on Refresh (after url=)', () => {
  const rule = { from: 'http://backend:8080/', to: 'https://example.com/' };
  const rows: [string, string | undefined][] = [
    ['5; url=http://backend:8080/next', '5; url=https://example.com/next'],
    ['0;URL=http://backend:8080/next', '0;URL=https://example.com/next'],
    ['3; Url=http://backend:8080/', '3; Url=https://example.com/'],
    ['5; url=/relative', undefined],
    ['5', undefined],
    ['http://backend:8080/next', undefined], // no url=: nginx leaves it
    ['5; url=http://other/x', undefined],
  ];
  it.each(rows)('%s → %s', (value, want) => {
    expect(rewriteRefresh(value, rule)).toBe(want);
  });
});

describe('proxy_cookie_domain on a domain value', () => {
  const rows: [string, string, string, string | undefined][] = [
    // nginx docs: proxy_cookie_domain localhost example.org;
    ['localhost', 'localhost', 'example.org', 'example.org'],
    ['LocalHost', 'localhost', 'example.org', 'example.org'], // no case
    ['.localhost', 'localhost', 'example.org', '.example.org'], // the cookie's dot kept
    ['sub.localhost', 'localhost', 'example.org', undefined], // equal, not a suffix
    ['localhost.net', 'localhost', 'example.org', undefined],
    ['', 'localhost', 'example.org', undefined],
  ];
  it.each(rows)('%s with %s → %s: %s', (value, from, to, want) => {
    expect(rewriteDomain(value, { from, to })).toBe(want);
  });
});

describe('Set-Cookie', () => {
  const both: ResponseRewritePolicy = { kind: 'response-rewrite', cookieDomain: { from: 'backend.local', to: 'example.com' }, cookiePath: { from: '/two/', to: '/' } };
  const rows: [string, string, string | undefined][] = [
    // nginx docs: proxy_cookie_path /two/ /; path=/two/some/uri/ → path=/some/uri/
    ['path', 'sid=1; path=/two/some/uri/', 'sid=1; path=/some/uri/'],
    ['domain and path, attribute names in any case', 'sid=1; Domain=Backend.Local; Path=/two/x; HttpOnly', 'sid=1; Domain=example.com; Path=/x; HttpOnly'],
    ['leading dot kept', 'a=b; domain=.backend.local', 'a=b; domain=.example.com'],
    ['written again with "; " and trimmed pieces, as nginx', 'a=b;Path=/two/ ;  Secure;SameSite=Lax', 'a=b; Path=/; Secure; SameSite=Lax'],
    ['path prefix is case-sensitive', 'a=b; Path=/TWO/x', undefined],
    ['a path that does not start with from', 'a=b; Path=/one/two/', undefined],
    ['no attributes', 'a=b', undefined],
    ['other attributes only', 'a=b; Max-Age=3600; Secure', undefined],
    ['an attribute named like domain but longer', 'a=b; domains=backend.local; xpath=/two/', undefined],
    ['the cookie pair itself is never an attribute', 'path=/two/; Secure', undefined],
    ['not a cookie (no = in the first piece): left alone', 'garbage; Path=/two/', undefined],
    ['an attribute without a value', 'a=b; Domain; Path', undefined],
    ['empty value of the cookie stays', 'a=; Path=/two/', 'a=; Path=/'],
    ['value with = inside', 'a=x=y; Path=/two/', 'a=x=y; Path=/'],
    ['two path attributes: both rewritten, as nginx', 'a=b; Path=/two/a; Path=/two/b', 'a=b; Path=/a; Path=/b'],
  ];
  it.each(rows)('%s', (_name, value, want) => {
    expect(rewriteSetCookie(value, both)).toBe(want);
  });

  it('only the attributes a rule names', () => {
    const domainOnly: ResponseRewritePolicy = { kind: 'response-rewrite', cookieDomain: { from: 'backend.local', to: 'example.com' } };
    expect(rewriteSetCookie('a=b; Path=/two/; Domain=backend.local', domainOnly)).toBe('a=b; Path=/two/; Domain=example.com');
    expect(rewriteSetCookie('a=b; Path=/two/', domainOnly)).toBeUndefined();
  });
});

describe('a whole head', () => {
  const policy: ResponseRewritePolicy = {
    kind: 'response-rewrite',
    redirect: { from: 'http://backend:8080/', to: 'https://example.com/app/' },
    cookieDomain: { from: 'backend', to: 'example.com' },
    cookiePath: { from: '/', to: '/app/' },
  };

  it('Location, Refresh and every Set-Cookie, names in any case; the rest untouched', () => {
    const headers = [
      'Location', 'http://backend:8080/login',
      'refresh', '1; url=http://backend:8080/next',
      'Set-Cookie', 'a=1; Path=/; Domain=backend',
      'set-cookie', 'b=2; Path=/x',
      'SET-COOKIE', 'c=3; Domain=elsewhere',
      'content-location', 'http://backend:8080/x',
      'x-location', 'http://backend:8080/x',
      'link', '<http://backend:8080/a.css>; rel=preload',
    ];
    rewriteHead(policy, headers);
    expect(headers).toEqual([
      'Location', 'https://example.com/app/login',
      'refresh', '1; url=https://example.com/app/next',
      'Set-Cookie', 'a=1; Path=/app/; Domain=example.com',
      'set-cookie', 'b=2; Path=/app/x',
      'SET-COOKIE', 'c=3; Domain=elsewhere',
      'content-location', 'http://backend:8080/x',
      'x-location', 'http://backend:8080/x',
      'link', '<http://backend:8080/a.css>; rel=preload',
    ]);
  });

  it('a policy without a redirect rule leaves Location alone (and the other way round)', () => {
    const cookiesOnly: ResponseRewritePolicy = { kind: 'response-rewrite', cookiePath: { from: '/', to: '/app/' } };
    const headers = ['location', 'http://backend:8080/', 'set-cookie', 'a=1; Path=/'];
    rewriteHead(cookiesOnly, headers);
    expect(headers).toEqual(['location', 'http://backend:8080/', 'set-cookie', 'a=1; Path=/app/']);
    const redirectOnly: ResponseRewritePolicy = { kind: 'response-rewrite', redirect: { from: 'http://backend:8080/', to: '/' } };
    rewriteHead(redirectOnly, headers);
    expect(headers).toEqual(['location', '/', 'set-cookie', 'a=1; Path=/app/']);
  });
});
