/** YAML builders for end-to-end tests: a Service + EndpointSlice pointing at real backends. */
export function serviceYaml(name: string, endpoints: readonly { host: string; port: number }[], namespace = 'default'): string {
  const byPort = new Map<number, string[]>();
  for (const e of endpoints) byPort.set(e.port, [...(byPort.get(e.port) ?? []), e.host]);
  const slices = [...byPort].map(([port, hosts], i) => `---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-${i}, namespace: ${namespace}, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints:
${hosts.map((h) => `  - addresses: ["${h}"]\n    conditions: { ready: true }`).join('\n')}
`);
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec: { ports: [{ name: http, port: 80 }] }
${slices.join('')}`;
}

export function ingressYaml(name: string, host: string | undefined, paths: readonly { path: string; type?: string; service: string }[], namespace = 'default'): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  ingressClassName: pier
  rules:
    - ${host ? `host: ${host}\n      ` : ''}http:
        paths:
${paths.map((p) => `          - path: ${p.path}\n            pathType: ${p.type ?? 'Prefix'}\n            backend: { service: { name: ${p.service}, port: { number: 80 } } }`).join('\n')}
`;
}

export const INGRESS_CLASS_YAML = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: pier }
spec: { controller: pier.dev/ingress-controller }
`;

/** An Ingress of class pier routing `host` `/` (Prefix) to `service` port 80, with
 * `annotations` under their full keys, as a document of a multi-document file (`---` first). */
export function annotatedIngressYaml(name: string, host: string, service: string, annotations: Readonly<Record<string, string>>): string {
  const lines = Object.entries(annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`).join('\n');
  return `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
  annotations:
${lines || '    {}'}
spec:
  ingressClassName: pier
  rules: [{ host: ${host}, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: ${service}, port: { number: 80 } } } }] } }]
`;
}

/** `ingressYaml` (an annotatedIngressYaml document) with a `spec.tls` entry: `host` served with
 * the kubernetes.io/tls Secret `secretName` of its namespace. */
export function withTls(ingressYaml: string, host: string, secretName: string): string {
  return ingressYaml.replace('  ingressClassName: pier\n', `  ingressClassName: pier\n  tls: [{ hosts: [${host}], secretName: ${secretName} }]\n`);
}
