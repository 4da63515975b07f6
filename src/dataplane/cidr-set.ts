import ipaddr from 'ipaddr.js';

/**
 * A set of CIDR ranges (IPv4 and IPv6) that answers "is this address in it?" for the textual
 * addresses the dataplane has (socket addresses, X-Forwarded-For entries, PROXY headers).
 * IPv4 ranges are kept as 32-bit network/mask pairs so the common check is a few integer
 * operations and no allocation; IPv6 ones as bytes. An IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1`) is checked as its IPv4 address. A string that is not an address is in no
 * set.
 */
export class CidrSet {
  readonly #v4: number[] = [];
  readonly #v6: { readonly bytes: number[]; readonly bits: number }[] = [];

  /** `cidrs` as translate normalized them (`10.0.0.0/8`, `2001:db8::/32`); a bare address is one host. */
  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const slash = cidr.indexOf('/');
      const text = slash < 0 ? cidr : cidr.slice(0, slash);
      const v4 = parseIpv4(text);
      if (v4 >= 0) {
        const bits = slash < 0 ? 32 : Number(cidr.slice(slash + 1));
        const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
        this.#v4.push((v4 & mask) >>> 0, mask);
      } else if (ipaddr.IPv6.isValid(text)) {
        const bits = slash < 0 ? 128 : Number(cidr.slice(slash + 1));
        this.#v6.push({ bytes: ipaddr.IPv6.parse(text).toByteArray(), bits });
      } else {
        throw new Error(`not an IP address or CIDR range: ${JSON.stringify(cidr)}`);
      }
    }
  }

  get size(): number {
    return this.#v4.length / 2 + this.#v6.length;
  }

  has(address: string): boolean {
    let v4 = parseIpv4(address);
    if (v4 < 0) {
      if (address.indexOf(':') < 0 || !ipaddr.IPv6.isValid(address)) return false;
      const v6 = ipaddr.IPv6.parse(address);
      if (!v6.isIPv4MappedAddress()) return this.#hasV6(v6.toByteArray());
      v4 = parseIpv4(v6.toIPv4Address().toString());
    }
    const list = this.#v4;
    for (let i = 0; i < list.length; i += 2) if (((v4 & list[i + 1]!) >>> 0) === list[i]) return true;
    return false;
  }

  #hasV6(bytes: number[]): boolean {
    for (const range of this.#v6) {
      let bits = range.bits;
      let i = 0;
      for (; bits >= 8; bits -= 8, i++) if (bytes[i] !== range.bytes[i]) break;
      if (bits >= 8) continue;
      if (bits === 0 || ((bytes[i]! ^ range.bytes[i]!) & (0xff << (8 - bits)) & 0xff) === 0) return true;
    }
    return false;
  }
}

/** Dotted-quad IPv4 as an unsigned 32-bit number, or -1 when `text` is not one. */
export function parseIpv4(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}
