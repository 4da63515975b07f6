import type { RateLimitPolicy } from '../../routing/policies.ts';
import { nginxRate } from './leaky-bucket.ts';
import type { RateZone } from './limiter.ts';

/**
 * The `limit_req` zones of one rate-limit policy, in ingress-nginx's order (buildRateLimit:
 * rps, then rpm), each `burst = rate × limit-burst-multiplier`.
 */
export function policyZones(p: Pick<RateLimitPolicy, 'zone' | 'rps' | 'rpm' | 'burstMultiplier'>): RateZone[] {
  const zones: RateZone[] = [];
  if (p.rps > 0) zones.push({ id: `${p.zone}#rps`, rate: nginxRate(p.rps, 's'), burst: p.rps * p.burstMultiplier * 1000 });
  if (p.rpm > 0) zones.push({ id: `${p.zone}#rpm`, rate: nginxRate(p.rpm, 'm'), burst: p.rpm * p.burstMultiplier * 1000 });
  return zones;
}
