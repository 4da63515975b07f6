/**
 * The Kubernetes objects Pier reads, in their JSON (API) shape. Both sources — the cluster
 * informers and the manifest directory — hand the store plain objects of these shapes, so
 * translation never depends on where an object came from. Only the fields Pier reads are typed,
 * and only those are kept (slim-object.ts drops the rest before anything stores an object: a
 * field typed here must be kept there too). Everything is optional because input is untrusted
 * until translate/ validated it.
 */

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  /** RFC 3339, as the API server writes it. */
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

export interface ServiceBackendPort {
  readonly name?: string;
  readonly number?: number;
}

export interface TypedLocalObjectReference {
  readonly apiGroup?: string;
  readonly kind?: string;
  readonly name?: string;
}

export interface IngressBackend {
  readonly service?: { readonly name?: string; readonly port?: ServiceBackendPort };
  readonly resource?: TypedLocalObjectReference;
}

export interface HTTPIngressPath {
  readonly path?: string;
  readonly pathType?: string;
  readonly backend?: IngressBackend;
}

export interface IngressRule {
  readonly host?: string;
  readonly http?: { readonly paths?: readonly HTTPIngressPath[] };
}

export interface IngressTLS {
  readonly hosts?: readonly string[];
  readonly secretName?: string;
}

export interface LoadBalancerIngress {
  readonly ip?: string;
  readonly hostname?: string;
  readonly ports?: readonly { port: number; protocol: string; error?: string }[];
}

export interface Ingress extends KubeObject {
  readonly kind: 'Ingress';
  readonly spec?: {
    readonly ingressClassName?: string;
    readonly defaultBackend?: IngressBackend;
    readonly rules?: readonly IngressRule[];
    readonly tls?: readonly IngressTLS[];
  };
  readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly LoadBalancerIngress[] } };
}

export interface IngressClass extends KubeObject {
  readonly kind: 'IngressClass';
  readonly spec?: { readonly controller?: string; readonly parameters?: TypedLocalObjectReference };
}

export interface ServicePort {
  readonly name?: string;
  readonly port?: number;
  readonly targetPort?: number | string;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

export interface Service extends KubeObject {
  readonly kind: 'Service';
  readonly spec?: {
    readonly type?: string;
    readonly ports?: readonly ServicePort[];
    readonly externalName?: string;
    readonly clusterIP?: string;
  };
}

export interface Endpoint {
  readonly addresses?: readonly string[];
  readonly conditions?: { readonly ready?: boolean; readonly serving?: boolean; readonly terminating?: boolean };
  readonly nodeName?: string;
}

export interface EndpointPort {
  readonly name?: string;
  readonly port?: number;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  readonly kind: 'EndpointSlice';
  readonly addressType?: string;
  readonly endpoints?: readonly Endpoint[];
  readonly ports?: readonly EndpointPort[];
}

export interface Secret extends KubeObject {
  readonly kind: 'Secret';
  readonly type?: string;
  /** base64 values, as in the API. */
  readonly data?: Readonly<Record<string, string>>;
}

/** v1 ConfigMap: read where an annotation names one (custom-headers, auth-proxy-set-headers,
 * fastcgi-params-configmap), and the ones --proxy-set-headers / --add-headers name. */
export interface ConfigMap extends KubeObject {
  readonly kind: 'ConfigMap';
  readonly data?: Readonly<Record<string, string>>;
}

/** pier.dev/v1alpha1 Upstream; the spec is validated by translate/ (see crds/). */
export interface Upstream extends KubeObject {
  readonly kind: 'Upstream';
  readonly spec?: unknown;
}

/** The kinds Pier watches, in the order translate/ documents. */
export const WATCHED_KINDS = ['IngressClass', 'Ingress', 'Service', 'EndpointSlice', 'Secret', 'ConfigMap', 'Upstream'] as const;
export type WatchedKind = (typeof WATCHED_KINDS)[number];

/** Identifies an object across kinds. Cluster-scoped objects (IngressClass) have namespace ''. */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export function refOf(obj: KubeObject): ObjectRef {
  return { kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
}

/** `ns/name`, or `name` for cluster-scoped objects: the form used in logs and problems. */
export function displayName(ref: { namespace?: string; name: string }): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}
