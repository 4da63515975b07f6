import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelmOptions } from '../../scripts/helm.ts';
import { CHART_DIR, HELM_AVAILABLE, helmTemplate } from '../../scripts/helm.ts';
import { parseManifests } from './rendered.ts';

/*
 * `helm template` never prints NOTES.txt, and `helm install --dry-run` needs a cluster. So the
 * test renders a copy of the chart in which NOTES.txt became a named template, printed into
 * a ConfigMap: same text, same values, same engine.
 */
let chartCopy: string;

beforeAll(() => {
  chartCopy = mkdtempSync(join(tmpdir(), 'pier-chart-'));
  cpSync(CHART_DIR, chartCopy, { recursive: true });
  const notes = readFileSync(join(chartCopy, 'templates', 'NOTES.txt'), 'utf8');
  unlinkSync(join(chartCopy, 'templates', 'NOTES.txt'));
  writeFileSync(join(chartCopy, 'templates', '_notes.tpl'), `{{- define "test.notes" -}}\n${notes}{{- end }}\n`);
  writeFileSync(join(chartCopy, 'templates', 'notes-configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "test.notes" . | quote }}\n');
});

afterAll(() => {
  rmSync(chartCopy, { recursive: true, force: true });
});

function notes(options: HelmOptions = {}): string {
  const objects = parseManifests(helmTemplate({ ...options, chartDir: chartCopy }));
  return objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'notes')!.data.notes as string;
}

describe.skipIf(!HELM_AVAILABLE)('NOTES.txt', () => {
  it('tells how to reach Pier through the LoadBalancer and how to check health, readiness and metrics', () => {
    const text = notes();
    expect(text).toContain('kubectl -n pier get service pier');
    expect(text).toContain('rollout status deployment/pier');
    expect(text).toContain('is the cluster\'s default');
    for (const path of ['/healthz', '/readyz', '/metrics']) expect(text).toContain(`http://127.0.0.1:10254${path}`);
    expect(text).toContain('port-forward deployment/pier 10254:10254');
  });

  it('adapts to NodePort, a DaemonSet and a non-default class', () => {
    const text = notes({ set: ['service.type=NodePort', 'controller.kind=DaemonSet', 'ingressClass.default=false'] });
    expect(text).toContain('.nodePort}');
    expect(text).toContain('rollout status daemonset/pier');
    expect(text).toContain('set spec.ingressClassName: pier');
    expect(text).not.toContain('loadBalancer.ingress');
  });

  it('says which namespaces a watchNamespaceSelector serves, and how to list them', () => {
    const text = notes({ set: ['controller.watchNamespaceSelector=team=a\\,!legacy'] });
    expect(text).toContain('Pier only serves Ingresses of namespaces whose labels match "team=a,!legacy" (kubectl get namespaces -l \'team=a,!legacy\').');
    expect(notes()).not.toContain('only serves Ingresses of namespaces');
  });
});
