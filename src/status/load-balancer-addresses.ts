import { isIP } from 'node:net';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { PierConfig } from '../config.ts';
import type { LoadBalancerIngress } from '../source/objects.ts';

/** An Ingress status entry: an IP or a hostname (ports are not published). */
export type Address = { readonly ip: string } | { readonly hostname: string };

/** `--publish-status-address` values: IPs become `ip`, anything else `hostname`. */
export function addressesFromList(values: readonly string[]): Address[] {
  return values.map((v) => (isIP(v) ? { ip: v } : { hostname: v }));
}

/**
 * What the leader publishes: `--publish-status-address` when given, else the load balancer
 * status of the `--publish-service` Service (read each time: its address appears only once
 * the cloud provisioned it), else undefined (nothing to publish; status is left alone).
 */
export async function publishedAddresses(config: PierConfig, core: CoreV1Api): Promise<Address[] | undefined> {
  if (config.publishStatusAddress.length > 0) return addressesFromList(config.publishStatusAddress);
  if (!config.publishService) return undefined;
  const svc = await core.readNamespacedService(config.publishService);
  return addressesOfService(svc);
}

/** The parts of a Service that say where it can be reached. */
export interface PublishedService {
  readonly spec?: { readonly type?: string; readonly clusterIP?: string; readonly externalIPs?: readonly string[]; readonly externalName?: string };
  readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly LoadBalancerIngress[] } };
}

/**
 * Where the published Service sends clients, as ingress-nginx derives it, so that Ingress
 * status is filled on clusters without a cloud load balancer too (kind, bare metal):
 * provisioned load balancer addresses (any type) plus spec.externalIPs; else a LoadBalancer not
 * provisioned yet → its externalIPs (often none: status waits); NodePort → externalIPs, else the
 * cluster IP; ClusterIP → the cluster IP; ExternalName → the external name.
 */
export function addressesOfService(svc: PublishedService): Address[] {
  const spec = svc.spec ?? {};
  const externalIPs = (spec.externalIPs ?? []).map((ip) => ({ ip }));
  const clusterIP = spec.clusterIP && spec.clusterIP !== 'None' ? [{ ip: spec.clusterIP }] : [];
  const provisioned = svc.status?.loadBalancer?.ingress ?? [];
  // A provisioned load balancer address wins whatever the type says (it is where clients go).
  if (provisioned.length > 0) return normalize([...provisioned, ...externalIPs]);
  switch (spec.type ?? 'ClusterIP') {
    case 'LoadBalancer':
      return normalize(externalIPs);
    case 'NodePort':
      return normalize(externalIPs.length > 0 ? externalIPs : clusterIP);
    case 'ExternalName':
      return spec.externalName ? [{ hostname: spec.externalName }] : [];
    default:
      return normalize(clusterIP);
  }
}

/** Keeps only ip/hostname, as the status Pier writes, in a stable order. */
export function normalize(entries: readonly LoadBalancerIngress[]): Address[] {
  const out: Address[] = [];
  for (const e of entries) {
    if (e.ip) out.push({ ip: e.ip });
    else if (e.hostname) out.push({ hostname: e.hostname });
  }
  return out.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

/** Same set of IPs and hostnames, regardless of order and ports. */
export function sameAddresses(current: readonly LoadBalancerIngress[] | undefined, wanted: readonly Address[]): boolean {
  const a = normalize(current ?? []).map(keyOf);
  const b = normalize(wanted).map(keyOf);
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function keyOf(a: Address | LoadBalancerIngress): string {
  return 'ip' in a && a.ip ? `ip:${a.ip}` : `host:${(a as { hostname?: string }).hostname ?? ''}`;
}
