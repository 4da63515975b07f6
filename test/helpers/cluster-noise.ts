/**
 * What a real cluster adds to the objects Pier reads, for tests and benchmarks of slimming
 * (src/source/slim-object.ts): an object as `kubectl get -o json` shows it after `kubectl apply`
 * of a Helm-rendered manifest, with the fields controllers fill in (EndpointSlice targetRef,
 * zone and hints; Service cluster IPs, selector and traffic policies). None of it is read by
 * Pier. Deterministic for a given `seed`, so runs compare.
 */

type Json = Record<string, unknown>;

const HELM_LABELS = (name: string): Record<string, string> => ({
  'app.kubernetes.io/name': name,
  'app.kubernetes.io/instance': `${name}-prod`,
  'app.kubernetes.io/managed-by': 'Helm',
  'app.kubernetes.io/version': '1.27.3',
  'helm.sh/chart': `${name}-4.12.0`,
});

/** The annotations a Helm release and `kubectl apply` leave on every object. */
function foreignAnnotations(obj: Json): Record<string, string> {
  const meta = obj.metadata as Json;
  const applied = { ...obj, metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations: meta.annotations } };
  return {
    'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) + '\n',
    'meta.helm.sh/release-name': `${String(meta.name)}-prod`,
    'meta.helm.sh/release-namespace': String(meta.namespace ?? 'default'),
    'argocd.argoproj.io/tracking-id': `apps:${String(obj.kind)}:${String(meta.namespace ?? '')}/${String(meta.name)}`,
  };
}

/** Server-side apply bookkeeping: one entry per field manager, mirroring the object's fields. */
function managedFields(obj: Json): Json[] {
  const fieldsOf = (value: unknown): unknown => {
    if (Array.isArray(value)) return { '.': {}, ...Object.fromEntries(value.map((v, i) => [`k:{"i":${i}}`, fieldsOf(v)])) };
    if (typeof value === 'object' && value !== null) return { '.': {}, ...Object.fromEntries(Object.keys(value).map((k) => [`f:${k}`, fieldsOf((value as Json)[k])])) };
    return {};
  };
  const { metadata: _m, kind: _k, apiVersion: _a, status, ...rest } = obj;
  // Controller-made objects (EndpointSlices) have one manager: the controller.
  if (obj.kind === 'EndpointSlice') return [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: obj.apiVersion ?? 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: fieldsOf(rest) }];
  const entries: Json[] = [
    { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: obj.apiVersion ?? 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: fieldsOf(rest) },
    { manager: 'helm', operation: 'Update', apiVersion: obj.apiVersion ?? 'v1', time: '2026-01-02T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {}, 'f:annotations': {} } } },
  ];
  if (status !== undefined) entries.push({ manager: 'pier', operation: 'Update', subresource: 'status', apiVersion: obj.apiVersion ?? 'v1', time: '2026-01-03T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': fieldsOf(status) } });
  return entries;
}

function hex(seed: number, length: number): string {
  let out = '';
  let x = (seed * 2654435761) >>> 0;
  while (out.length < length) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += x.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

/** The fields a cluster adds to `obj` (a plain object of one of Pier's kinds); `obj` is not changed. */
export function withClusterNoise<T>(obj: T, seed = 0): T {
  const o = obj as unknown as Json;
  const meta = (o.metadata ?? {}) as Json;
  const name = String(meta.name ?? 'x');
  const labels = { ...HELM_LABELS(name), ...(meta.labels as Json | undefined) };
  const out: Json = { ...o, metadata: { ...meta, labels } };
  switch (o.kind) {
    case 'Service':
      out.spec = serviceNoise(o.spec, seed);
      out.status = { loadBalancer: {} };
      break;
    case 'EndpointSlice':
      out.endpoints = Array.isArray(o.endpoints) ? o.endpoints.map((e: unknown, i) => endpointNoise(e, seed * 31 + i, meta.namespace)) : o.endpoints;
      (out.metadata as Json).labels = { ...labels, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' };
      (out.metadata as Json).ownerReferences = [{ apiVersion: 'v1', kind: 'Service', name, uid: uid(seed + 1), controller: true, blockOwnerDeletion: true }];
      (out.metadata as Json).generateName = `${name}-`;
      (out.metadata as Json).annotations = { ...(meta.annotations as Json | undefined), 'endpoints.kubernetes.io/last-change-trigger-time': '2026-01-01T00:00:00Z' };
      break;
    case 'ConfigMap':
      out.binaryData = { 'logo.png': Buffer.from(hex(seed, 96)).toString('base64') };
      break;
    case 'Secret':
      out.immutable = false;
      break;
    default:
      break;
  }
  const m = out.metadata as Json;
  if (o.kind !== 'EndpointSlice') m.annotations = { ...foreignAnnotations(out), ...(meta.annotations as Json | undefined) };
  m.managedFields = managedFields(out);
  m.finalizers = o.kind === 'Service' ? ['service.kubernetes.io/load-balancer-cleanup'] : undefined;
  if (m.finalizers === undefined) delete m.finalizers;
  return out as unknown as T;
}

function serviceNoise(spec: unknown, seed: number): unknown {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return spec;
  const s = spec as Json;
  const ip = `10.96.${(seed >> 8) & 255}.${seed & 255}`;
  const ports = Array.isArray(s.ports) ? s.ports.map((p: unknown) => (typeof p === 'object' && p !== null ? { protocol: 'TCP', nodePort: 30000 + (seed % 2000), ...(p as Json) } : p)) : s.ports;
  return {
    clusterIPs: [ip], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', externalTrafficPolicy: 'Cluster',
    sessionAffinity: 'None', selector: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web-prod' },
    ...s, ...(ports === undefined ? {} : { ports }),
  };
}

function endpointNoise(endpoint: unknown, seed: number, namespace: unknown): unknown {
  if (typeof endpoint !== 'object' || endpoint === null || Array.isArray(endpoint)) return endpoint;
  return {
    nodeName: `node-${seed % 40}`,
    zone: `europe-west1-${'bcd'[seed % 3]}`,
    hints: { forZones: [{ name: `europe-west1-${'bcd'[seed % 3]}` }] },
    targetRef: { kind: 'Pod', namespace: String(namespace ?? 'default'), name: `web-7d9f${hex(seed, 6)}-${hex(seed + 7, 5)}`, uid: uid(seed) },
    ...(endpoint as Json),
  };
}

function uid(seed: number): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
