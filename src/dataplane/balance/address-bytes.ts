/**
 * Parses an IP address into `out` without allocating (the IP hash runs per request): 4 bytes for
 * IPv4 and IPv4-mapped IPv6 (`::ffff:10.0.0.1`, what a dual-stack Node socket reports for an
 * IPv4 client), 16 for IPv6. Returns the byte count, or 0 when `address` is not an IP.
 */
export function addressBytes(address: string, out: Uint8Array): number {
  if (address.includes(':')) {
    const n = parseIPv6(address, out);
    if (n === 16 && isV4Mapped(out)) {
      out.copyWithin(0, 12, 16);
      return 4;
    }
    return n;
  }
  return parseIPv4(address, 0, address.length, out, 0) ? 4 : 0;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function parseIPv4(s: string, from: number, to: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255 || parts === 4) return false;
      out[at + parts] = part;
      parts += 1;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits += 1;
    } else {
      return false;
    }
  }
  return parts === 4;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** RFC 4291 text forms: `::` compression, trailing dotted IPv4, optional `%zone`. */
function parseIPv6(s: string, out: Uint8Array): number {
  let end = s.indexOf('%');
  if (end < 0) end = s.length;
  out.fill(0);
  let at = 0;
  let gap = -1;
  let i = 0;
  if (s.startsWith('::')) {
    gap = 0;
    i = 2;
  }
  while (i < end) {
    let value = 0;
    let digits = 0;
    const start = i;
    while (i < end && hexValue(s.charCodeAt(i)) >= 0 && digits < 5) {
      value = value * 16 + hexValue(s.charCodeAt(i));
      digits += 1;
      i += 1;
    }
    if (i < end && s.charCodeAt(i) === 46) {
      if (at > 12 || !parseIPv4(s, start, end, out, at)) return 0;
      at += 4;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4 || at > 14) return 0;
    out[at] = value >> 8;
    out[at + 1] = value & 0xff;
    at += 2;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return 0;
    i += 1;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return 0;
      gap = at;
      i += 1;
    } else if (i === end) {
      return 0;
    }
  }
  if (gap < 0) return at === 16 ? 16 : 0;
  if (at === 16) return 0;
  const tail = at - gap;
  out.copyWithin(16 - tail, gap, at);
  out.fill(0, gap, 16 - tail);
  return 16;
}
