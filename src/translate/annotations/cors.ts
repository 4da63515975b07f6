import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** ingress-nginx's defaults (internal/ingress/annotations/cors/main.go). */
export const CORS_DEFAULTS = {
  methods: 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
  headers: 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization',
  maxAge: 1_728_000,
} as const;

/** One origin: ingress-nginx's corsOriginRegex (`scheme://[*.]host[:port]`, `null`, `*`). */
const ORIGIN = /^([a-z]+:\/\/(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|\*|null)$/;
/**
 * ingress-nginx's validators, spaces removed first as theirs are; written without nested
 * quantifiers (theirs, `^([A-Za-z]+,?\s?)+$`, backtrack exponentially on a JS engine).
 */
const METHODS = /^[A-Za-z]+(,[A-Za-z]+)*,?$/;
const HEADERS = /^[A-Za-z0-9\-_,]*$/;
const EXPOSE = /^[A-Za-z0-9\-_*]+(,[A-Za-z0-9\-_*]+)*,?$/;

/**
 * CORS family, as ingress-nginx (cors/main.go and the template's CORS block):
 * `enable-cors: "true"` turns it on; `cors-allow-origin` (default `*`; a comma-separated list
 * of `scheme://host[:port]`, `scheme://*.host[:port]` (one label), `null`; a `*` in the list
 * makes it `*`), `cors-allow-methods`, `cors-allow-headers`, `cors-expose-headers` (default
 * none), `cors-allow-credentials` (default true), `cors-max-age` (seconds, default 1728000).
 * ingress-nginx logs an invalid value and uses the default; Pier rejects the Ingress instead,
 * naming the annotation, as for every other annotation. The values are validated even when
 * `enable-cors` is off.
 */
export function parseCors(r: AnnotationReader, s: IngressSettings): void {
  const enabled = r.bool('enable-cors') ?? false;
  const origins = parseOrigins(r);
  const methods = listValue(r, 'cors-allow-methods', METHODS, 'may list only methods (letters) separated by commas') ?? CORS_DEFAULTS.methods;
  const headers = listValue(r, 'cors-allow-headers', HEADERS, 'may list only header names (letters, digits, - and _) separated by commas') ?? CORS_DEFAULTS.headers;
  const exposeHeaders = listValue(r, 'cors-expose-headers', EXPOSE, 'may list only header names (letters, digits, -, _ and *) separated by commas') ?? '';
  const credentials = r.bool('cors-allow-credentials') ?? true;
  const maxAge = r.int('cors-max-age', 0, 2_147_483_647) ?? CORS_DEFAULTS.maxAge;
  if (!enabled) return;
  s.policies.push({ kind: 'cors', origins, methods, headers, exposeHeaders, credentials, maxAge });
}

function parseOrigins(r: AnnotationReader): string[] {
  const text = r.string('cors-allow-origin');
  if (text === undefined) return ['*'];
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const origin = raw.trim();
    if (origin === '') continue;
    if (origin === '*') return ['*'];
    if (!ORIGIN.test(origin)) return r.fail('cors-allow-origin', `has "${origin}", which is not an origin (scheme://host[:port], scheme://*.host[:port], null or *)`) ?? [];
    out.push(origin);
  }
  return out.length === 0 ? ['*'] : out;
}

/** A comma-separated list checked (spaces removed) against `pattern`; the value as written. */
function listValue(r: AnnotationReader, name: string, pattern: RegExp, problem: string): string | undefined {
  const text = r.string(name);
  if (text === undefined || text === '') return undefined;
  if (!pattern.test(text.replaceAll(' ', ''))) return r.fail(name, problem);
  return text;
}
