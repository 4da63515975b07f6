import { describe, expect, it } from 'vitest';
import { CLUSTER_RULES, CONTROLLER_RULES, NAMESPACE_SELECTOR_RULES, OWN_NAMESPACE_RULES } from '../../src/rbac.ts';
import { matchesLabels } from '../../src/source/label-selector.ts';
import { HELM_AVAILABLE, type HelmOptions } from '../../scripts/helm.ts';
import { Rendered } from './rendered.ts';

const DEFAULT_CLASS = 'ingressclass.kubernetes.io/is-default-class';

interface Case {
  readonly name: string;
  readonly options: HelmOptions;
  readonly check: (r: Rendered) => void;
}

/** Non-default values → what the rendered objects must say. */
const CASES: readonly Case[] = [
  {
    name: 'controller.kind=DaemonSet runs one pod per node, without replicas or PDB',
    options: { set: ['controller.kind=DaemonSet'] },
    check: (r) => {
      const ds = r.one('DaemonSet', 'pier');
      expect(r.all('Deployment')).toEqual([]);
      expect(r.all('PodDisruptionBudget')).toEqual([]);
      expect(ds.spec.replicas).toBeUndefined();
      expect(ds.spec.template.spec.topologySpreadConstraints).toBeUndefined();
      expect(ds.spec.template.metadata.labels).toMatchObject(ds.spec.selector.matchLabels);
      expect(r.container().readinessProbe.httpGet.path).toBe('/readyz');
    },
  },
  {
    name: 'service.type=NodePort with fixed node ports',
    options: { set: ['service.type=NodePort', 'service.nodePorts.http=30080', 'service.nodePorts.https=30443', 'service.externalTrafficPolicy=Local'] },
    check: (r) => {
      const svc = r.one('Service', 'pier');
      expect(svc.spec.type).toBe('NodePort');
      expect(svc.spec.externalTrafficPolicy).toBe('Local');
      expect(svc.spec.ports.map((p: { nodePort: number }) => p.nodePort)).toEqual([30080, 30443]);
    },
  },
  {
    name: 'controller.watchNamespace gives a Role in that namespace instead of controller rules in the ClusterRole',
    options: { set: ['controller.watchNamespace=apps'] },
    check: (r) => {
      expect(r.one('ClusterRole', 'pier').rules).toEqual([...CLUSTER_RULES]);
      const role = r.one('Role', 'pier');
      expect(role.metadata.namespace).toBe('apps');
      expect(role.rules).toEqual(CONTROLLER_RULES);
      const rb = r.one('RoleBinding', 'pier');
      expect(rb.metadata.namespace).toBe('apps');
      expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pier' });
      expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'pier', namespace: 'pier' }]);
      expect(r.one('Role', 'pier-leader-election').rules).toEqual(OWN_NAMESPACE_RULES);
      expect(r.one('Role', 'pier-leader-election').metadata.namespace).toBe('pier');
      expect(r.config().watchNamespace).toBe('apps');
    },
  },
  {
    name: 'extraArgs.watch-namespace (as an ingress-nginx user carries it) gives the same Role, not cluster-wide read rights',
    options: { set: ['controller.extraArgs.watch-namespace=apps'] },
    check: (r) => {
      expect(r.one('ClusterRole', 'pier').rules).toEqual([...CLUSTER_RULES]);
      expect(r.one('Role', 'pier').metadata.namespace).toBe('apps');
      expect(r.one('Role', 'pier').rules).toEqual(CONTROLLER_RULES);
      expect(r.config().watchNamespace).toBe('apps');
    },
  },
  {
    name: 'controller.watchNamespaceSelector passes --watch-namespace-selector and adds namespaces list/watch to the ClusterRole',
    options: { set: ['controller.watchNamespaceSelector=team=a\\,env in (prod\\,staging)\\,!legacy'] },
    check: (r) => {
      expect(r.one('ClusterRole', 'pier').rules).toEqual([...CLUSTER_RULES, ...CONTROLLER_RULES, ...NAMESPACE_SELECTOR_RULES]);
      expect(r.all('Role')).toHaveLength(1);
      expect(r.container().args).toContain('--watch-namespace-selector=team=a,env in (prod,staging),!legacy');
      const selector = r.config().watchNamespaceSelector!;
      expect([matchesLabels(selector, { team: 'a', env: 'prod' }), matchesLabels(selector, { team: 'a', env: 'prod', legacy: 'x' })]).toEqual([true, false]);
      // The same flag given through extraArgs gets the same rule.
      const viaExtraArgs = Rendered.of({ set: ['controller.extraArgs.watch-namespace-selector=team=a'] });
      expect(viaExtraArgs.one('ClusterRole', 'pier').rules).toEqual([...CLUSTER_RULES, ...CONTROLLER_RULES, ...NAMESPACE_SELECTOR_RULES]);
      expect(viaExtraArgs.config().watchNamespaceSelector?.text).toBe('team=a');
    },
  },
  {
    name: 'ingressClass.default=false drops the default-class annotation',
    options: { set: ['ingressClass.default=false'] },
    check: (r) => {
      expect(r.one('IngressClass', 'pier').metadata.annotations?.[DEFAULT_CLASS]).toBeUndefined();
    },
  },
  {
    name: 'ingressClass name and controller are passed to Pier',
    options: { set: ['ingressClass.name=edge', 'ingressClass.controllerValue=example.com/edge', 'controller.watchIngressWithoutClass=true'] },
    check: (r) => {
      expect(r.one('IngressClass', 'edge').spec.controller).toBe('example.com/edge');
      expect(r.config()).toMatchObject({ ingressClass: 'edge', controllerName: 'example.com/edge', watchIngressWithoutClass: true });
    },
  },
  {
    name: 'autoscaling.enabled adds an HPA on the Deployment, which then sets no replicas',
    options: { set: ['autoscaling.enabled=true', 'autoscaling.minReplicas=3', 'autoscaling.maxReplicas=7'] },
    check: (r) => {
      const hpa = r.one('HorizontalPodAutoscaler', 'pier');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: r.one('Deployment').metadata.name });
      expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([3, 7]);
      expect(hpa.spec.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } });
      expect(r.one('Deployment').spec.replicas).toBeUndefined();
    },
  },
  {
    name: 'metrics.serviceMonitor.enabled scrapes /metrics through a ClusterIP metrics Service',
    options: { set: ['metrics.serviceMonitor.enabled=true', 'metrics.serviceMonitor.labels.release=prom'] },
    check: (r) => {
      const sm = r.one('ServiceMonitor', 'pier');
      expect(sm.metadata.labels?.release).toBe('prom');
      const svc = r.one('Service', 'pier-metrics');
      expect(svc.spec.type).toBe('ClusterIP');
      expect(svc.metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
      expect(r.one('Service', 'pier').metadata.labels).not.toMatchObject(sm.spec.selector.matchLabels);
      expect(svc.spec.selector).toEqual(r.one('Service', 'pier').spec.selector);
      const port = svc.spec.ports.find((p: { name: string }) => p.name === sm.spec.endpoints[0].port);
      expect(port.targetPort).toBe('health');
      expect(sm.spec.endpoints[0].path).toBe('/metrics');
    },
  },
  {
    name: 'podDisruptionBudget.maxUnavailable is configurable, and the PDB can be turned off',
    options: { set: ['podDisruptionBudget.maxUnavailable=2'] },
    check: (r) => {
      expect(r.one('PodDisruptionBudget').spec.maxUnavailable).toBe(2);
      expect(Rendered.of({ set: ['podDisruptionBudget.enabled=false'] }).all('PodDisruptionBudget')).toEqual([]);
    },
  },
  {
    name: 'controller.extraArgs come last and win over the chart\'s flags; false omits a flag',
    options: { set: ['controller.extraArgs.access-log=true', 'controller.extraArgs.keepalive-requests=500', 'controller.extraArgs.workers=4', 'controller.extraArgs.watch-ingress-without-class=false'] },
    check: (r) => {
      expect(r.config()).toMatchObject({ accessLog: 'stdout', keepaliveRequests: 500, workers: 4, watchIngressWithoutClass: false });
      expect(r.container().args).not.toContain('--watch-ingress-without-class');
    },
  },
  {
    name: 'clientHeaderTimeout / clientBodyTimeout render --client-header-timeout / --client-body-timeout',
    options: { set: ['controller.clientHeaderTimeout=15s', 'controller.clientBodyTimeout=2m'] },
    check: (r) => {
      expect([r.flags().get('client-header-timeout'), r.flags().get('client-body-timeout')]).toEqual(['15s', '2m']);
      expect(r.config()).toMatchObject({ clientHeaderTimeoutMs: 15_000, clientBodyTimeoutMs: 120_000 });
    },
  },
  {
    name: 'controller.cache renders --cache-size, --cache-dir and the cache emptyDir (medium: Memory optional)',
    options: { set: ['controller.cache.size=1Gi', 'controller.cache.medium=Memory', 'controller.cache.sizeLimit=1200Mi'] },
    check: (r) => {
      expect([r.flags().get('cache-size'), r.flags().get('cache-dir')]).toEqual(['1Gi', '/var/cache/pier']);
      expect(r.config()).toMatchObject({ cacheSize: 1024 ** 3, cacheDir: '/var/cache/pier' });
      expect(r.workload().spec.template.spec.volumes).toContainEqual({ name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '1200Mi' } });
      expect(r.container().volumeMounts).toContainEqual({ name: 'cache', mountPath: '/var/cache/pier' });
    },
  },
  {
    name: 'maxBodySize / maxHeaderSize / maxHeaders / backlog render their flags',
    options: { set: ['controller.maxBodySize=10m', 'controller.maxHeaderSize=32k', 'controller.maxHeaders=200', 'controller.backlog=8192'] },
    check: (r) => {
      expect(['max-body-size', 'max-header-size', 'max-headers', 'backlog'].map((f) => r.flags().get(f))).toEqual(['10m', '32k', '200', '8192']);
      expect(r.config()).toMatchObject({ maxBodySize: 10_485_760, maxHeaderSize: 32_768, maxHeaders: 200, backlog: 8192 });
    },
  },
  {
    name: 'maxBodySize 0 (a number) or "0" lifts the body limit',
    options: { set: ['controller.maxBodySize=0'] },
    check: (r) => expect(r.config().maxBodySize).toBe(Infinity),
  },
  {
    name: 'maxBodySize "0" as a string lifts it too',
    options: { setString: ['controller.maxBodySize=0'] },
    check: (r) => expect(r.config().maxBodySize).toBe(Infinity),
  },
  {
    name: 'a longer drain raises terminationGracePeriodSeconds with it',
    options: { set: ['controller.shutdownDelaySeconds=10', 'controller.shutdownTimeoutSeconds=60'] },
    check: (r) => {
      expect(r.config()).toMatchObject({ shutdownDelayMs: 10_000, shutdownTimeoutMs: 60_000 });
      expect(r.workload().spec.template.spec.terminationGracePeriodSeconds).toBe(80);
    },
  },
  {
    name: 'an explicit terminationGracePeriodSeconds longer than the drain is kept',
    options: { set: ['controller.terminationGracePeriodSeconds=120'] },
    check: (r) => {
      expect(r.workload().spec.template.spec.terminationGracePeriodSeconds).toBe(120);
    },
  },
  {
    name: 'publishStatusAddress replaces --publish-service',
    options: { set: ['controller.publishStatusAddress={203.0.113.7,lb.example.com}'] },
    check: (r) => {
      expect(r.flags().has('publish-service')).toBe(false);
      expect(r.config().publishStatusAddress).toEqual(['203.0.113.7', 'lb.example.com']);
    },
  },
  {
    name: 'release "edge" in namespace "ingress" publishes its own Service and keeps its election id',
    options: { release: 'edge', namespace: 'ingress', set: ['controller.electionId=edge-leader'] },
    check: (r) => {
      const svc = r.one('Service', 'edge-pier');
      expect(svc.metadata.namespace).toBe('ingress');
      expect(r.config().publishService).toEqual({ namespace: 'ingress', name: 'edge-pier' });
      expect(r.config().electionId).toBe('edge-leader');
      expect(r.one('ClusterRoleBinding', 'edge-pier').subjects).toEqual([{ kind: 'ServiceAccount', name: 'edge-pier', namespace: 'ingress' }]);
    },
  },
  {
    name: 'hostPorts bind 80/443 on the node',
    options: { set: ['controller.kind=DaemonSet', 'controller.hostPorts.enabled=true'] },
    check: (r) => {
      const hostPorts = (r.container().ports as { name: string; hostPort?: number }[]).map((p) => [p.name, p.hostPort]);
      expect(hostPorts).toEqual([['http', 80], ['https', 443], ['health', undefined]]);
    },
  },
  {
    name: 'clients\' ports (X-Forwarded-Port, use-port-in-redirects): the Service\'s by default, the node\'s with hostPorts, Pier\'s own with hostNetwork',
    options: { set: ['service.ports.http=8000', 'service.ports.https=9443'] },
    check: (r) => {
      expect(r.config()).toMatchObject({ httpPort: 8080, httpsPort: 8443, publicHttpPort: 8000, publicHttpsPort: 9443 });
      expect(Rendered.of({}).config()).toMatchObject({ publicHttpPort: 80, publicHttpsPort: 443 });
      expect(Rendered.of({ set: ['controller.hostPorts.enabled=true', 'controller.hostPorts.http=81', 'controller.hostPorts.https=444'] }).config()).toMatchObject({ publicHttpPort: 81, publicHttpsPort: 444 });
      const hostNetwork = Rendered.of({ set: ['controller.hostNetwork=true'] }).config();
      expect([hostNetwork.publicHttpPort, hostNetwork.publicHttpsPort]).toEqual([undefined, undefined]);
    },
  },
  {
    name: 'image digest pins the image',
    options: { set: ['image.repository=registry.example/pier', 'image.tag=dev', 'image.digest=sha256:0123'] },
    check: (r) => {
      expect(r.container().image).toBe('registry.example/pier:dev@sha256:0123');
    },
  },
];

describe.skipIf(!HELM_AVAILABLE)('chart rendered with non-default values', () => {
  it.each(CASES)('$name', ({ options, check }) => {
    check(Rendered.of(options));
  });
});
