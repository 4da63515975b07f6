import { equalsLower } from '../../ascii-case.ts';

/**
 * Adds `token` (e.g. `Accept-Encoding`) to a flat header list's Vary, unless a Vary header
 * already names it (any case) or is `*`.
 */
export function addVary(headers: string[], token: string): void {
  const lower = token.toLowerCase();
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length !== 4 || !equalsLower(name, 'vary')) continue;
    for (const part of headers[i + 1]!.split(',')) {
      const t = part.trim().toLowerCase();
      if (t === lower || t === '*') return;
    }
  }
  headers.push('vary', token);
}
