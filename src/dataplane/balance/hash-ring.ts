import type { UpstreamServer } from '../../routing/route-table.ts';
import { serverKey } from './passive-health.ts';

/** Points per unit of weight, as ketama and nginx's `hash ... consistent`. */
const POINTS_PER_WEIGHT = 160;
/** Ring size cap; above it every server gets proportionally fewer points. */
const MAX_POINTS = 1 << 16;

/**
 * A ketama-style consistent-hash ring (libketama; nginx ngx_http_upstream_hash_module.c
 * `ngx_http_upstream_update_chash`): each server owns 160 × weight points at
 * hash32(`host:port#j`). A key belongs to the first point at or after hash32(key). Point
 * positions depend only on host:port and weight — not on list order or on the other servers —
 * so adding or removing one server moves only the keys its points cover (about 1/n).
 */
export class HashRing {
  /** Sorted point hashes. */
  readonly hashes: Uint32Array;
  /** Server index owning each point. */
  readonly owners: Int32Array;

  constructor(servers: readonly UpstreamServer[]) {
    const totalWeight = servers.reduce((sum, s) => sum + s.weight, 0);
    const scale = Math.min(POINTS_PER_WEIGHT, Math.max(1, Math.floor(MAX_POINTS / Math.max(1, totalWeight))));
    const points: { hash: number; owner: number; key: string }[] = [];
    servers.forEach((server, owner) => {
      const key = serverKey(server);
      for (let j = 0; j < server.weight * scale; j++) points.push({ hash: hash32(`${key}#${j}`), owner, key });
    });
    // Ties between servers are broken by host:port so the ring does not depend on list order.
    points.sort((a, b) => a.hash - b.hash || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.hashes = Uint32Array.from(points, (p) => p.hash);
    this.owners = Int32Array.from(points, (p) => p.owner);
  }

  get size(): number {
    return this.hashes.length;
  }

  /** Position of the first point at or after `hash` (wrapping to 0). */
  find(hash: number): number {
    const hashes = this.hashes;
    let lo = 0;
    let hi = hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === hashes.length ? 0 : lo;
  }
}

/**
 * 32-bit FNV-1a over UTF-16 code units, finished with murmur3's fmix32 so that near-identical
 * inputs (`10.0.0.1:80#0`, `10.0.0.1:80#1`) land far apart; crc32 is linear and clusters them.
 */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
