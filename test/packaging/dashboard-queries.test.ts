import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELM_AVAILABLE } from '../../scripts/helm.ts';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from '../e2e/manifests.ts';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { exposedNames } from '../helpers/prometheus-text.ts';
import { Rendered } from './rendered.ts';

/*
 * The chart's Grafana dashboard and alert rules query what Pier really exposes: every PromQL
 * expression parses (Prometheus's own grammar, @prometheus-io/lezer-promql), and every metric
 * it names is in the /metrics of a running Pier (manifest mode, after a request, with a TLS
 * Ingress and an upstream). The ServiceMonitor scrapes that same port and path.
 */

/** Grafana's interval variables are not PromQL: replaced by durations before parsing. */
const grafanaless = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m').replaceAll('$__range', '1h');

/** The metric names an expression selects; throws with the expression when it does not parse. */
function metricNames(expr: string): string[] {
  const tree = parser.parse(grafanaless(expr));
  const names: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) throw new Error(`PromQL syntax error at ${n.from} in: ${expr}`);
      if (n.name === 'VectorSelector') {
        const id = n.node.getChild('Identifier');
        if (id !== null) names.push(grafanaless(expr).slice(id.from, id.to));
      }
    },
  });
  return names;
}

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid: string };
  readonly targets?: readonly { readonly expr: string }[];
  readonly panels?: readonly Panel[];
}

describe.skipIf(!HELM_AVAILABLE)('the chart\'s dashboard and alerts against a running Pier\'s /metrics', () => {
  let rendered: Rendered;
  let dir: string;
  let web: EchoBackend;
  let pier: PierProcess;
  let exposed: Set<string>;
  let metricsResponse: { status: number; type: string };

  beforeAll(async () => {
    rendered = Rendered.of({ set: ['metrics.serviceMonitor.enabled=true', 'metrics.prometheusRule.enabled=true', 'metrics.grafanaDashboard.enabled=true'] });
    dir = await mkdtemp(join(tmpdir(), 'pier-dashboard-'));
    web = await startEchoBackend('web');
    await writeFile(join(dir, 'all.yaml'), [
      INGRESS_CLASS_YAML, serviceYaml('web', [{ host: web.host, port: web.port }]), tlsSecretYaml('default', 'shop-tls', makeCertificate('shop.example')),
      `${ingressYaml('shop', 'shop.example', [{ path: '/', service: 'web' }])}  tls: [{ hosts: [shop.example], secretName: shop-tls }]\n`,
    ].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '2']);
    const res = await request(`https://127.0.0.1:${pier.httpsPort}/`, { headers: { host: 'shop.example' }, dispatcher: new Agent({ connect: { rejectUnauthorized: false, servername: 'shop.example' } }) });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    const path = rendered.one('ServiceMonitor').spec.endpoints[0].path as string;
    const scraped = await fetch(`http://127.0.0.1:${pier.healthPort}${path}`);
    metricsResponse = { status: scraped.status, type: scraped.headers.get('content-type') ?? '' };
    exposed = exposedNames(await scraped.text());
  });

  afterAll(async () => {
    await pier?.stop();
    await web?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const dashboard = () => {
    const cm = rendered.one('ConfigMap', 'pier-dashboard');
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    return JSON.parse(cm.data['pier.json'] as string) as { panels: Panel[]; templating: { list: { name: string; query?: { query: string } }[] } };
  };
  const panels = () => dashboard().panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const alertRules = () => {
    const group = rendered.one('PrometheusRule').spec.groups.find((g: { name: string }) => g.name === 'pier-alerts');
    return group.rules as { alert: string; expr: string }[];
  };

  it('every dashboard query parses and names only metrics /metrics exposes', () => {
    const exprs = panels().flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    // Variables' label_values(SELECTOR, label): the selector is PromQL.
    for (const v of dashboard().templating.list) {
      const m = v.query === undefined ? null : /^label_values\((.*), *\w+\)$/.exec(v.query.query);
      if (m !== null) exprs.push(m[1]!);
    }
    expect(exprs.length).toBeGreaterThan(20);
    const used = new Set(exprs.flatMap(metricNames));
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
    expect(used.size).toBeGreaterThan(10);
  });

  it('every alert expression parses and names only metrics /metrics exposes', () => {
    const rules = alertRules();
    expect(rules.map((r) => r.alert)).toEqual(['PierIngressErrorRatio', 'PierCertificateExpiring', 'PierConfigNotApplied', 'PierWorkerRestarts']);
    const used = new Set(rules.flatMap((r) => metricNames(r.expr)));
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });

  it('the checks themselves: a misspelt metric or a broken expression is caught', () => {
    expect(exposed.has('pier_request_duration_seconds_bucket')).toBe(true);
    expect(exposed.has('pier_request_duration_second_bucket')).toBe(false);
    expect(metricNames('sum(rate(pier_requests_total{status=~"5.."}[$__rate_interval])) / on() group_left pier_ready')).toEqual(['pier_requests_total', 'pier_ready']);
    expect(() => metricNames('sum(rate(pier_requests_total[5m])')).toThrow(/syntax error/);
  });

  it('the dashboard shows what an ingress-nginx dashboard showed, on the data source variable', () => {
    const titles = panels().map((p) => p.title).join('\n');
    for (const want of [/Request rate by Ingress/, /Success rate by Ingress/, /p50 request duration by Ingress/, /p90 request duration/, /p99 request duration/, /Upstream servers/, /Routing table generation/, /Certificate expiry/]) {
      expect(titles).toMatch(want);
    }
    for (const p of panels().filter((x) => x.type !== 'row')) expect(p.datasource?.uid, p.title).toBe('${datasource}');
  });

  it('the ServiceMonitor scrapes the container\'s health port by name, and Pier answers its path with Prometheus text', () => {
    const sm = rendered.one('ServiceMonitor');
    const svc = rendered.one('Service', 'pier-metrics');
    const servicePort = svc.spec.ports.find((p: { name: string }) => p.name === sm.spec.endpoints[0].port);
    const containerPort = rendered.container().ports.find((p: { name: string }) => p.name === servicePort.targetPort);
    expect(containerPort.containerPort).toBe(Number(rendered.flags().get('health-port')));
    expect(servicePort.port).toBe(containerPort.containerPort);
    expect(metricsResponse).toEqual({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8' });
  });

  it('alert thresholds follow the values', () => {
    const r = Rendered.of({ set: ['metrics.prometheusRule.enabled=true', 'metrics.prometheusRule.alerts.errorRatio=0.2', 'metrics.prometheusRule.alerts.certificateExpiryDays=7', 'metrics.prometheusRule.alerts.severity=critical'] });
    const rules = r.one('PrometheusRule').spec.groups[1].rules as { alert: string; expr: string; labels: { severity: string } }[];
    expect(rules.find((x) => x.alert === 'PierIngressErrorRatio')!.expr).toMatch(/> 0\.2$/);
    expect(rules.find((x) => x.alert === 'PierCertificateExpiring')!.expr).toMatch(/< 7 \* 86400$/);
    expect(new Set(rules.map((x) => x.labels.severity))).toEqual(new Set(['critical']));
    const off = Rendered.of({ set: ['metrics.prometheusRule.enabled=true', 'metrics.prometheusRule.alerts.enabled=false'] });
    expect(off.one('PrometheusRule').spec.groups.map((g: { name: string }) => g.name)).toEqual(['pier']);
    expect(Rendered.of().all('ConfigMap').filter((c) => c.metadata.name === 'pier-dashboard')).toEqual([]);
  });
});
