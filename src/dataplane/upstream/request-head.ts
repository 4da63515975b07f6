/**
 * The request line and headers of one upstream request as ONE latin1 string (one socket write,
 * no Buffer per header). Names are compared without lower-casing them, as forward-headers.ts
 * does: no allocation per header.
 */

import { equalsLower as eq } from '../ascii-case.ts';

/** What the head builder learned about the headers (a per-connection object, reused). */
export interface HeadFacts {
  /** The Content-Length the caller set, or -1 (a streamed body then goes out chunked). */
  contentLength: number;
}

/** Header values as undici accepts them: a flat `[name, value, ...]` array or an object. */
export type RequestHeaders = readonly string[] | Readonly<Record<string, string | readonly string[] | undefined>> | null | undefined;

/**
 * `${method} ${path} HTTP/1.1\r\n` + the headers (+ `hostHeader`, e.g. `host: 10.0.0.1:8080\r\n`,
 * when they carry no Host), WITHOUT the Connection header and the final CRLF: the caller adds
 * those once it knows how the body is framed and whether the connection stays open.
 *
 * Values are written as given, not re-validated as undici does per header: the dataplane's come
 * from a request llhttp already parsed strictly (no CR/LF can be in them) plus values Pier
 * builds itself. Another caller must not pass untrusted strings.
 */
export function requestHead(method: string, path: string, headers: RequestHeaders, hostHeader: string, facts: HeadFacts): string {
  facts.contentLength = -1;
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let sawHost = false;
  if (Array.isArray(headers)) {
    const flat = headers as readonly string[];
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i]!;
      const value = flat[i + 1]!;
      if (name.length === 4 && eq(name, 'host')) sawHost = true;
      else if (name.length === 14 && eq(name, 'content-length')) facts.contentLength = Number(value);
      head += `${name}: ${value}\r\n`;
    }
  } else if (headers != null) {
    // Object form (Dispatcher.request() callers, tests): not the proxy's hot path.
    for (const [name, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
      if (value === undefined) continue;
      if (name.length === 4 && eq(name, 'host')) sawHost = true;
      else if (name.length === 14 && eq(name, 'content-length')) facts.contentLength = Number(value);
      if (typeof value === 'string') head += `${name}: ${value}\r\n`;
      else for (const v of value) head += `${name}: ${v}\r\n`;
    }
  }
  return sawHost ? head : head + hostHeader;
}

/** Methods whose semantics anticipate a body: sent with `content-length: 0` when they have
 * none (RFC 9110 §8.6; undici does the same, and some servers answer 411 otherwise). */
export function expectsPayload(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

