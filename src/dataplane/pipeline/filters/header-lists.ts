import { equalsLower } from '../../ascii-case.ts';

/** Removes every `name` pair (lower-case `name`, any case in the list) from a flat list. */
export function removeHeader(headers: string[], name: string): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    const n = headers[r]!;
    if (n.length === name.length && equalsLower(n, name)) continue;
    headers[w++] = n;
    headers[w++] = headers[r + 1]!;
  }
  headers.length = w;
}

/** Replaces every `name` pair by one with `value`. */
export function setHeader(headers: string[], name: string, value: string): void {
  removeHeader(headers, name);
  headers.push(name, value);
}
