import { describe, expect, it } from 'vitest';
import type { HelmOptions } from '../../scripts/helm.ts';
import { HELM_AVAILABLE, helmLint, helmTemplate } from '../../scripts/helm.ts';

/** helm's error text from a failed run (execFileSync puts it on the error's stderr). */
function helmError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error('helm succeeded but was expected to fail');
}

const LINT_CASES: readonly { name: string; options: HelmOptions }[] = [
  { name: 'default values', options: {} },
  {
    name: 'DaemonSet, NodePort, watchNamespace, not default class, ServiceMonitor, extra args',
    options: { set: ['controller.kind=DaemonSet', 'service.type=NodePort', 'controller.watchNamespace=apps', 'ingressClass.default=false', 'metrics.serviceMonitor.enabled=true', 'metrics.prometheusRule.enabled=true', 'metrics.grafanaDashboard.enabled=true', 'controller.extraArgs.access-log=true'] },
  },
  { name: 'HPA, PDB off, no Service, existing ServiceAccount', options: { set: ['autoscaling.enabled=true', 'podDisruptionBudget.enabled=false', 'service.enabled=false', 'serviceAccount.create=false', 'serviceAccount.name=pier-sa'] } },
];

describe.skipIf(!HELM_AVAILABLE)('helm lint --strict', () => {
  it.each(LINT_CASES)('passes with $name', ({ options }) => {
    expect(helmLint(options)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
});

describe.skipIf(!HELM_AVAILABLE)('values the chart refuses', () => {
  it.each([
    { name: 'an HPA on a DaemonSet', set: ['controller.kind=DaemonSet', 'autoscaling.enabled=true'], error: /autoscaling.enabled needs controller.kind: Deployment/ },
    { name: 'a grace period shorter than the drain', set: ['controller.terminationGracePeriodSeconds=30'], error: /must exceed shutdownDelaySeconds \+ shutdownTimeoutSeconds \(35\)/ },
    // values.schema.json: wrong types and typos fail instead of rendering a wrong flag.
    { name: 'an unknown workload kind', set: ['controller.kind=StatefulSet'], error: /controller\.kind: controller\.kind must be one of/ },
    { name: 'a duration where seconds are expected', setString: ['controller.shutdownDelaySeconds=5s'], error: /controller\.shutdownDelaySeconds: Invalid type\. Expected: integer/ },
    { name: 'a client timeout that is not a duration', set: ['controller.clientBodyTimeout=soon'], error: /controller\.clientBodyTimeout: Does not match pattern/ },
    { name: 'a body size that is not a size', set: ['controller.maxBodySize=lots'], error: /controller\.maxBodySize/ },
    { name: 'a misspelt key', set: ['controller.replicas=3'], error: /Additional property replicas is not allowed/ },
    { name: 'an unknown Service type', set: ['service.type=External'], error: /service\.type: service\.type must be one of/ },
  ])('$name', ({ set, setString, error }) => {
    expect(helmError(() => helmTemplate({ set, setString }))).toMatch(error);
  });
});
