import type { Admission } from '../pipeline/admission.ts';

type Part = string | ((a: Admission) => string);

/**
 * Compiles a `pier.dev/cache-key` template (validated by translate) into one function, once per
 * table swap. Variables as nginx's: `$scheme`, `$host` (lower-case, without the port),
 * `$request_uri` (as the client sent it), `$uri` (path), `$args`, `$is_args`,
 * `$request_method`, `$http_<name>`, `$cookie_<name>`.
 */
export function compileKey(template: string): (a: Admission) => string {
  const parts: Part[] = [];
  let last = 0;
  for (const m of template.matchAll(/\$([A-Za-z0-9_]+)/g)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    parts.push(variable(m[1]!));
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return (a) => {
    let key = '';
    for (const p of parts) key += typeof p === 'string' ? p : p(a);
    return key;
  };
}

function variable(name: string): (a: Admission) => string {
  switch (name) {
    case 'scheme': return (a) => (a.tls ? 'https' : 'http');
    case 'host': return (a) => hostOnly(a.host);
    case 'request_uri': return (a) => a.req.url;
    case 'uri': return (a) => a.req.url.split('?')[0]!;
    case 'args': return (a) => (a.req.url.includes('?') ? a.req.url.slice(a.req.url.indexOf('?') + 1) : '');
    case 'is_args': return (a) => (a.req.url.includes('?') ? '?' : '');
    case 'request_method': return (a) => a.req.method;
  }
  if (name.startsWith('http_')) {
    const header = name.slice(5).replaceAll('_', '-');
    return (a) => String(a.req.headers[header] ?? '');
  }
  const cookie = name.slice(7);
  return (a) => {
    for (const part of String(a.req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === cookie) return part.slice(eq + 1).trim();
    }
    return '';
  };
}

function hostOnly(host: string | undefined): string {
  if (host === undefined) return '';
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}
