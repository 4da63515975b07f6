import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/config.ts';
import { CHART_DIR, HELM_AVAILABLE, helmTemplate, type HelmOptions } from '../../scripts/helm.ts';
import { parseManifests, Rendered } from './rendered.ts';

const DEFAULT_CLASS = 'ingressclass.kubernetes.io/is-default-class';

function helmError(options: HelmOptions): string {
  try {
    helmTemplate(options);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error('helm succeeded but was expected to fail');
}

describe.skipIf(!HELM_AVAILABLE)('values an ingress-nginx user carries over', () => {
  it('extraArgs accepts exactly Pier\'s flags (the schema\'s list is src/config.ts\'s)', () => {
    const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8'));
    expect(schema.properties.controller.properties.extraArgs.propertyNames.enum).toEqual(Object.keys(OPTIONS));
  });

  it('an ingress-nginx flag Pier does not have fails helm install with a schema error naming it', () => {
    expect(helmError({ set: ['controller.extraArgs.tcp-services-configmap=ns/tcp'] })).toMatch(/controller\.extraArgs: Property name of "tcp-services-configmap" does not match/);
  });

  it('controller.scope.namespaceSelector is controller.watchNamespaceSelector; with watchNamespace it fails, as ingress-nginx refuses both flags', () => {
    expect(Rendered.of({ set: ['controller.watchNamespaceSelector=team=a'] }).config().watchNamespaceSelector?.text).toBe('team=a');
    expect(helmError({ set: ['controller.watchNamespace=apps', 'controller.watchNamespaceSelector=team=a'] }))
      .toMatch(/controller\.watchNamespace and controller\.watchNamespaceSelector exclude each other/);
    expect(Rendered.of().all('ClusterRole')[0]!.rules.some((r: { resources: string[] }) => r.resources.includes('namespaces'))).toBe(false);
  });

  it('a misspelt top-level key fails, as the chart README promises', () => {
    expect(helmError({ set: ['replicaCount=3'] })).toMatch(/\(root\): Additional property replicaCount is not allowed/);
  });

  it('defaultBackendService / defaultSslCertificate (or the same in extraArgs) reach Pier as its flags', () => {
    const r = Rendered.of({ set: ['controller.defaultBackendService=ingress/fallback', 'controller.defaultSslCertificate=ingress/wildcard-tls'] });
    expect(r.config()).toMatchObject({ defaultBackendService: { namespace: 'ingress', name: 'fallback' }, defaultSslCertificate: { namespace: 'ingress', name: 'wildcard-tls' } });
    const viaExtraArgs = Rendered.of({ set: ['controller.extraArgs.default-ssl-certificate=ingress/other-tls'] });
    expect(viaExtraArgs.config().defaultSslCertificate).toEqual({ namespace: 'ingress', name: 'other-tls' });
    expect(helmError({ set: ['controller.defaultBackendService=fallback'] })).toMatch(/controller\.defaultBackendService: Does not match pattern/);
  });

  it('controller.proxySetHeaders / addHeaders carry ingress-nginx\'s proxy-set-headers / add-headers ConfigMap keys', () => {
    expect([...Rendered.of().flags().keys()].filter((f) => f === 'proxy-set-headers' || f === 'add-headers')).toEqual([]);
    const r = Rendered.of({ set: ['controller.proxySetHeaders=ingress-nginx/custom-headers', 'controller.addHeaders=ingress-nginx/response-headers'] });
    expect(r.config()).toMatchObject({ proxySetHeaders: { namespace: 'ingress-nginx', name: 'custom-headers' }, addHeaders: { namespace: 'ingress-nginx', name: 'response-headers' } });
    expect(Rendered.of({ set: ['controller.extraArgs.add-headers=ingress/h'] }).config().addHeaders).toEqual({ namespace: 'ingress', name: 'h' });
    expect(helmError({ set: ['controller.proxySetHeaders=custom-headers'] })).toMatch(/controller\.proxySetHeaders: Does not match pattern/);
    expect(Rendered.of().all('ConfigMap')).toEqual([]);
    // With watchNamespace (or the flag in extraArgs), a ConfigMap elsewhere is never read: helm says so.
    expect(Rendered.of({ set: ['controller.watchNamespace=shop', 'controller.addHeaders=shop/h'] }).config().addHeaders).toEqual({ namespace: 'shop', name: 'h' });
    expect(helmError({ set: ['controller.watchNamespace=shop', 'controller.proxySetHeaders=ingress-nginx/custom-headers'] }))
      .toMatch(/controller\.proxySetHeaders names ConfigMap ingress-nginx\/custom-headers, outside controller\.watchNamespace shop, where Pier reads nothing/);
    expect(helmError({ set: ['controller.extraArgs.watch-namespace=shop', 'controller.addHeaders=pier/h'] })).toMatch(/controller\.addHeaders names ConfigMap pier\/h, outside/);
  });

  it('ingress-nginx\'s chart form of controller.proxySetHeaders / addHeaders (a map of headers) becomes a ConfigMap the flags name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pier-values-'));
    const file = (name: string, yaml: string) => {
      writeFileSync(join(dir, name), yaml);
      return [join(dir, name)];
    };
    try {
      const r = Rendered.of({ values: file('maps.yaml', 'controller:\n  proxySetHeaders:\n    X-Team: edge\n    X-Client: $remote_addr\n    X-Flag: true\n  addHeaders:\n    X-Frame-Options: DENY\n') });
      expect(r.config()).toMatchObject({ proxySetHeaders: { namespace: 'pier', name: 'pier-custom-proxy-headers' }, addHeaders: { namespace: 'pier', name: 'pier-custom-add-headers' } });
      expect(r.one('ConfigMap', 'pier-custom-proxy-headers')).toMatchObject({ metadata: { namespace: 'pier' }, data: { 'X-Team': 'edge', 'X-Client': '$remote_addr', 'X-Flag': 'true' } });
      expect(r.one('ConfigMap', 'pier-custom-add-headers').data).toEqual({ 'X-Frame-Options': 'DENY' });
      // ingress-nginx's default, an empty map, is no headers at all.
      const empty = Rendered.of({ values: file('empty.yaml', 'controller:\n  proxySetHeaders: {}\n  addHeaders: {}\n') });
      expect([empty.config().proxySetHeaders, empty.all('ConfigMap')]).toEqual([undefined, []]);
      expect(helmError({ values: file('watched.yaml', 'controller:\n  watchNamespace: shop\n  addHeaders: { X-A: "1" }\n') }))
        .toMatch(/controller\.addHeaders names ConfigMap pier\/pier-custom-add-headers, outside controller\.watchNamespace shop/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('controller.hsts carries ingress-nginx\'s hsts, hsts-max-age, hsts-include-subdomains and hsts-preload', () => {
    expect(Rendered.of({ set: ['controller.hsts.enabled=false'] }).config().hsts).toBe('');
    const own = Rendered.of({ set: ['controller.hsts.maxAge=63072000', 'controller.hsts.includeSubdomains=false', 'controller.hsts.preload=true'] });
    expect(own.config().hsts).toBe('max-age=63072000; preload');
    expect(helmError({ set: ['controller.hsts.maxAge=-1'] })).toMatch(/controller\.hsts\.maxAge: Must be greater than or equal to 0/);
  });

  it('controller.proxy*Timeout / upstreamKeepalive* carry ingress-nginx\'s proxy-*-timeout and upstream-keepalive-* ConfigMap keys', () => {
    const defaults = Rendered.of();
    expect([...defaults.flags().keys()].filter((f) => /^(proxy-.*-timeout|upstream-keepalive-)/.test(f))).toEqual([]);
    expect(defaults.config().backendDefaults).toEqual({ timeouts: { connectMs: 5_000, sendMs: 60_000, readMs: 60_000 }, keepalive: { connections: 64, requests: 10_000, timeMs: 3_600_000, idleTimeoutMs: 60_000 } });
    // ingress-nginx's value forms: whole seconds (numbers or strings), nginx times; 0 connections is off.
    const set = Rendered.of({
      set: ['controller.proxyConnectTimeout=10', 'controller.proxyReadTimeout=3600', 'controller.upstreamKeepaliveConnections=0', 'controller.upstreamKeepaliveRequests=1000000', 'controller.upstreamKeepaliveTimeout=30'],
      setString: ['controller.proxySendTimeout=120', 'controller.upstreamKeepaliveTime=1h30m'],
    });
    expect(set.flags().get('upstream-keepalive-connections')).toBe('0');
    expect(set.flags().get('upstream-keepalive-requests')).toBe('1000000');
    expect(set.config().backendDefaults).toEqual({ timeouts: { connectMs: 10_000, sendMs: 120_000, readMs: 3_600_000 }, keepalive: { connections: 0, requests: 1_000_000, timeMs: 5_400_000, idleTimeoutMs: 30_000 } });
    expect(Rendered.of({ setString: ['controller.proxyReadTimeout=1.5s'] }).config().backendDefaults.timeouts.readMs).toBe(1_500);
    // From a values file numbers are float64: still whole numbers on the command line (not 1e+06).
    const dir = mkdtempSync(join(tmpdir(), 'pier-values-'));
    try {
      const file = join(dir, 'values.yaml');
      writeFileSync(file, 'controller:\n  upstreamKeepaliveRequests: 1000000\n  upstreamKeepaliveConnections: 0\n  proxyReadTimeout: 120\n');
      const fromFile = Rendered.of({ values: [file] });
      expect(['upstream-keepalive-requests', 'upstream-keepalive-connections', 'proxy-read-timeout'].map((f) => fromFile.flags().get(f))).toEqual(['1000000', '0', '120']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(helmError({ set: ['controller.proxyReadTimeout=soon'] })).toMatch(/controller\.proxyReadTimeout: Does not match pattern/);
    expect(helmError({ set: ['controller.upstreamKeepaliveConnections=-1'] })).toMatch(/controller\.upstreamKeepaliveConnections: Must be greater than or equal to 0/);
    expect(helmError({ set: ['controller.upstreamKeepaliveTime=1hour'] })).toMatch(/controller\.upstreamKeepaliveTime: Does not match pattern/);
  });

  it('numeric controller values from a values file reach Pier as whole numbers (float64 would print 1e+06, which Pier refuses)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pier-values-'));
    try {
      const file = join(dir, 'values.yaml');
      writeFileSync(file, 'controller:\n  workers: 3\n  keepaliveRequests: 1000000\n  maxHeaderSize: 65536\n  maxHeaders: 200\n  maxBodySize: 10485760\n  backlog: 65535\n');
      const r = Rendered.of({ values: [file] });
      expect(['workers', 'keepalive-requests', 'max-header-size', 'max-headers', 'max-body-size', 'backlog'].map((f) => r.flags().get(f)))
        .toEqual(['3', '1000000', '65536', '200', '10485760', '65535']);
      expect(r.config()).toMatchObject({ workers: 3, keepaliveRequests: 1_000_000, backlog: 65535 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('controller.compression* carry ingress-nginx\'s use-gzip / enable-brotli, gzip-types and gzip-min-length', () => {
    expect([...Rendered.of().flags().keys()].filter((f) => f.startsWith('compression'))).toEqual([]);
    const r = Rendered.of({ set: ['controller.compression=br\\,gzip', 'controller.compressionMinLength=1024'], setString: ['controller.compressionTypes=application/json text/css'] });
    expect(r.config().annotationDefaults.compression).toEqual({ kind: 'compression', codings: ['br', 'gzip'], minLength: 1024, types: ['application/json', 'text/css', 'text/html'] });
    expect(helmError({ set: ['controller.compression=deflate'] })).toMatch(/controller\.compression: Does not match pattern/);
  });

  it('controller.proxyCookie* / proxyRedirect* / *SourceRange / blockCidrs / customHttpErrors carry the same-named ConfigMap keys', () => {
    const defaults = Rendered.of();
    expect(defaults.config().annotationDefaults.annotations).toBeUndefined();
    expect(defaults.config().blockCidrs).toEqual([]);
    const r = Rendered.of({
      set: ['controller.whitelistSourceRange=10.0.0.0/8\\,192.168.0.0/16', 'controller.blockCidrs=198.51.100.0/24', 'controller.customHttpErrors=404', 'controller.defaultBackendService=ingress/pages'],
      setString: ['controller.proxyCookieDomain=.internal.svc example.com', 'controller.proxyRedirectFrom=http://internal.svc/', 'controller.proxyRedirectTo=https://example.com/'],
    });
    expect(r.config().annotationDefaults.annotations).toEqual({
      'proxy-cookie-domain': '.internal.svc example.com', 'proxy-redirect-from': 'http://internal.svc/', 'proxy-redirect-to': 'https://example.com/',
      'whitelist-source-range': '10.0.0.0/8,192.168.0.0/16', 'custom-http-errors': '404',
    });
    expect(r.config().blockCidrs).toEqual(['198.51.100.0/24']);
    expect(helmError({ set: ['controller.customHttpErrors=404'] })).toMatch(/controller\.customHttpErrors needs controller\.defaultBackendService/);
    expect(helmError({ setString: ['controller.whitelistSourceRange=office'] })).toMatch(/controller\.whitelistSourceRange: Does not match pattern/);
  });

  it('controller.updateStatus false is ingress-nginx\'s --update-status=false', () => {
    expect(Rendered.of().config().updateStatus).toBe(true);
    expect(Rendered.of({ set: ['controller.updateStatus=false'] }).config().updateStatus).toBe(false);
  });

  it('controller.sslRedirect / forceSslRedirect carry ingress-nginx\'s ssl-redirect and force-ssl-redirect ConfigMap keys', () => {
    const defaults = Rendered.of();
    expect([...defaults.flags().keys()].filter((f) => f.endsWith('ssl-redirect'))).toEqual([]);
    expect(defaults.config().annotationDefaults).toEqual({ sslRedirect: true, forceSslRedirect: false, httpsPort: 443, redirectCode: 308, noTlsRedirectLocations: ['/.well-known/acme-challenge'], noAuthLocations: ['/.well-known/acme-challenge'] });
    expect(Rendered.of({ set: ['controller.sslRedirect=false'] }).config().annotationDefaults).toEqual({ sslRedirect: false, forceSslRedirect: false, httpsPort: 443, redirectCode: 308, noTlsRedirectLocations: ['/.well-known/acme-challenge'], noAuthLocations: ['/.well-known/acme-challenge'] });
    expect(Rendered.of({ set: ['controller.forceSslRedirect=true'] }).config().annotationDefaults).toEqual({ sslRedirect: true, forceSslRedirect: true, httpsPort: 443, redirectCode: 308, noTlsRedirectLocations: ['/.well-known/acme-challenge'], noAuthLocations: ['/.well-known/acme-challenge'] });
    expect(helmError({ setString: ['controller.sslRedirect=no'] })).toMatch(/controller\.sslRedirect: Invalid type/);
  });

  it('controller.sslProtocols and controller.sslCiphers carry ingress-nginx\'s ssl-protocols and ssl-ciphers', () => {
    const own = Rendered.of({ set: ['controller.sslProtocols=TLSv1.3', 'controller.sslCiphers=ECDHE-ECDSA-AES256-GCM-SHA384:!aNULL:@SECLEVEL=2'] });
    expect(own.config()).toMatchObject({ sslProtocols: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, sslCiphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:!aNULL:@SECLEVEL=2' });
    expect(Rendered.of({ set: ['controller.sslProtocols=TLSv1 TLSv1.1 TLSv1.2 TLSv1.3'] }).config().sslProtocols).toEqual({ minVersion: 'TLSv1', maxVersion: 'TLSv1.3' });
    expect(helmError({ set: ['controller.sslProtocols=SSLv3 TLSv1.2'] })).toMatch(/controller\.sslProtocols: Does not match pattern/);
    expect(helmError({ set: ['controller.sslCiphers=HIGH;rm'] })).toMatch(/controller\.sslCiphers: Does not match pattern/);
  });

  it('controller.enableSslPassthrough is ingress-nginx\'s --enable-ssl-passthrough', () => {
    expect(Rendered.of({}).config().enableSslPassthrough).toBe(false);
    const on = Rendered.of({ set: ['controller.enableSslPassthrough=true'] });
    expect(on.flags().has('enable-ssl-passthrough')).toBe(true);
    expect(on.config().enableSslPassthrough).toBe(true);
    expect(helmError({ set: ['controller.enableSslPassthrough=yes'] })).toMatch(/controller\.enableSslPassthrough/);
  });

  it('the controller value follows the class name, so two installs never serve each other\'s Ingresses', () => {
    const edge = Rendered.of({ release: 'edge', set: ['ingressClass.name=edge'] });
    expect(edge.one('IngressClass', 'edge').spec.controller).toBe('pier.dev/ingress-controller-edge');
    expect(edge.config()).toMatchObject({ ingressClass: 'edge', controllerName: 'pier.dev/ingress-controller-edge' });
    expect(Rendered.of().config().controllerName).toBe('pier.dev/ingress-controller');
    expect(Rendered.of({ set: ['ingressClass.name=edge', 'ingressClass.controllerValue=example.com/edge'] }).config().controllerName).toBe('example.com/edge');
  });

  it('hostNetwork keeps cluster DNS (ClusterFirstWithHostNet) unless dnsPolicy says otherwise', () => {
    const spec = Rendered.of({ set: ['controller.kind=DaemonSet', 'controller.hostNetwork=true'] }).workload().spec.template.spec;
    expect([spec.hostNetwork, spec.dnsPolicy]).toEqual([true, 'ClusterFirstWithHostNet']);
    expect(Rendered.of({ set: ['controller.hostNetwork=true', 'controller.dnsPolicy=Default'] }).workload().spec.template.spec.dnsPolicy).toBe('Default');
    expect(Rendered.of().workload().spec.template.spec.hostNetwork).toBeUndefined();
  });

  it('extraVolumes, extraVolumeMounts, extraContainers and extraInitContainers land in the pod', () => {
    const r = Rendered.of({ set: [
      'controller.extraVolumes[0].name=geo', 'controller.extraVolumes[0].configMap.name=geoip',
      'controller.extraVolumeMounts[0].name=geo', 'controller.extraVolumeMounts[0].mountPath=/geo',
      'controller.extraContainers[0].name=sidecar', 'controller.extraContainers[0].image=busybox',
      'controller.extraInitContainers[0].name=init', 'controller.extraInitContainers[0].image=busybox',
    ] });
    const spec = r.workload().spec.template.spec;
    expect(spec.volumes.map((v: { name: string }) => v.name)).toEqual(['tmp', 'cache', 'geo']);
    expect(r.container().volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toEqual(['/tmp', '/var/cache/pier', '/geo']);
    expect(spec.containers.map((c: { name: string }) => c.name)).toEqual(['pier', 'sidecar']);
    expect(spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['init']);
  });

  it('service.externalIPs, ipFamilyPolicy and ipFamilies; service.internal adds an internal LoadBalancer', () => {
    const r = Rendered.of({ set: [
      'service.externalIPs={203.0.113.9}', 'service.ipFamilyPolicy=PreferDualStack', 'service.ipFamilies={IPv4,IPv6}',
      'service.internal.enabled=true', 'service.internal.annotations.networking\\.gke\\.io/load-balancer-type=Internal',
    ] });
    const svc = r.one('Service', 'pier');
    expect(svc.spec).toMatchObject({ externalIPs: ['203.0.113.9'], ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] });
    const internal = r.one('Service', 'pier-internal');
    expect(internal.spec.type).toBe('LoadBalancer');
    expect(internal.metadata.annotations).toEqual({ 'networking.gke.io/load-balancer-type': 'Internal' });
    expect(internal.spec.selector).toEqual(svc.spec.selector);
    expect(internal.spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['http', 'https']);
    expect(Rendered.of().all('Service').map((s) => s.metadata.name)).toEqual(['pier']);
  });

  it('metrics.prometheusRule renders the given rules', () => {
    const r = Rendered.of({ set: ['metrics.prometheusRule.enabled=true', 'metrics.prometheusRule.labels.release=prom', 'metrics.prometheusRule.rules[0].alert=PierNotReady', 'metrics.prometheusRule.rules[0].expr=min(pier_ready) < 1'] });
    const rule = r.one('PrometheusRule', 'pier');
    expect(rule.metadata.labels?.release).toBe('prom');
    expect(rule.spec.groups[0].rules).toEqual([{ alert: 'PierNotReady', expr: 'min(pier_ready) < 1' }]);
  });
});

/*
 * `lookup` returns nothing under `helm template`. The test renders a copy of the chart whose
 * lookup is replaced by a list holding ingress-nginx's default IngressClass, and whose NOTES.txt
 * is printed into a ConfigMap (as chart-notes.test.ts does).
 */
describe.skipIf(!HELM_AVAILABLE)('ingressClass.default next to another default IngressClass', () => {
  let chartCopy: string;
  const NGINX_DEFAULT = '(dict "items" (list (dict "metadata" (dict "name" "nginx" "annotations" (dict "ingressclass.kubernetes.io/is-default-class" "true"))) (dict "metadata" (dict "name" "pier"))))';

  beforeAll(() => {
    chartCopy = mkdtempSync(join(tmpdir(), 'pier-chart-lookup-'));
    cpSync(CHART_DIR, chartCopy, { recursive: true });
    const helpers = join(chartCopy, 'templates', '_helpers.tpl');
    const text = readFileSync(helpers, 'utf8');
    const lookup = '(lookup "networking.k8s.io/v1" "IngressClass" "" "")';
    expect(text).toContain(lookup);
    writeFileSync(helpers, text.replace(lookup, NGINX_DEFAULT));
    const notes = readFileSync(join(chartCopy, 'templates', 'NOTES.txt'), 'utf8');
    rmSync(join(chartCopy, 'templates', 'NOTES.txt'));
    writeFileSync(join(chartCopy, 'templates', '_notes.tpl'), `{{- define "test.notes" -}}\n${notes}{{- end }}\n`);
    writeFileSync(join(chartCopy, 'templates', 'notes-configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "test.notes" . | quote }}\n');
  });
  afterAll(() => rmSync(chartCopy, { recursive: true, force: true }));

  it('does not mark Pier default, and NOTES.txt says why and how to move the default', () => {
    const objects = parseManifests(helmTemplate({ chartDir: chartCopy }));
    const ic = objects.find((o) => o.kind === 'IngressClass')!;
    expect(ic.metadata.annotations?.[DEFAULT_CLASS]).toBeUndefined();
    const notes = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'notes')!.data.notes as string;
    expect(notes).toContain('is not the default: set spec.ingressClassName: pier');
    expect(notes).toContain('It was NOT made the default although ingressClass.default is true: IngressClass nginx already is');
    expect(notes).toContain('kubectl annotate ingressclass nginx ingressclass.kubernetes.io/is-default-class-');
  });

  it('without another default (as under helm template), Pier is the default', () => {
    expect(Rendered.of().one('IngressClass', 'pier').metadata.annotations?.[DEFAULT_CLASS]).toBe('true');
  });
});

describe.skipIf(!HELM_AVAILABLE)('memory request', () => {
  const memory = (set: string[] = []) => Rendered.of({ set }).container().resources.requests.memory;

  it('follows the number of processes: 85Mi each (measured idle: 73-75 MiB), primary + workers', () => {
    expect(memory()).toBe('255Mi');
    expect(memory(['controller.workers=4'])).toBe('425Mi');
    expect(memory(['controller.resources.requests.memory=512Mi'])).toBe('512Mi');
  });

  it('a memory limit below what the workers need idle fails the install', () => {
    expect(helmError({ set: ['controller.workers=12'] })).toMatch(/controller\.resources\.limits\.memory \(1Gi\) is below the 1105Mi that 12 workers need idle/);
    expect(memory(['controller.workers=12', 'controller.resources.limits.memory=2Gi'])).toBe('1105Mi');
  });
});
