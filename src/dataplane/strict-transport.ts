import { equalsLower as same } from './ascii-case.ts';

/**
 * A flat `[name, value, ...]` response head with `value` (`--hsts`) as its only
 * Strict-Transport-Security field: an upstream's is replaced, as ingress-nginx's header filter
 * sets the field over whatever the upstream sent. For the fronts that build a head as a list
 * (node:http's, HTTP/2); the lean HTTP/1.1 front does the same while it writes the head.
 */
export function withStrictTransport(headers: readonly string[], value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === 25 && same(name, 'strict-transport-security')) continue;
    out.push(name, headers[i + 1]!);
  }
  out.push('strict-transport-security', value);
  return out;
}
