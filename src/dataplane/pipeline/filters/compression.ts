import type { CompressionPolicy } from '../../../routing/policies.ts';
import { equalsLower } from '../../ascii-case.ts';
import { negotiateCoding } from '../../compression/accept-encoding.ts';
import { BUFFERED_MAX, BufferedBody } from '../../compression/buffered-body.ts';
import { CompressingBody } from '../../compression/compressing-body.ts';
import type { Admission, RequestFilter, ResponseHook } from '../admission.ts';
import { removeHeader } from './header-lists.ts';
import { addVary } from './vary.ts';

/**
 * `pier.dev/compression`, nginx's gzip filter's rules (ngx_http_gzip_filter_module.c, with
 * ingress-nginx's `gzip_proxied any; gzip_vary on`):
 * - only upstream responses with status 200, 403 or 404, not to HEAD, not already encoded
 *   (any Content-Encoding), not a range (Content-Range), not `Cache-Control: no-transform`,
 *   of a listed media type, and not shorter than `minLength` when their length is known;
 * - such a response gets `Vary: Accept-Encoding` whether or not this client takes a coding;
 * - the coding is the client's best by Accept-Encoding q-values among the route's (ties: the
 *   route's order); none acceptable: sent as it is;
 * - compressed: Content-Length dropped (chunked, or close-delimited for HTTP/1.0), Content-Encoding
 *   set, a strong ETag made weak and Accept-Ranges dropped (as nginx); a body of known length
 *   up to 128 KiB is compressed in one call at its end (BufferedBody), any other is streamed
 *   through node:zlib (CompressingBody).
 * Upgrades are never compressed. Pier's own answers are not either (their bodies are a line).
 */
export function compressionFilter(policy: CompressionPolicy): RequestFilter {
  const types = new Set(policy.types);
  const anyType = types.has('*');
  const { codings, minLength } = policy;
  const hook: ResponseHook = (status, headers, a) => {
    if (!a.upstreamHead || (status !== 200 && status !== 403 && status !== 404) || a.req.method === 'HEAD') return;
    let type: string | undefined;
    let length = -1;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      switch (name.length) {
        case 12:
          if (equalsLower(name, 'content-type')) type = mediaType(value);
          break;
        case 14:
          if (equalsLower(name, 'content-length')) length = Number(value);
          break;
        case 13:
          if (equalsLower(name, 'content-range')) return;
          if (equalsLower(name, 'cache-control') && /(^|[\s,])no-transform($|[\s,;])/i.test(value)) return;
          break;
        case 16:
          if (equalsLower(name, 'content-encoding') && value.trim() !== '') return;
          break;
      }
    }
    if (type === undefined || !(anyType || types.has(type))) return;
    if (length >= 0 && length < minLength) return;
    addVary(headers, 'Accept-Encoding');
    const raw = a.req.headers['accept-encoding'];
    const coding = negotiateCoding(Array.isArray(raw) ? raw.join(',') : raw, codings);
    if (coding === undefined) return;
    removeHeader(headers, 'content-length');
    removeHeader(headers, 'accept-ranges');
    weakenEtag(headers);
    headers.push('content-encoding', coding);
    a.bodyTransform = length >= 0 && length <= BUFFERED_MAX ? new BufferedBody(coding, a.res, length) : new CompressingBody(coding, a.res);
  };
  return (a: Admission) => {
    if (!a.upgrade) a.onResponse(hook);
    return true;
  };
}

/** `Text/HTML; charset=utf-8` → `text/html`. */
function mediaType(value: string): string {
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
}

/** nginx's ngx_http_weak_etag: a strong ETag becomes `W/"..."` (the bytes change). */
function weakenEtag(headers: string[]): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length === 4 && equalsLower(headers[i]!, 'etag') && headers[i + 1]!.startsWith('"')) headers[i + 1] = `W/${headers[i + 1]}`;
  }
}
