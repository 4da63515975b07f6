/**
 * Picks the content coding for a response from the client's Accept-Encoding (RFC 9110
 * §12.5.3): the offered coding with the highest q-value above 0; ties go to the server's
 * order (`offered`). `*` stands for any coding the header does not name; a coding with
 * `q=0` (or covered by `*;q=0`) is refused. No header, or nothing acceptable: undefined
 * (identity).
 */
export function negotiateCoding<C extends string>(accept: string | undefined, offered: readonly C[]): C | undefined {
  if (accept === undefined || accept === '') return undefined;
  const q = new Map<string, number>();
  for (const part of accept.split(',')) {
    const semi = part.indexOf(';');
    const name = (semi < 0 ? part : part.slice(0, semi)).trim().toLowerCase();
    if (name === '') continue;
    let value = 1;
    if (semi >= 0) {
      const m = /(?:^|;)\s*q\s*=\s*([0-9.]+)\s*(?:;|$)/i.exec(part.slice(semi));
      if (m !== null) {
        value = Number(m[1]);
        if (!Number.isFinite(value) || value < 0 || value > 1) continue;
      }
    }
    // `x-gzip` is gzip (RFC 9110 §8.4.1.3); the highest of repeated entries counts.
    const key = name === 'x-gzip' ? 'gzip' : name;
    q.set(key, Math.max(q.get(key) ?? 0, value));
  }
  const star = q.get('*');
  let best: C | undefined;
  let bestQ = 0;
  for (const coding of offered) {
    const v = q.get(coding) ?? star ?? 0;
    if (v > bestQ) {
      best = coding;
      bestQ = v;
    }
  }
  return best;
}
