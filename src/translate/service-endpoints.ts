import type { EndpointSlice, Service, ServicePort } from '../source/objects.ts';
import { DEFAULT_SERVER_LIMITS } from '../routing/route-table.ts';
import type { UpstreamServer } from '../routing/route-table.ts';
import type { SnapshotIndex } from './snapshot.ts';

/** The servers behind one Service port, or why there are none (a reason code and a sentence). */
export type ServiceServers =
  | { readonly servers: readonly UpstreamServer[] }
  | { readonly unavailable: string; readonly message: string };

/**
 * Resolves a Service port (by `name` or by `number`, as an Ingress backend writes it) to the
 * servers that receive its traffic.
 *
 * - ExternalName Service: one server at `spec.externalName`, on the port number (a port name is
 *   looked up in `spec.ports`).
 * - `clusterIp` (the `service-upstream` annotation): one server at the Service's cluster IP and
 *   port, when it has one (headless Services fall back to their endpoints).
 * - Otherwise the port is found in `spec.ports`, then in each EndpointSlice labelled
 *   `kubernetes.io/service-name: <service>` the slice port with the same *name* (an unnamed
 *   Service port matches an unnamed slice port) gives the port number. Endpoints count when
 *   `conditions.ready` is not false and `conditions.terminating` is not true; each of their
 *   addresses becomes a server. Servers are deduplicated and sorted by host, then port.
 * - A slice that declares no ports at all falls back to the Service port's numeric
 *   `targetPort` (or the port itself when targetPort is absent, as Kubernetes defaults it): this
 *   is how hand-written manifests usually look. A slice that declares ports but not this one
 *   contributes nothing (it describes other ports), and a named targetPort cannot fall back.
 *
 * Unavailable reasons: `ServiceNotFound`, `ServicePortNotFound`, `InvalidExternalName`,
 * `NoReadyEndpoints`.
 */
export function resolveServiceServers(
  index: SnapshotIndex,
  namespace: string,
  serviceName: string,
  port: { name?: string; number?: number },
  clusterIp = false,
): ServiceServers {
  const display = `${namespace}/${serviceName}`;
  const service = index.service(namespace, serviceName);
  if (!service) return { unavailable: 'ServiceNotFound', message: `Service ${display} not found` };
  const servicePort = findPort(service, port);
  const portText = port.name || String(port.number);
  if (service.spec?.type === 'ExternalName') return externalNameServers(service, display, port, servicePort);
  if (!servicePort) {
    return { unavailable: 'ServicePortNotFound', message: `Service ${display} has no port ${portText}` };
  }
  const ip = service.spec?.clusterIP;
  if (clusterIp && typeof ip === 'string' && ip !== '' && ip !== 'None' && isPortNumber(servicePort.port)) {
    return { servers: [{ host: ip, port: servicePort.port, ...DEFAULT_SERVER_LIMITS }] };
  }
  const servers = sliceServers(index.endpointSlices(namespace, serviceName), servicePort);
  if (servers.length === 0) {
    return { unavailable: 'NoReadyEndpoints', message: `Service ${display} port ${portText} has no ready endpoints` };
  }
  return { servers };
}

/*
 * Services and EndpointSlices from a manifest directory are not schema-checked: a field of the
 * wrong JSON type counts as absent instead of throwing, so one odd object cannot stop a rebuild.
 */
function list<T extends object>(value: readonly T[] | undefined): readonly T[] {
  return Array.isArray(value) ? value.filter((v: T | null) => typeof v === 'object' && v !== null) : [];
}

function isPortNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

export function findPort(service: Service, port: { name?: string; number?: number }): ServicePort | undefined {
  const ports = list(service.spec?.ports);
  return port.name ? ports.find((p) => p.name === port.name) : ports.find((p) => p.port === port.number);
}

function externalNameServers(
  service: Service,
  display: string,
  port: { name?: string; number?: number },
  servicePort: ServicePort | undefined,
): ServiceServers {
  const host: unknown = service.spec?.externalName;
  if (typeof host !== 'string' || host === '') return { unavailable: 'InvalidExternalName', message: `ExternalName Service ${display} has no spec.externalName` };
  const number = port.name ? servicePort?.port : port.number;
  if (!isPortNumber(number)) {
    return { unavailable: 'ServicePortNotFound', message: `Service ${display} has no port ${port.name}` };
  }
  return { servers: [{ host, port: number, ...DEFAULT_SERVER_LIMITS }] };
}

function sliceServers(slices: readonly EndpointSlice[], servicePort: ServicePort): UpstreamServer[] {
  const byKey = new Map<string, UpstreamServer>();
  for (const slice of slices) {
    const port = slicePort(slice, servicePort);
    if (port === undefined) continue;
    for (const endpoint of list(slice.endpoints)) {
      if (endpoint.conditions?.ready === false || endpoint.conditions?.terminating === true) continue;
      const addresses: unknown = endpoint.addresses;
      if (!Array.isArray(addresses)) continue;
      for (const host of addresses) {
        if (typeof host !== 'string' || host === '') continue;
        byKey.set(`${host} ${port}`, { host, port, ...DEFAULT_SERVER_LIMITS });
      }
    }
  }
  return [...byKey.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port));
}

function slicePort(slice: EndpointSlice, servicePort: ServicePort): number | undefined {
  const ports = list(slice.ports);
  if (ports.length === 0) {
    const target = servicePort.targetPort ?? servicePort.port;
    return isPortNumber(target) ? target : undefined;
  }
  const port = ports.find((p) => (p.name ?? '') === (servicePort.name ?? ''))?.port;
  return isPortNumber(port) ? port : undefined;
}
