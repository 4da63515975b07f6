import type { Admission } from '../pipeline/admission.ts';

/**
 * The request's field `name` (lower-case) as one string (repeats joined by ", "), read from the
 * flat raw list: the cache reads a few fields per request and this avoids building the header
 * object for them.
 */
export function requestHeader(a: Admission, name: string): string | undefined {
  const raw = a.req.rawHeaders;
  let out: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length !== name.length || n.toLowerCase() !== name) continue;
    out = out === undefined ? raw[i + 1]! : `${out}, ${raw[i + 1]!}`;
  }
  return out;
}
