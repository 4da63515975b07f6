import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/source/objects.ts';
import { EMPTY_SNAPSHOT, type Snapshot, type TranslateOptions } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { OPTIONS, backend, problem, server, unavailable } from './builders.ts';

/** Multi-document YAML → a snapshot, each object in its kind's list. */
function snapshotOf(yaml: string): Snapshot {
  const lists: Record<string, KubeObject[]> = { IngressClass: [], Ingress: [], Service: [], EndpointSlice: [], Secret: [], Upstream: [] };
  for (const doc of parseAllDocuments(yaml)) {
    const obj = doc.toJS() as KubeObject | null;
    if (obj) lists[obj.kind]!.push(obj);
  }
  return { ...EMPTY_SNAPSHOT, ingressClasses: lists.IngressClass!, ingresses: lists.Ingress!, services: lists.Service!, endpointSlices: lists.EndpointSlice!, secrets: lists.Secret!, upstreams: lists.Upstream! } as Snapshot;
}

const service = (name: string, port: string, address: string) => `
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ingress }
spec: { ports: [${port}] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: ingress, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: http, port: 8080 }]
endpoints: [{ addresses: ["${address}"], conditions: { ready: true } }]
---`;

const INGRESS_WITH_DEFAULT = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: own-default, namespace: ingress }
spec:
  ingressClassName: pier
  defaultBackend: { service: { name: own, port: { number: 80 } } }
---`;

const withFlags = (flags: Partial<TranslateOptions>): TranslateOptions => ({ ...OPTIONS, ...flags });
const FALLBACK = { namespace: 'ingress', name: 'fallback' };

describe('--default-backend-service', () => {
  it('answers what no rule matches, through the Service\'s first port', () => {
    const { table, problems } = translate(snapshotOf(service('fallback', '{ name: http, port: 80 }, { name: admin, port: 81 }', '10.0.0.9')), withFlags({ defaultBackendService: FALLBACK }));
    expect(table.defaultBackend).toBe('service:ingress/fallback:http');
    expect(table.backends).toEqual([backend('service:ingress/fallback:http', server('10.0.0.9', 8080))]);
    expect(problems).toEqual([]);
  });

  it('is the fallback: an Ingress spec.defaultBackend wins over it', () => {
    const snapshot = snapshotOf(service('fallback', '{ name: http, port: 80 }', '10.0.0.9') + service('own', '{ name: http, port: 80 }', '10.0.0.7') + INGRESS_WITH_DEFAULT);
    const { table } = translate(snapshot, withFlags({ defaultBackendService: FALLBACK }));
    expect(table.defaultBackend).toBe('service:ingress/own:80');
    expect(table.backends.map((b) => b.id)).toEqual(['service:ingress/own:80']);
  });

  it('a missing Service answers 503 and is reported about that Service', () => {
    const { table, problems } = translate(EMPTY_SNAPSHOT, withFlags({ defaultBackendService: FALLBACK }));
    expect(table.defaultBackend).toBe('service:ingress/fallback:0');
    expect(table.backends).toEqual([unavailable('service:ingress/fallback:0', 'ServiceNotFound')]);
    expect(problems).toEqual([problem('ingress/fallback', 'ServiceNotFound', '--default-backend-service: Service ingress/fallback not found: requests no rule matches get 503', 'Warning', 'Service')]);
  });

  it('a Service without ports (headless) answers 503 and is reported', () => {
    const headless = 'apiVersion: v1\nkind: Service\nmetadata: { name: fallback, namespace: ingress }\nspec: { clusterIP: None }\n';
    const { table, problems } = translate(snapshotOf(headless), withFlags({ defaultBackendService: FALLBACK }));
    expect(table.backends).toEqual([unavailable('service:ingress/fallback:0', 'ServiceHasNoPorts')]);
    expect(problems).toEqual([problem('ingress/fallback', 'ServiceHasNoPorts', '--default-backend-service ingress/fallback has no ports: requests no rule matches get 503', 'Warning', 'Service')]);
  });

  it('without the flag, nothing changes (404 for what no rule matches)', () => {
    expect(translate(snapshotOf(service('fallback', '{ name: http, port: 80 }', '10.0.0.9')), OPTIONS).table.defaultBackend).toBeUndefined();
  });
});

describe('--default-ssl-certificate', () => {
  const cert = makeCertificate('default.example', ['*.example']);
  const SECRET = { namespace: 'ingress', name: 'default-tls' };

  it('puts the Secret\'s certificate in the table and names it the default', () => {
    const { table, problems } = translate(snapshotOf(tlsSecretYaml('ingress', 'default-tls', cert)), withFlags({ defaultSslCertificate: SECRET }));
    expect(problems).toEqual([]);
    expect(table.defaultCertificate).toBe('ingress/default-tls');
    expect(table.certificates).toEqual({ 'ingress/default-tls': cert });
  });

  it('a missing Secret is reported about the Secret and leaves the self-signed fallback', () => {
    const { table, problems } = translate(EMPTY_SNAPSHOT, withFlags({ defaultSslCertificate: SECRET }));
    expect(table.defaultCertificate).toBeUndefined();
    expect(problems).toEqual([problem('ingress/default-tls', 'TLSSecretNotFound', "--default-ssl-certificate: TLS Secret ingress/default-tls does not exist (Pier reads only Secrets of type kubernetes.io/tls and Opaque): clients with an unknown or no SNI name get Pier's self-signed certificate", 'Warning', 'Secret')]);
  });
});
