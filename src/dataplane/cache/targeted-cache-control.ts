import { parseDictionary } from 'structured-headers';
import type { Directives } from './freshness.ts';

/** Directives that take delta-seconds (an Integer in a targeted field); the others are flags. */
const SECONDS = new Set(['max-age', 's-maxage', 'stale-while-revalidate', 'stale-if-error']);

/**
 * RFC 9213 targeted cache control (`CDN-Cache-Control`, or a field of the operator's own), for
 * a route whose `pier.dev/cache-targeted-fields` names fields: the first of them that the
 * response carries with a valid value is the response's caching policy for Pier, and its
 * Cache-Control and Expires are then ignored (§2.1); with none valid, Cache-Control applies as
 * usual. A targeted field is a Structured Field Dictionary (RFC 8941, parsed by
 * `structured-headers`): a value that does not parse, or a known directive with a value of the
 * wrong type (`max-age="60"`), makes the field invalid; unknown directives are ignored.
 * `record`: the response's fields, lower-case names.
 */
export function targetedDirectives(record: Readonly<Record<string, string>>, fields: readonly string[]): Directives | undefined {
  for (const name of fields) {
    const value = record[name];
    if (value === undefined) continue;
    const directives = parseTargeted(value);
    if (directives !== undefined) return directives;
  }
  return undefined;
}

function parseTargeted(value: string): Directives | undefined {
  let dict;
  try {
    dict = parseDictionary(value);
  } catch {
    return undefined;
  }
  const out: Directives = new Map();
  for (const [name, member] of dict) {
    const item = member[0];
    if (SECONDS.has(name)) {
      if (typeof item !== 'number' || !Number.isInteger(item) || item < 0) return undefined;
      out.set(name, String(item));
    } else if (item === true) {
      out.set(name, true);
    } else if (name === 'private' || name === 'no-cache') {
      return undefined; // the qualified forms have no Structured Field spelling here
    }
  }
  return out;
}
