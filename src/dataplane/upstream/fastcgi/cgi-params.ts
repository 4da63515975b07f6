import type { ClientFacts } from '../upstream-handler.ts';
import type { FastcgiSettings } from './fastcgi-settings.ts';

/** What the params builder reads from one request. */
export interface CgiRequest {
  readonly method: string;
  /** The raw origin-form target (REQUEST_URI). */
  readonly path: string;
  /** Flat `[name, value, ...]` as sent upstream. */
  readonly headers: readonly string[];
  readonly client?: ClientFacts | undefined;
}

/**
 * CGI/1.1 parameters (RFC 3875 §4.1) for one request, as nginx's stock `fastcgi_params` plus
 * `SCRIPT_FILENAME` and `PATH_INFO` (Debian's `snippets/fastcgi-php.conf`) produce them, in that
 * order, then `HTTP_*` for each request header, then the configured extra params (which replace
 * a built-in of the same name). Flat `[name, value, ...]` of byte strings (latin1).
 *
 * - SCRIPT_NAME / PATH_INFO: `$uri` (the path percent-decoded, dot segments resolved, slashes
 *   merged) split as `fastcgi_split_path_info ^(.+?\.php)(/.*)$` would (the shortest prefix
 *   ending in the extension and followed by `/`; never across a line feed, which `.` does not
 *   match: the CVE-2019-11043 shape); a script name ending in `/` gets the index appended.
 * - SERVER_SOFTWARE is `pier`, without a version.
 * - HTTP_*: nginx's rules: upper case, `-` → `_`; names with `_` are dropped (nginx's
 *   `underscores_in_headers off`: `X_Foo` would otherwise collide with `X-Foo`); `Proxy` is
 *   never passed (HTTP_PROXY is read as a proxy setting by CGI programs: httpoxy, CVE-2016-5385);
 *   repeated headers are joined with `, ` (`; ` for Cookie), as nginx 1.23+.
 * - Client facts come from `client`; without them (a caller that does not pass them yet) from
 *   the X-Real-IP / X-Forwarded-Proto / X-Forwarded-Port headers Pier itself sets (it drops
 *   incoming ones, so they are trustworthy), with REMOTE_PORT and SERVER_ADDR empty.
 *
 * Returns null for a path nginx would refuse (a NUL byte, `..` above the root).
 */
export function cgiParams(req: CgiRequest, s: FastcgiSettings): string[] | null {
  const target = req.path;
  const q = target.indexOf('?');
  const uri = normalizeUri(q < 0 ? target : target.slice(0, q));
  if (uri === null) return null;
  const query = q < 0 ? '' : target.slice(q + 1);
  const headers = req.headers;
  let contentType = '';
  let contentLength = '';
  let host = '';
  let realIp = '';
  let fwdProto = '';
  let fwdPort = '';
  const http: string[] = [];
  let seen: Map<string, number> | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    const cgi = cgiName(name);
    if (cgi === null) continue;
    switch (cgi) {
      case 'HTTP_CONTENT_TYPE': contentType = value; break;
      case 'HTTP_CONTENT_LENGTH': contentLength = value; break;
      case 'HTTP_HOST': host = value; break;
      case 'HTTP_X_REAL_IP': realIp = value; break;
      case 'HTTP_X_FORWARDED_PROTO': fwdProto = value; break;
      case 'HTTP_X_FORWARDED_PORT': fwdPort = value; break;
    }
    const at = (seen ??= new Map()).get(cgi);
    if (at === undefined) {
      seen.set(cgi, http.length);
      http.push(cgi, value);
    } else {
      http[at + 1] += (cgi === 'HTTP_COOKIE' ? '; ' : ', ') + value;
    }
  }
  const { script, pathInfo } = splitPath(uri, s);
  const c = req.client;
  const tls = c !== undefined ? c.tls : fwdProto === 'https';
  const out = [
    'QUERY_STRING', query,
    'REQUEST_METHOD', req.method,
    'CONTENT_TYPE', contentType,
    'CONTENT_LENGTH', contentLength,
    'SCRIPT_NAME', script,
    'REQUEST_URI', target,
    'DOCUMENT_URI', uri,
    'DOCUMENT_ROOT', s.documentRoot,
    'SERVER_PROTOCOL', c?.protocol ?? 'HTTP/1.1',
    'REQUEST_SCHEME', tls ? 'https' : 'http',
  ];
  if (tls) out.push('HTTPS', 'on');
  out.push(
    'GATEWAY_INTERFACE', 'CGI/1.1',
    'SERVER_SOFTWARE', 'pier',
    'REMOTE_ADDR', c !== undefined ? c.address : realIp,
    'REMOTE_PORT', c !== undefined ? String(c.port) : '',
    'SERVER_ADDR', c !== undefined ? c.serverAddress : '',
    'SERVER_PORT', c !== undefined ? String(c.serverPort) : fwdPort,
    'SERVER_NAME', serverName(host),
    'REDIRECT_STATUS', '200',
    'SCRIPT_FILENAME', s.scriptFilename ?? (s.documentRoot === '/' ? script : s.documentRoot + script),
    'PATH_INFO', pathInfo,
  );
  for (let i = 0; i < http.length; i++) out.push(http[i]!);
  return s.params.length === 0 ? out : withParams(out, s.params);
}

/** The extra params replace same-named built-ins in place; new names go last. */
function withParams(out: string[], params: readonly string[]): string[] {
  for (let j = 0; j < params.length; j += 2) {
    const name = params[j]!;
    let found = false;
    for (let i = 0; i < out.length; i += 2) {
      if (out[i] !== name) continue;
      out[i + 1] = params[j + 1]!;
      found = true;
    }
    if (!found) out.push(name, params[j + 1]!);
  }
  return out;
}

/** SCRIPT_NAME and PATH_INFO of `uri` (see cgiParams). */
export function splitPath(uri: string, s: Pick<FastcgiSettings, 'splitPathInfo' | 'index'>): { script: string; pathInfo: string } {
  const ext = s.splitPathInfo;
  if (ext !== '' && !uri.includes('\n')) {
    const at = uri.indexOf(`${ext}/`, 1);
    if (at > 0) return { script: uri.slice(0, at + ext.length), pathInfo: uri.slice(at + ext.length) };
  }
  return { script: uri.endsWith('/') ? uri + s.index : uri, pathInfo: '' };
}

/** HTTP_* name of a header, or null when it is not passed (see cgiParams); cached per spelling. */
function cgiName(name: string): string | null {
  let cgi = names.get(name);
  if (cgi !== undefined) return cgi;
  const lower = name.toLowerCase();
  cgi = lower.includes('_') || lower === 'proxy' ? null : `HTTP_${lower.toUpperCase().replaceAll('-', '_')}`;
  if (names.size < MAX_CACHED_NAMES) names.set(name, cgi);
  return cgi;
}

const names = new Map<string, string | null>();
/** Header spellings are few in practice; a client sending random names must not grow this. */
const MAX_CACHED_NAMES = 512;

/** SERVER_NAME: the Host header's name (lower case, without port), as the matched virtual host. */
function serverName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return (end < 0 ? host : host.slice(0, end + 1)).toLowerCase();
  }
  const colon = host.indexOf(':');
  return (colon < 0 ? host : host.slice(0, colon)).toLowerCase();
}

/**
 * nginx's `$uri` from the path of a request target (ngx_http_parse_complex_uri): percent-decoded
 * to bytes (latin1 characters), `//` merged, `.` and `..` segments resolved. Null for a NUL
 * byte or a `..` above the root (nginx answers 400).
 */
export function normalizeUri(path: string): string | null {
  if (!path.includes('%') && !path.includes('/.') && !path.includes('//')) return path;
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '%' && i + 2 < path.length && isHex(path.charCodeAt(i + 1)) && isHex(path.charCodeAt(i + 2))) {
      decoded += String.fromCharCode(parseInt(path.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      decoded += ch;
    }
  }
  if (decoded.includes('\0')) return null;
  const out: string[] = [];
  const parts = decoded.split('/');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (part === '' && !last) continue;
    if (part === '.') {
      if (last) out.push('');
      continue;
    }
    if (part === '..') {
      if (out.length === 0) return null;
      out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(part);
  }
  return `/${out.join('/')}`;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
