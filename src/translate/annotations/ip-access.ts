import ipaddr from 'ipaddr.js';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/**
 * IP access family, as ingress-nginx's ipallowlist and ipdenylist parsers:
 * - `allowlist-source-range` (older name `whitelist-source-range`; the new name wins when both
 *   are set) and `denylist-source-range`: comma-separated CIDRs or addresses, IPv4 and IPv6
 *   (`10.0.0.0/8, 192.168.1.7, 2001:db8::/32`). Host bits are dropped as Go's ParseCIDR does
 *   (`10.1.2.3/8` is `10.0.0.0/8`); the list is sorted and deduplicated.
 * - Any entry that is not one makes the annotation invalid (the Ingress is not served: ingress-
 *   nginx would deny the location; an unreadable list must never open it).
 * - `--whitelist-source-range` / `--denylist-source-range` (ingress-nginx's ConfigMap keys) are
 *   what an Ingress without the annotation (or with an empty one) reads: each annotation
 *   replaces its own list, as in ingress-nginx (AnnotationReader's fallbacks).
 */
export function parseIpAccess(r: AnnotationReader, s: IngressSettings): void {
  // An empty allowlist-source-range is not set (the controller's --whitelist-source-range, or
  // the older name, applies); a list is never dropped by an empty value.
  const allowName = r.string('allowlist-source-range') ? 'allowlist-source-range' : 'whitelist-source-range';
  const allow = cidrList(r, allowName);
  const deny = cidrList(r, 'denylist-source-range');
  if (allow === undefined && deny === undefined) return;
  if ((allow?.length ?? 0) + (deny?.length ?? 0) === 0) return;
  s.policies.push({ kind: 'ip-access', allow: allow ?? [], deny: deny ?? [] });
}

function cidrList(r: AnnotationReader, name: string): string[] | undefined {
  const text = r.string(name);
  if (text === undefined) return undefined;
  const out = new Set<string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const cidr = normalizeCidr(entry);
    if (cidr === undefined) return r.fail(name, `has "${entry}", which is not an IP address or CIDR range (like 10.0.0.0/8 or 2001:db8::/32)`);
    out.add(cidr);
  }
  return [...out].sort();
}

/** `10.1.2.3/8` → `10.0.0.0/8`, `::1` → `::1/128`; undefined when it is not an address or CIDR. */
export function normalizeCidr(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const ip = strictIp(slash < 0 ? entry : entry.slice(0, slash));
  if (ip === undefined) return undefined;
  const max = ip.kind() === 'ipv4' ? 32 : 128;
  if (slash < 0) return `${ip.toString()}/${max}`;
  const bitsText = entry.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bitsText) || Number(bitsText) > max) return undefined;
  const bits = Number(bitsText);
  return `${networkOf(ip, bits)}/${bits}`;
}

/** Dotted-quad IPv4 (no shorthand, no leading zeros, as Go's ParseIP) or IPv6. */
function strictIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

function networkOf(ip: ipaddr.IPv4 | ipaddr.IPv6, bits: number): string {
  const bytes = ip.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  return ipaddr.fromByteArray(bytes).toString();
}
