/**
 * Is `value` an authority a request may name its server by: `uri-host [ ":" port ]` (RFC 9110
 * §7.2, RFC 3986 §3.2.2-3.2.3), as a Host header or as the authority of an absolute-form target?
 * An IP literal in brackets, or a reg-name / IPv4 address of unreserved, sub-delims and
 * pct-encoded characters (possibly empty: RFC 9112 §3.2 lets a Host header be empty), then an
 * optional port of digits. No userinfo, no path, no whitespace: RFC 9112 §3.2 asks for a 400 on
 * anything else, and a Host carrying `/`, `@` or spaces is how a request confuses routing or the
 * backend's idea of its own URL.
 */
export function isAuthority(value: string): boolean {
  let i = 0;
  const n = value.length;
  if (n > 0 && value.charCodeAt(0) === 0x5b /* [ */) {
    const close = value.indexOf(']');
    if (close < 2) return false;
    for (i = 1; i < close; i++) if (!isLiteralChar(value.charCodeAt(i))) return false;
    i = close + 1;
  } else {
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c === 0x3a /* : */) break;
      if (c === 0x25 /* % */) {
        if (i + 2 >= n || !isHex(value.charCodeAt(i + 1)) || !isHex(value.charCodeAt(i + 2))) return false;
        i += 2;
      } else if (!isRegNameChar(c)) {
        return false;
      }
    }
  }
  if (i === n) return true;
  if (value.charCodeAt(i) !== 0x3a) return false;
  for (i++; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** unreserved / sub-delims (RFC 3986 §2.2-2.3). */
function isRegNameChar(c: number): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  switch (c) {
    case 0x2d: case 0x2e: case 0x5f: case 0x7e: // - . _ ~
    case 0x21: case 0x24: case 0x26: case 0x27: case 0x28: case 0x29: // ! $ & ' ( )
    case 0x2a: case 0x2b: case 0x2c: case 0x3b: case 0x3d: // * + , ; =
      return true;
    default:
      return false;
  }
}

/** Inside `[...]`: IPv6 (hex digits, `:`, `.`), IPvFuture (`v`, unreserved, sub-delims, `:`). */
function isLiteralChar(c: number): boolean {
  return c === 0x3a || isRegNameChar(c);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}
