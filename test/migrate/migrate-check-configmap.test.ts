import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const PIER = fileURLToPath(new URL('../../bin/pier.js', import.meta.url));
const CONFIGMAP = readFileSync(fileURLToPath(new URL('../fixtures/migrate-check-configmap.yaml', import.meta.url)), 'utf8');
const LIST = readFileSync(fileURLToPath(new URL('../fixtures/migrate-check-list.yaml', import.meta.url)), 'utf8');

function pier(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [PIER, 'migrate-check', ...args], { input, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'pier-migrate-cm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A ConfigMap document: `name` in `namespace`, with `labels` and `data` (values quoted). */
function configMap(namespace: string, name: string, data: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>> = {}): string {
  const map = (o: Readonly<Record<string, string>>) => `{ ${Object.entries(o).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')} }`;
  return `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: ${namespace}, labels: ${map(labels)} }\ndata: ${map(data)}\n`;
}

const CHART_LABELS = { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' };

/*
 * `pier migrate-check` on ingress-nginx's controller ConfigMap, as a user runs it:
 * `kubectl get configmap -n ingress-nginx ingress-nginx-controller -o yaml | npx pier migrate-check -`.
 */
describe('pier migrate-check on ingress-nginx\'s controller ConfigMap', () => {
  it('says per key what carries it over, and prints the chart values to paste', () => {
    const r = pier(['-'], CONFIGMAP);
    expect(r.err).toBe('');
    // custom-http-errors needs the default backend ingress-nginx's chart deployed: refused until
    // controller.defaultBackendService names one (the line says so); nothing else is lost.
    expect(r.code).toBe(1);
    expect(r.out).toBe([
      'ConfigMap ingress-nginx/ingress-nginx-controller (ingress-nginx\'s controller.config):',
      '  ok          allow-snippet-annotations: "false" — Pier never applies *-snippet annotations (CVE-2025-1974), as "false": with "true", the Ingresses that use one are not served (pier migrate-check reports each)',
      '  REFUSED     custom-http-errors: "404,503" → --custom-http-errors=404,503 — pier: --custom-http-errors needs --default-backend-service: the Service that answers the listed statuses',
      '  ignored     enable-opentelemetry: "true" — Pier makes no spans and exports no traces; clients\' traceparent and tracestate headers reach backends unchanged',
      '  flag        hsts: "true" → --hsts="max-age=63072000; includeSubDomains; preload"',
      '  flag        hsts-max-age: "63072000" → --hsts="max-age=63072000; includeSubDomains; preload"',
      '  flag        hsts-preload: "true" → --hsts="max-age=63072000; includeSubDomains; preload"',
      '  ignored     log-format-upstream: "{\\"time\\": \\"$time_iso8601\\", \\"remote_addr\\": \\"$proxy_protocol..." — Pier\'s access log has one format: JSON lines with the field names of ingress-nginx\'s documented JSON example (README: Access log); a format of your own is not carried over',
      '  ignored     otlp-collector-host: "otel-collector.observability.svc" — Pier makes no spans and exports no traces (clients\' traceparent and tracestate headers reach backends unchanged); no effect while enable-opentelemetry is off',
      '  flag        proxy-body-size: "50m" → --max-body-size=50m',
      '  flag        proxy-read-timeout: "300" → --proxy-read-timeout=300',
      '  flag        proxy-real-ip-cidr: "10.0.0.0/8,172.16.0.0/12" → --trusted-proxies=10.0.0.0/8,172.16.0.0/12',
      '  ok          server-tokens: "false" — Pier adds no Server header of its own and never its version, and passes no backend\'s on (unless --allow-backend-server-header), as "false"; "true" is not honoured',
      '  flag        ssl-redirect: "false" → --ssl-redirect=false',
      '  flag        use-forwarded-headers: "true" → --trusted-proxies=10.0.0.0/8,172.16.0.0/12',
      '  flag        use-gzip: "true" → --compression=gzip',
      '  flag        worker-processes: "4" → --workers=4',
      '  flag        worker-shutdown-timeout: "300s" → --shutdown-timeout=300s',
      '',
      '  Carried over in the chart\'s values (controller.extraArgs come last, so they win over the chart\'s own flags):',
      '    controller:',
      '      hsts:',
      '        enabled: true',
      '        maxAge: 63072000',
      '        includeSubdomains: true',
      '        preload: true',
      '      workers: 4',
      '      shutdownTimeoutSeconds: 300',
      '      extraArgs:',
      '        max-body-size: 50m',
      '        proxy-read-timeout: "300"',
      '        trusted-proxies: 10.0.0.0/8,172.16.0.0/12',
      '        ssl-redirect: "false"',
      '        compression: gzip',
      '',
      'ConfigMap ingress-nginx/ingress-nginx-controller: 17 keys: 11 by flags, 2 already so, 3 ignored, 1 refused; fails the check (LOST or REFUSED).',
      '',
    ].join('\n'));
  });

  it('a lost access control, or a value Pier\'s flag refuses, fails the check (exit 1)', () => {
    const r = pier(['-'], configMap('ingress-nginx', 'ingress-nginx-controller', { 'enable-modsecurity': 'true', 'ssl-protocols': 'SSLv3 TLSv1.2', 'gzip-level': '6', 'worker-cpu-affinity': 'auto' }));
    expect(r.code).toBe(1);
    expect(r.out.split('\n')).toEqual(expect.arrayContaining([
      '  LOST        enable-modsecurity: "true" — Pier has no web application firewall: requests ModSecurity blocked reach the backends',
      '  ignored     gzip-level: "6" — Pier compresses gzip at level 1, ingress-nginx\'s default; another level is not carried over',
      '  REFUSED     ssl-protocols: "SSLv3 TLSv1.2" → --ssl-protocols="SSLv3 TLSv1.2" — pier: invalid value for --ssl-protocols: "SSLv3 TLSv1.2" (expected TLS versions only: SSLv3 cannot be enabled, Node\'s OpenSSL speaks TLSv1 to TLSv1.3)',
      '  no-op       worker-cpu-affinity: "auto" — pins nginx workers to CPUs; Pier\'s workers are not pinned (the kubelet\'s CPU manager can pin the pod)',
      'ConfigMap ingress-nginx/ingress-nginx-controller: 4 keys: 1 not needed, 1 ignored, 1 lost, 1 refused; fails the check (LOST or REFUSED).',
    ]));
    expect(r.out).not.toContain('Carried over'); // no flag to carry
  });

  it('flags refused only together are reported together', () => {
    const r = pier(['-'], configMap('ingress-nginx', 'ingress-nginx-controller', { 'ssl-protocols': 'TLSv1.2', 'ssl-ciphers': 'TLS_AES_128_GCM_SHA256' }));
    expect(r.code).toBe(1);
    expect(r.out).toContain('  REFUSED     these flags together — pier: invalid value for --ssl-ciphers: "TLS_AES_128_GCM_SHA256" (expected TLS 1.2 ciphers: these are TLS 1.3 suites only (TLS_...) and --ssl-protocols enables no TLSv1.3)');
  });

  it('reads Ingresses and the ConfigMap together (kubectl get ingress,configmap -A); an application\'s ConfigMap is left alone', () => {
    const list = `${LIST}${configMap('shop', 'settings', { 'proxy-read-timeout': 'not mine' })}${CONFIGMAP.replace(/^#.*\n/gm, '---\n')}`;
    writeFileSync(join(dir, 'cluster.yaml'), list);
    const r = pier([join(dir, 'cluster.yaml')]);
    expect(r.code).toBe(1); // prod/admin will not be served
    expect(r.out).toContain('2 Ingresses checked: 1 will be served, 1 will not.\n\nConfigMap ingress-nginx/ingress-nginx-controller (ingress-nginx\'s controller.config):\n');
    expect(r.out).not.toContain('not mine');
  });

  it('finds the chart\'s ConfigMap under another release name by its labels, not the chart\'s -tcp one', () => {
    const input = configMap('edge', 'edge-ingress-nginx-controller', { 'use-gzip': 'true' }, CHART_LABELS)
      + configMap('edge', 'edge-ingress-nginx-controller-tcp', { 9000: 'default/db:5432' }, CHART_LABELS);
    const r = pier(['-'], input);
    expect(r.code).toBe(0);
    expect(r.out).toContain('ConfigMap edge/edge-ingress-nginx-controller (ingress-nginx\'s controller.config):\n  flag        use-gzip: "true" → --compression=gzip\n');
    expect(r.out).not.toContain('-tcp');
  });

  it('--configmap NAMESPACE/NAME (ingress-nginx\'s flag) names any other; without it, it is skipped and said so', () => {
    const input = configMap('kube-system', 'nginx-configuration', { 'server-tokens': 'true' });
    const named = pier(['--configmap', 'kube-system/nginx-configuration', '-'], input);
    expect(named.code).toBe(0);
    expect(named.out).toContain('  ignored     server-tokens: "true" — Pier adds no Server header of its own and never its version');
    const unnamed = pier(['-'], input);
    expect(unnamed.code).toBe(0);
    expect(unnamed.out).toBe('\n0 Ingresses checked: 0 will be served, 0 will not.\n\n(1 ConfigMap skipped: none is ingress-nginx\'s controller config; name it with --configmap NAMESPACE/NAME)\n');
  });

  it('--configmap that names nothing in the input, or a bad one: exit 2', () => {
    const missing = pier(['--configmap=ingress-nginx/other', '-'], CONFIGMAP);
    expect(missing).toMatchObject({ code: 2, out: '', err: 'pier: --configmap ingress-nginx/other: no such ConfigMap in standard input\n' });
    const bad = pier(['--configmap', 'nonamespace', '-'], CONFIGMAP);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^pier: invalid value for --configmap: "nonamespace" \(expected NAMESPACE\/NAME\)\n\nUsage: pier migrate-check \[--configmap NAMESPACE\/NAME\] DIR\|FILE\|-/);
    expect(pier(['--config-map', 'a/b', '-'], CONFIGMAP)).toMatchObject({ code: 2, err: expect.stringMatching(/^pier: unknown option '--config-map'\n/) });
  });
});
