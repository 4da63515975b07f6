import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PierConfig } from '../../src/config.ts';
import { CLUSTER_RULES, CONTROLLER_RULES, OWN_NAMESPACE_RULES } from '../../src/rbac.ts';
import { DEFAULT_SSL_CIPHERS } from '../../src/ssl-flags.ts';
import { CHART_DIR, HELM_AVAILABLE } from '../../scripts/helm.ts';
import { Rendered } from './rendered.ts';
import type { K8sObject } from './rendered.ts';

function containerPort(r: Rendered, port: number | string): number {
  if (typeof port === 'number') return port;
  const found = (r.container().ports as { name: string; containerPort: number }[]).find((p) => p.name === port);
  if (!found) throw new Error(`no container port named ${port}`);
  return found.containerPort;
}

describe.skipIf(!HELM_AVAILABLE)('chart rendered with default values', () => {
  let r: Rendered;
  let config: PierConfig;
  beforeAll(() => {
    r = Rendered.of();
    config = r.config();
  });

  it('grants exactly the rules of src/rbac.ts: cluster + controller rules cluster-wide, leases in its namespace', () => {
    expect(r.one('ClusterRole', 'pier').rules).toEqual([...CLUSTER_RULES, ...CONTROLLER_RULES]);
    expect(r.all('Role')).toHaveLength(1);
    const election = r.one('Role', 'pier-leader-election');
    expect(election.metadata.namespace).toBe('pier');
    expect(election.rules).toEqual(OWN_NAMESPACE_RULES);
  });

  it('binds each role to Pier\'s ServiceAccount', () => {
    const sa = r.one('ServiceAccount');
    const subject = { kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'pier' };
    expect(r.workload().spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    const crb = r.one('ClusterRoleBinding', 'pier');
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pier' });
    expect(crb.subjects).toEqual([subject]);
    const rb = r.one('RoleBinding', 'pier-leader-election');
    expect(rb.metadata.namespace).toBe('pier');
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pier-leader-election' });
    expect(rb.subjects).toEqual([subject]);
  });

  it('creates IngressClass pier as the cluster default, with the controller name Pier is given', () => {
    const ic = r.one('IngressClass', 'pier');
    expect(ic.spec.controller).toBe('pier.dev/ingress-controller');
    expect(ic.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class']).toBe('true');
    expect(config.ingressClass).toBe('pier');
    expect(config.controllerName).toBe(ic.spec.controller);
  });

  it('runs a Deployment of 2 replicas whose selector matches its pods, the Service and the PDB', () => {
    const d = r.one('Deployment', 'pier');
    expect(d.spec.replicas).toBe(2);
    const podLabels = d.spec.template.metadata.labels;
    expect(podLabels).toMatchObject(d.spec.selector.matchLabels);
    expect(podLabels).toMatchObject(r.one('Service', 'pier').spec.selector);
    expect(podLabels).toMatchObject(r.one('PodDisruptionBudget').spec.selector.matchLabels);
    const [spread] = d.spec.template.spec.topologySpreadConstraints;
    expect(spread).toMatchObject({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' });
    expect(podLabels).toMatchObject(spread.labelSelector.matchLabels);
    expect(r.all('HorizontalPodAutoscaler')).toEqual([]);
    expect(r.all('ServiceMonitor')).toEqual([]);
    expect(r.all('Service')).toHaveLength(1);
  });

  it('exposes containerPorts 8080/8443/10254 and passes the same ports to Pier', () => {
    const ports = Object.fromEntries((r.container().ports as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]));
    expect(ports).toEqual({ http: 8080, https: 8443, health: 10254 });
    expect([config.httpPort, config.httpsPort, config.healthPort]).toEqual([8080, 8443, 10254]);
  });

  it('serves the Service (LoadBalancer 80/443) from the http/https container ports', () => {
    const svc = r.one('Service', 'pier');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports.map((p: { port: number; targetPort: string }) => [p.port, containerPort(r, p.targetPort)])).toEqual([[80, 8080], [443, 8443]]);
  });

  it('probes /healthz (liveness) and /readyz (readiness) on port 10254', () => {
    const c = r.container();
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(containerPort(r, c.livenessProbe.httpGet.port)).toBe(10254);
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(containerPort(r, c.readinessProbe.httpGet.port)).toBe(10254);
  });

  it('runs as non-root with a read-only root filesystem, no capabilities and no privilege escalation', () => {
    const pod = r.workload().spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const sc = r.container().securityContext;
    expect(sc).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(sc.runAsUser).toBeGreaterThan(0);
    expect(sc.capabilities.add).toBeUndefined();
    // The only writable paths are emptyDirs: /tmp and the shared cache's directory.
    expect(r.container().volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }, { name: 'cache', mountPath: '/var/cache/pier' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }, { name: 'cache', emptyDir: {} }]);
  });

  it('gives the pod more grace than Pier\'s shutdown delay plus drain timeout', () => {
    const grace = r.workload().spec.template.spec.terminationGracePeriodSeconds;
    expect(config.shutdownDelayMs).toBe(5000);
    expect(config.shutdownTimeoutMs).toBe(30_000);
    expect(grace * 1000).toBeGreaterThan(config.shutdownDelayMs + config.shutdownTimeoutMs);
    expect(grace).toBe(45);
  });

  it('publishes the chart\'s own Service into Ingress status and names the election Lease', () => {
    expect(r.flags().has('publish-service')).toBe(true);
    expect(config.publishService).toEqual({ namespace: 'pier', name: r.one('Service', 'pier').metadata.name });
    expect(r.flags().get('election-id')).toBe('pier-leader');
    expect(config.electionId).toBe('pier-leader');
    expect(config.workers).toBe(2);
  });

  it('leaves the client timeouts to Pier\'s defaults (no flag, 60 s each, as nginx)', () => {
    expect([r.flags().has('client-header-timeout'), r.flags().has('client-body-timeout')]).toEqual([false, false]);
    expect([config.clientHeaderTimeoutMs, config.clientBodyTimeoutMs]).toEqual([60_000, 60_000]);
  });

  it('limits request bodies to ingress-nginx\'s 1m (drop-in parity); head limits and backlog are Pier\'s', () => {
    expect(r.flags().get('max-body-size')).toBe('1m');
    expect([r.flags().has('max-header-size'), r.flags().has('max-headers'), r.flags().has('backlog')]).toEqual([false, false, false]);
    expect(config).toMatchObject({ maxBodySize: 1_048_576, maxHeaderSize: 16_384, maxHeaders: 100, backlog: 4096 });
  });

  it('sends ingress-nginx\'s Strict-Transport-Security on HTTPS (hsts on, one year, includeSubDomains)', () => {
    expect(r.flags().get('hsts')).toBe('max-age=31536000; includeSubDomains');
    expect(config.hsts).toBe('max-age=31536000; includeSubDomains');
  });

  it('speaks ingress-nginx\'s TLS versions and ciphers (ssl-protocols, ssl-ciphers and their defaults)', () => {
    expect(r.flags().get('ssl-protocols')).toBe('TLSv1.2 TLSv1.3');
    expect(r.flags().get('ssl-ciphers')).toBe(DEFAULT_SSL_CIPHERS);
    expect(config).toMatchObject({ sslProtocols: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }, sslCiphers: DEFAULT_SSL_CIPHERS });
  });

  it('gives Pier its pod name and namespace through the downward API', () => {
    expect(r.container().env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
  });

  it('runs the image tag of the chart\'s appVersion, which is package.json\'s version', () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const pkg = JSON.parse(readFileSync(join(CHART_DIR, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
    expect(r.container().image).toBe(`ghcr.io/pier-dev/pier:${pkg.version}`);
  });

  it('puts every namespaced object in the release namespace', () => {
    const clusterScoped = new Set(['ClusterRole', 'ClusterRoleBinding', 'IngressClass']);
    const misplaced = r.objects.filter((o: K8sObject) => !clusterScoped.has(o.kind) && o.metadata.namespace !== 'pier');
    expect(misplaced.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });
});
