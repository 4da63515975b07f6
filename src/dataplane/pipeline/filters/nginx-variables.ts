import { clientAddressOf } from '../../client-address.ts';
import { clientScheme, trustedOrigin } from '../../forwarded-origin.ts';
import type { VariableScope } from '../admission.ts';
import { hostWithoutPort } from './redirects.ts';
import { cookieValue } from './cookies.ts';

/** A text with nginx variables, compiled once: filled in for one request. */
export type Expand = (a: VariableScope) => string;

/**
 * Compiles `text` (`https://$host/oauth2/start?rd=$escaped_request_uri`, `$remote_user$http_authorization`)
 * into a function of the request. The variables are those translate/annotations/external-auth.ts
 * accepts, with nginx's meaning: `$host` (lower-case, no port), `$http_host` and
 * `$best_http_host` (the Host header; from a trusted proxy its X-Forwarded-Host), `$scheme` /
 * `$pass_access_scheme` (from a trusted proxy its X-Forwarded-Proto), `$request_uri` (the
 * original path and query), `$escaped_request_uri` (the same, URI-component escaped: set-misc's
 * set_escape_uri), `$uri`, `$args`, `$is_args`, `$request_method`, `$remote_addr`,
 * `$remote_user` (Basic auth user), `$http_<name>`, `$cookie_<name>`, `$arg_<name>`, and `$msec`
 * (the time in seconds with millisecond resolution, `1700000000.123`: the header lists of
 * `--proxy-set-headers` / `--add-headers` accept it). Unknown ones never get here (translate
 * refuses them).
 */
export function compileVariables(text: string): Expand {
  const parts: (string | Expand)[] = [];
  let last = 0;
  for (const m of text.matchAll(/\$\{?([A-Za-z0-9_]+)\}?/g)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(variable(m[1]!));
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  if (parts.every((p) => typeof p === 'string')) {
    const fixed = parts.join('');
    return () => fixed;
  }
  return (a) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(a);
    return out;
  };
}

function variable(name: string): Expand {
  switch (name) {
    case 'host': case 'server_name': return (a) => hostWithoutPort(a.host ?? '').toLowerCase();
    case 'http_host': return (a) => a.req.facts.host ?? '';
    // lua_ingress.lua: a trusted proxy's first X-Forwarded-Host (use-forwarded-headers), else Host.
    case 'best_http_host': return (a) => trustedOrigin(a.req.rawHeaders, a.req.conn)?.host ?? a.req.facts.host ?? '';
    case 'scheme': return (a) => (a.tls ? 'https' : 'http');
    // lua_ingress.lua: https from a PROXY header's port 443, a trusted proxy's X-Forwarded-Proto, else $scheme.
    case 'pass_access_scheme': return (a) => clientScheme(a.req.conn, a.tls ? 'https' : 'http', trustedOrigin(a.req.rawHeaders, a.req.conn));
    case 'request_uri': return (a) => a.req.url;
    case 'escaped_request_uri': return (a) => escapeUri(a.req.url);
    case 'uri': return (a) => pathOf(a.req.url);
    case 'args': case 'query_string': return (a) => queryOf(a.req.url);
    case 'is_args': return (a) => (a.req.url.includes('?') ? '?' : '');
    case 'request_method': return (a) => a.req.method;
    case 'remote_addr': return (a) => clientAddressOf(a.req);
    case 'proxy_add_x_forwarded_for': return (a) => {
      const xff = a.req.headers['x-forwarded-for'];
      return xff === undefined ? a.req.conn.clientAddress : `${String(xff)}, ${a.req.conn.clientAddress}`;
    };
    case 'remote_user': return (a) => basicUser(a.req.headers.authorization);
    case 'msec': return () => (Date.now() / 1000).toFixed(3);
    default: break;
  }
  if (name.startsWith('http_')) {
    const header = name.slice(5).toLowerCase().replaceAll('_', '-');
    return (a) => {
      const v = a.req.headers[header];
      return v === undefined ? '' : Array.isArray(v) ? v.join(', ') : v;
    };
  }
  if (name.startsWith('cookie_')) {
    const cookie = name.slice(7);
    return (a) => cookieValue(a.req.headers.cookie, cookie) ?? '';
  }
  if (name.startsWith('arg_')) {
    const arg = name.slice(4);
    return (a) => new URLSearchParams(queryOf(a.req.url)).get(arg) ?? '';
  }
  return () => '';
}

/** set-misc's set_escape_uri: everything but letters, digits and `-._~` percent-encoded. */
export function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function queryOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
}

function basicUser(header: string | undefined): string {
  if (header === undefined || !/^basic +/i.test(header)) return '';
  const decoded = Buffer.from(header.slice(header.indexOf(' ') + 1).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? '' : decoded.slice(0, colon);
}
