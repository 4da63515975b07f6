import type { ConfigMap, EndpointSlice, Ingress, IngressClass, Secret, Service, Upstream } from '../source/objects.ts';
import type { AnnotationDefaults } from './annotations/parse-annotations.ts';
import type { BackendDefaults } from '../routing/route-table.ts';

/** Everything translate() reads: the store's latest object of each kind, unordered. */
export interface Snapshot {
  readonly ingressClasses: readonly IngressClass[];
  readonly ingresses: readonly Ingress[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly secrets: readonly Secret[];
  /** Read by annotations that name one (custom-headers, auth-proxy-set-headers, fastcgi-params-configmap)
   * and by --proxy-set-headers / --add-headers. */
  readonly configMaps?: readonly ConfigMap[];
  readonly upstreams: readonly Upstream[];
}

export const EMPTY_SNAPSHOT: Snapshot = {
  ingressClasses: [], ingresses: [], services: [], endpointSlices: [], secrets: [], upstreams: [],
};

/** Which Ingresses are ours (ARCHITECTURE.md class rules), and the controller-wide fallbacks. */
export interface TranslateOptions {
  readonly ingressClass: string;
  readonly controllerName: string;
  readonly watchIngressWithoutClass: boolean;
  /** --default-backend-service: answers what no rule matches, unless an Ingress sets spec.defaultBackend. */
  readonly defaultBackendService?: { readonly namespace: string; readonly name: string };
  /** --default-ssl-certificate: the certificate for unknown and absent SNI names. */
  readonly defaultSslCertificate?: { readonly namespace: string; readonly name: string };
  /** --proxy-set-headers / --add-headers: ConfigMaps whose entries are headers set on every
   * request to a backend / every response to a client (global-headers.ts). */
  readonly proxySetHeaders?: { readonly namespace: string; readonly name: string };
  readonly addHeaders?: { readonly namespace: string; readonly name: string };
  /** --enable-ssl-passthrough: the dataplane relays `ssl-passthrough` hosts' TLS; without it the
   * annotation only makes the backends HTTPS, and each Ingress setting it is told so. */
  readonly enableSslPassthrough?: boolean;
  /** --proxy-*-timeout, --upstream-keepalive-*: the timeouts and keepalive of every Service
   * backend (service-policy.ts); absent: DEFAULT_POLICY's. */
  readonly backendDefaults?: BackendDefaults;
  /** --ssl-redirect / --force-ssl-redirect / --compression*: what an Ingress without the
   * corresponding annotations gets (ingress-nginx's ConfigMap keys); absent: STANDARD_DEFAULTS. */
  readonly annotationDefaults?: AnnotationDefaults;
}

/** Lookups over a snapshot, built once per translate() call. */
export interface SnapshotIndex {
  readonly snapshot: Snapshot;
  ingressClass(name: string): IngressClass | undefined;
  ingressClasses(): readonly IngressClass[];
  ingress(namespace: string, name: string): Ingress | undefined;
  service(namespace: string, name: string): Service | undefined;
  /** EndpointSlices labelled `kubernetes.io/service-name: <service>` in `namespace`. */
  endpointSlices(namespace: string, service: string): readonly EndpointSlice[];
  secret(namespace: string, name: string): Secret | undefined;
  configMap(namespace: string, name: string): ConfigMap | undefined;
  upstream(namespace: string, name: string): Upstream | undefined;
}

export function indexSnapshot(snapshot: Snapshot): SnapshotIndex {
  const key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
  const byKey = <T extends { metadata: { namespace?: string; name: string } }>(objs: readonly T[]) =>
    new Map(objs.map((o) => [key(o.metadata.namespace, o.metadata.name), o]));
  const classes = new Map(snapshot.ingressClasses.map((c) => [c.metadata.name, c]));
  const services = byKey(snapshot.services);
  let ingresses: Map<string, Ingress> | undefined;
  const secrets = byKey(snapshot.secrets);
  const configMaps = byKey(snapshot.configMaps ?? []);
  const upstreams = byKey(snapshot.upstreams);
  const slices = new Map<string, EndpointSlice[]>();
  for (const slice of snapshot.endpointSlices) {
    const svc = slice.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const k = key(slice.metadata.namespace, svc);
    const list = slices.get(k);
    if (list) list.push(slice);
    else slices.set(k, [slice]);
  }
  return {
    snapshot,
    ingressClass: (name) => classes.get(name),
    ingressClasses: () => snapshot.ingressClasses,
    ingress: (ns, name) => (ingresses ??= byKey(snapshot.ingresses)).get(key(ns, name)),
    service: (ns, name) => services.get(key(ns, name)),
    endpointSlices: (ns, svc) => slices.get(key(ns, svc)) ?? [],
    secret: (ns, name) => secrets.get(key(ns, name)),
    configMap: (ns, name) => configMaps.get(key(ns, name)),
    upstream: (ns, name) => upstreams.get(key(ns, name)),
  };
}
