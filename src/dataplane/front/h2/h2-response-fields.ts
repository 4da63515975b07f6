import { namesNoHeader, responseHeaderFate, RESPONSE_DROP } from '../../forward-headers.ts';

/** A response head (or trailer block) as HTTP/2 sends it, and what the front reads from it. */
export interface ResponseFields {
  /** Flat `[name, value, ...]`, names lower-case; `:status` first when a status was given. */
  readonly fields: string[];
  /** A `connection` field said `close` (the field itself is never sent). */
  readonly close: boolean;
  /** `content-type: application/grpc*`. */
  readonly grpc: boolean;
  /** A `Trailer` field announced trailers (the field itself is dropped: hop-by-hop). */
  readonly announcesTrailers: boolean;
  /** The `content-length` value, -1 without one (or with one that is not a plain number). */
  readonly contentLength: number;
}

/**
 * Flat `[name, value, ...]` (Pier's own, or an upstream's when `upstream`) → the fields an
 * HTTP/2 response may carry: without pseudo-headers, without the connection-specific fields
 * RFC 9113 §8.2.2 forbids, and for an upstream's head without its hop-by-hop fields and those
 * its Connection field names. `status` goes first as `:status`.
 */
export function responseFields(flat: readonly string[], upstream: boolean, status?: number): ResponseFields {
  const fields: string[] = status === undefined ? [] : [':status', String(status)];
  let named: Set<string> | undefined;
  let close = false;
  let grpc = false;
  let announcesTrailers = false;
  let contentLength = -1;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    const value = flat[i + 1]!;
    if (name.charCodeAt(0) === 58 /* : */) continue;
    switch (name) {
      case 'connection':
        if (value.toLowerCase().includes('close')) close = true;
        if (upstream && !namesNoHeader(value)) {
          for (const t of value.split(',')) named = (named ?? new Set()).add(t.trim().toLowerCase());
        }
        continue;
      case 'content-type':
        if (value.startsWith('application/grpc')) grpc = true;
        break;
      case 'content-length':
        contentLength = /^\d{1,15}$/.test(value) ? Number(value) : -1;
        break;
      case 'trailer':
        announcesTrailers = true;
        continue;
      case 'te': case 'upgrade': case 'keep-alive': case 'proxy-connection': case 'transfer-encoding':
        continue;
    }
    if (upstream && responseHeaderFate(name) === RESPONSE_DROP) continue;
    fields.push(name, value);
  }
  if (named !== undefined) return { fields: without(fields, named), close, grpc, announcesTrailers, contentLength };
  return { fields, close, grpc, announcesTrailers, contentLength };
}

/** `fields` without the names in `named` (those an upstream's Connection field lists). */
function without(fields: readonly string[], named: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.charCodeAt(0) === 58 || !named.has(name)) out.push(name, fields[i + 1]!);
  }
  return out;
}
