import { BlockList } from 'node:net';
import type { RateLimitPolicy } from '../../../routing/policies.ts';
import type { Limiter } from '../../limits/limiter.ts';
import { policyZones } from '../../limits/rate-zones.ts';
import type { RequestFilter } from '../admission.ts';
import { answer } from '../answer.ts';

/**
 * `limit-rps` / `limit-rpm` / `limit-connections` per client address, in the Ingress's zones,
 * in nginx's phase order: limit_req first (rps, then rpm, as ingress-nginx writes them; a
 * request a later zone refuses is not charged to an earlier one), then limit_conn (the request
 * counts as in progress until its response is complete or cut, or its tunnel closes).
 * Addresses in `limit-allowlist` pass uncounted. A refusal answers `limit-req-status-code` /
 * `limit-conn-status-code` (503 unless set). Where the state lives (this worker, or leased
 * from the primary) is the limiter's business: the filter never waits.
 */
export function rateLimitFilter(policy: RateLimitPolicy, limiter: Limiter): RequestFilter {
  const zones = policyZones(policy);
  const allow = allowList(policy.allow);
  const connZone = policy.zone;
  const connections = policy.connections;
  const reqStatus = policy.status ?? limiter.reqStatus;
  const connStatus = policy.connStatus ?? limiter.connStatus;
  return (a) => {
    const key = a.req.conn.clientAddress;
    if (allow !== undefined && allow.check(key, key.includes(':') ? 'ipv6' : 'ipv4')) return true;
    for (let i = 0; i < zones.length; i++) {
      if (limiter.take(zones[i]!, key)) continue;
      for (let j = 0; j < i; j++) limiter.refund(zones[j]!, key);
      return answer(a, reqStatus, []);
    }
    if (connections > 0) {
      if (!limiter.acquire(connZone, key, connections)) return answer(a, connStatus, []);
      a.onDone(() => limiter.release(connZone, key));
    }
    return true;
  };
}

function allowList(cidrs: readonly string[]): BlockList | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/') as [string, string];
    list.addSubnet(address, Number(bits), address.includes(':') ? 'ipv6' : 'ipv4');
  }
  return list;
}
