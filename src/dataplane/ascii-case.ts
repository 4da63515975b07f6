/**
 * ASCII case-insensitive equality of `name` with a lower-case constant of the same length (the
 * caller checks the length first). Header names are compared in place this way on the hot path:
 * no lower-cased copy per header.
 */
export function equalsLower(name: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}
