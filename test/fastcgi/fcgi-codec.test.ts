import { describe, expect, it } from 'vitest';
import { CgiHeadReader } from '../../src/dataplane/upstream/fastcgi/cgi-response.ts';
import { cgiParams, normalizeUri, splitPath } from '../../src/dataplane/upstream/fastcgi/cgi-params.ts';
import { fastcgiSettings } from '../../src/dataplane/upstream/fastcgi/fastcgi-settings.ts';
import { DEFAULT_POLICY } from '../../src/routing/route-table.ts';
import {
  beginRequest, encodePairs, endOfStream, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDERR, FCGI_STDIN, FCGI_STDOUT, RecordReader, recordHeader, requestPreamble, streamRecords,
} from '../../src/dataplane/upstream/fastcgi/fcgi-records.ts';

describe('FastCGI records', () => {
  it('the one-string preamble is the same bytes as the record-by-record encoding', () => {
    const pairs = ['SCRIPT_FILENAME', '/var/www/html/index.php', 'LONG', 'v'.repeat(300), 'L'.repeat(200), 'x', 'EMPTY', ''];
    for (const endStdin of [true, false]) {
      for (const keep of [true, false]) {
        const parts = [beginRequest(keep), ...streamRecords(FCGI_PARAMS, encodePairs(pairs)), endOfStream(FCGI_PARAMS), ...(endStdin ? [endOfStream(FCGI_STDIN)] : [])];
        expect(Buffer.from(requestPreamble(keep, pairs, endStdin)!, 'latin1')).toEqual(Buffer.concat(parts));
      }
    }
    expect(requestPreamble(true, ['BIG', 'x'.repeat(70_000)], true)).toBeNull();
  });

  it('reads records split at every byte boundary, padding included', () => {
    const out = Buffer.from('Status: 200\r\n\r\nhello');
    const wire = Buffer.concat([
      ...streamRecords(FCGI_STDOUT, out), ...streamRecords(FCGI_STDERR, Buffer.from('warn')), recordHeader(FCGI_STDOUT, 0),
      recordHeader(FCGI_END_REQUEST, 8), Buffer.from([0, 0, 0, 7, 0, 0, 0, 0]),
    ]);
    for (let step = 1; step <= wire.length; step++) {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let end: number[] = [];
      const reader = new RecordReader({
        record: (type, _id, content) => (type === FCGI_STDOUT ? stdout : stderr).push(Buffer.from(content)),
        endRequest: (_id, app, proto) => (end = [app, proto]),
        malformed: (reason) => { throw new Error(reason); },
      });
      for (let at = 0; at < wire.length; at += step) reader.feed(wire.subarray(at, at + step));
      expect(Buffer.concat(stdout).toString()).toBe(out.toString());
      expect(Buffer.concat(stderr).toString()).toBe('warn');
      expect(end).toEqual([7, 0]);
      expect(reader.atBoundary).toBe(true);
    }
  });

  it('refuses a record of another version', () => {
    let why = '';
    new RecordReader({ record: () => {}, endRequest: () => {}, malformed: (r) => (why = r) }).feed(Buffer.from([2, 6, 0, 1, 0, 0, 0, 0]));
    expect(why).toBe('record version 2');
  });
});

function head(text: string, max = 1024) {
  const r = new CgiHeadReader(max);
  const at = r.feed(Buffer.from(text, 'latin1'));
  return { at, head: at >= 0 ? r.head() : null, error: r.error };
}

describe('CGI response head', () => {
  it.each([
    { text: 'Content-Type: text/plain\r\n\r\nbody', status: 200, headers: ['Content-Type', 'text/plain'], at: 28 },
    { text: 'Status: 404 Not Found\nX-A:  b \n\nbody', status: 404, text2: 'Not Found', headers: ['X-A', 'b'], at: 32 },
    { text: 'Location: https://x.example/\r\n\r\n', status: 302, headers: ['Location', 'https://x.example/'], at: 32 },
    { text: 'Location: //x.example/\r\n\r\n', status: 302, headers: ['Location', '//x.example/'], at: 26 },
    { text: 'Status: 201\r\nLocation: /new\r\n\r\n', status: 201, headers: ['Location', '/new'], at: 31 },
    { text: '\r\nbody', status: 200, headers: [], at: 2 },
  ])('$text', ({ text, status, headers, at, text2 }) => {
    const r = head(text);
    expect(r.at).toBe(at);
    expect(r.head).toMatchObject({ status, headers, localRedirect: null, ...(text2 ? { statusText: text2 } : {}) });
  });

  it('a path Location without Status is a local redirect', () => {
    expect(head('Location: /other.php?a=1\r\nContent-type: text/html\r\n\r\n').head).toMatchObject({ localRedirect: '/other.php?a=1' });
  });

  it.each([
    ['no colon\r\n\r\n', 'malformed header line "no colon"'],
    ['Bad Name: x\r\n\r\n', 'malformed header line "Bad Name: x"'],
    ['X-A: a\rb\r\n\r\n', 'control character in header X-A'],
    ['X-A: a\0b\r\n\r\n', 'control character in header X-A'],
    ['Status: 99 Nope\r\n\r\n', 'bad Status "99 Nope"'],
    ['Status: 100 Continue\r\n\r\n', 'bad Status "100 Continue"'],
    ['Status: 200\r\nStatus: 201\r\n\r\n', 'more than one Status header'],
    ['Content-Length: 5\r\nContent-Length: 6\r\n\r\n', 'bad Content-Length "6"'],
    ['Content-Length: -1\r\n\r\n', 'bad Content-Length "-1"'],
    [' folded: x\r\n\r\n', 'malformed header line " folded: x"'],
  ])('malformed: %j', (text, error) => {
    const r = head(text);
    expect(r.head).toBeNull();
    expect(r.error).toBe(error);
  });

  it('a head beyond the bound is malformed; one split across reads is found', () => {
    const r = new CgiHeadReader(64);
    expect(r.feed(Buffer.from(`X-Big: ${'x'.repeat(100)}`))).toBe(-2);
    expect(r.error).toBe('response head exceeds 64 bytes');
    const s = new CgiHeadReader(64);
    expect(s.feed(Buffer.from('X-A: 1\r'))).toBe(-1);
    expect(s.feed(Buffer.from('\n\r'))).toBe(-1);
    expect(s.feed(Buffer.from('\nrest'))).toBe(1);
    expect(s.head()).toMatchObject({ headers: ['X-A', '1'] });
  });
});

describe('nginx $uri and fastcgi_split_path_info', () => {
  it.each([
    ['/a/b', '/a/b'], ['/a%20b', '/a b'], ['//a///b', '/a/b'], ['/a/./b/../c', '/a/c'], ['/a/..', '/'], ['/a/.', '/a/'],
    ['/%2e%2e/x', null], ['/a%00b', null], ['/..', null], ['/a%zz', '/a%zz'],
  ])('%s → %s', (path, want) => expect(normalizeUri(path)).toBe(want));

  const s = { splitPathInfo: '.php', index: 'index.php' };
  it.each([
    ['/index.php/foo/bar', '/index.php', '/foo/bar'], ['/index.php', '/index.php', ''], ['/a.php/b.php/c', '/a.php', '/b.php/c'],
    ['/dir/', '/dir/index.php', ''], ['/.php/x', '/.php', '/x'], ['/a.php/x\ny', '/a.php/x\ny', ''], ['/a.phpx/y', '/a.phpx/y', ''],
  ])('%j → SCRIPT_NAME %j PATH_INFO %j', (uri, script, pathInfo) => expect(splitPath(uri, s)).toEqual({ script, pathInfo }));

  it('splitting off', () => expect(splitPath('/index.php/foo', { splitPathInfo: '', index: 'index.php' })).toEqual({ script: '/index.php/foo', pathInfo: '' }));
});

describe('cgiParams', () => {
  const settings = fastcgiSettings({ ...DEFAULT_POLICY, protocol: 'FastCGI', fastcgi: { documentRoot: '/srv/app/', index: 'index.php', splitPathInfo: '.php', params: [{ name: 'SERVER_NAME', value: 'shop.example' }, { name: 'APP_ENV', value: 'prod' }] } });
  const asMap = (flat: string[] | null) => {
    const m = new Map<string, string>();
    for (let i = 0; i < flat!.length; i += 2) {
      expect(m.has(flat![i]!), `${flat![i]} once`).toBe(false);
      m.set(flat![i]!, flat![i + 1]!);
    }
    return m;
  };

  it('client facts over TLS: HTTPS on, scheme https; extra params replace built-ins in place or go last', () => {
    const p = asMap(cgiParams({ method: 'GET', path: '/a.php/b?c=d', headers: ['Host', 'x.example:8443', 'X-Forwarded-Proto', 'http', 'Cookie', 'a=1', 'cookie', 'b=2', 'X_Under', 'no', 'Proxy', 'evil'], client: { address: '10.1.2.3', port: 5555, serverAddress: '10.0.0.1', serverPort: 8443, tls: true, protocol: 'HTTP/2.0' } }, settings));
    expect(Object.fromEntries(p)).toMatchObject({
      HTTPS: 'on', REQUEST_SCHEME: 'https', SERVER_PROTOCOL: 'HTTP/2.0', REMOTE_ADDR: '10.1.2.3', REMOTE_PORT: '5555', SERVER_ADDR: '10.0.0.1', SERVER_PORT: '8443',
      SERVER_NAME: 'shop.example', APP_ENV: 'prod', DOCUMENT_ROOT: '/srv/app', SCRIPT_FILENAME: '/srv/app/a.php', SCRIPT_NAME: '/a.php', PATH_INFO: '/b', HTTP_COOKIE: 'a=1; b=2',
    });
    expect(p.has('HTTP_X_UNDER')).toBe(false);
    expect(p.has('HTTP_PROXY')).toBe(false);
    expect([...p.keys()].at(-1)).toBe('APP_ENV');
  });

  it('without client facts: from the X-Real-IP / X-Forwarded-* headers Pier sets', () => {
    const p = asMap(cgiParams({ method: 'POST', path: '/', headers: ['host', 'a.example', 'content-type', 'text/plain', 'content-length', '3', 'x-real-ip', '192.0.2.1', 'x-forwarded-proto', 'https', 'x-forwarded-port', '443'] }, settings));
    expect(Object.fromEntries(p)).toMatchObject({ REMOTE_ADDR: '192.0.2.1', REMOTE_PORT: '', SERVER_ADDR: '', SERVER_PORT: '443', HTTPS: 'on', REQUEST_SCHEME: 'https', CONTENT_TYPE: 'text/plain', CONTENT_LENGTH: '3', SCRIPT_NAME: '/index.php', SERVER_PROTOCOL: 'HTTP/1.1' });
  });
});
