import { isIP } from 'node:net';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings, RateLimitSettings } from './ingress-settings.ts';

/** ingress-nginx's default `limit-burst-multiplier`. */
const DEFAULT_BURST_MULTIPLIER = 5;
/** Bounds Pier takes (nginx would take more; nobody limits a client to more than this). */
const MAX_RATE = 1_000_000;

/**
 * Rate limit family, as ingress-nginx's ratelimit parser and template (buildRateLimit):
 * - `limit-rps`, `limit-rpm`: requests per second / minute per client address, nginx
 *   `limit_req ... burst=<rate × limit-burst-multiplier> nodelay` (multiplier default 5).
 * - `limit-connections`: requests in progress per client address (nginx `limit_conn`).
 * - `limit-allowlist` (alias `limit-whitelist`, the former wins): comma-separated IPs and
 *   CIDRs that are never limited.
 * - `pier.dev/limit-req-status-code`, `pier.dev/limit-conn-status-code` (Pier's own: in
 *   ingress-nginx these are ConfigMap-wide, here per Ingress; the `--limit-*-status-code`
 *   flags set the pod's default, 503 as ingress-nginx).
 * Whole numbers ≥ 0 (ingress-nginx takes any int; a negative one breaks its nginx reload);
 * 0 = no limit. Nothing is limited unless one of rps, rpm, connections is above 0.
 */
export function parseRateLimits(r: AnnotationReader, s: IngressSettings): void {
  const rps = r.int('limit-rps', 0, MAX_RATE) ?? 0;
  const rpm = r.int('limit-rpm', 0, MAX_RATE) ?? 0;
  const connections = r.int('limit-connections', 0, MAX_RATE) ?? 0;
  const burstMultiplier = r.int('limit-burst-multiplier', 0, 1_000) ?? DEFAULT_BURST_MULTIPLIER;
  const listName = r.has('limit-allowlist') ? 'limit-allowlist' : 'limit-whitelist';
  const allow = parseAddressList(r, listName);
  const status = pierStatus(r, 'limit-req-status-code');
  const connStatus = pierStatus(r, 'limit-conn-status-code');
  if (rps === 0 && rpm === 0 && connections === 0) return;
  const limits: RateLimitSettings = {
    rps, rpm, connections, burstMultiplier, allow,
    ...(status === undefined ? {} : { status }),
    ...(connStatus === undefined ? {} : { connStatus }),
  };
  s.rateLimit = limits;
}

/** nginx limit_req_status / limit_conn_status take 400..599. */
function pierStatus(r: AnnotationReader, name: string): number | undefined {
  if (r.keyOf(name)?.startsWith('pier.dev/') !== true) return undefined;
  return r.int(name, 400, 599);
}

/**
 * ingress-nginx's net.ParseCIDRs: comma-separated, each an IP or a CIDR (spaces around
 * entries ignored; an empty entry is an error, as in Go's net.ParseCIDR).
 */
function parseAddressList(r: AnnotationReader, name: string): string[] {
  const text = r.string(name);
  if (text === undefined || text === '') return [];
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    const cidr = cidrOf(entry);
    if (cidr === undefined) return r.fail(name, `has "${entry}", which is not an IP address or CIDR (like 10.0.0.0/8, 192.168.1.7, fd00::/8)`) ?? [];
    out.push(cidr);
  }
  return [...new Set(out)].sort();
}

/** `10.0.0.0/8` or `10.1.2.3` (as `/32`), IPv6 likewise; undefined when neither. */
export function cidrOf(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return `${address}/${max}`;
  const bits = entry.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bits) || Number(bits) > max) return undefined;
  return `${address}/${Number(bits)}`;
}
