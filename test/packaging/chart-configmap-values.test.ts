import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine, type PierConfig } from '../../src/config.ts';
import { configMapReport } from '../../src/migrate/configmap-report.ts';
import { chartValuesYaml } from '../../src/migrate/configmap-values.ts';
import { parseManifest } from '../../src/source/manifests/parse-manifest.ts';
import type { ConfigMap } from '../../src/source/objects.ts';
import { HELM_AVAILABLE } from '../../scripts/helm.ts';
import { Rendered } from './rendered.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/migrate-check-configmap.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pier-cm-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What Pier runs with: the chart's default arguments followed by the converted flags (as if all
 * were extraArgs, which come last), and the chart given the printed values. */
function both(cm: ConfigMap): { direct: PierConfig; chart: PierConfig } {
  const { args } = configMapReport(cm);
  const direct = parseCommandLine([...Rendered.of().container().args, ...args], {});
  if (direct.command !== 'serve') throw new Error('not serve');
  const file = join(dir, `${cm.metadata.name}.yaml`);
  writeFileSync(file, chartValuesYaml(args));
  return { direct: direct.config, chart: Rendered.of({ values: [file] }).config() };
}

/*
 * The values block `pier migrate-check` prints for a ConfigMap, pasted into the chart's values,
 * must run Pier with the same settings as the flags it lists: chart values where the chart has
 * its own (workers, shutdownTimeoutSeconds, hsts, accessLog), extraArgs for the rest.
 */
describe.skipIf(!HELM_AVAILABLE)('the chart values migrate-check prints for a ConfigMap', () => {
  it('run Pier as the converted flags do (the realistic ConfigMap)', () => {
    const cm = parseManifest(readFileSync(FIXTURE, 'utf8'), FIXTURE).objects![0] as ConfigMap;
    const { direct, chart } = both(cm);
    expect(chart).toEqual(direct);
    expect(chart).toMatchObject({ workers: 4, shutdownTimeoutMs: 300_000, hsts: 'max-age=63072000; includeSubDomains; preload', maxBodySize: 50 * 1024 * 1024 });
  });

  it('and for flags given alone, values with spaces, hsts off, the access log and sub-second durations', () => {
    const cm: ConfigMap = {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ingress-nginx-controller', namespace: 'ingress-nginx' },
      data: {
        'use-proxy-protocol': 'true', 'ssl-protocols': 'TLSv1.2 TLSv1.3', hsts: 'false', 'disable-access-log': 'false', 'error-log-level': 'warn',
        'worker-shutdown-timeout': '1500ms', 'keep-alive': '1m30s', 'large-client-header-buffers': '8 16k', 'upstream-keepalive-connections': '0', 'force-ssl-redirect': 'true',
      },
    };
    const { direct, chart } = both(cm);
    expect(chart).toEqual(direct);
    expect(chart).toMatchObject({ proxyProtocol: true, hsts: '', accessLog: 'stdout', logLevel: 'warn', shutdownTimeoutMs: 1500, keepaliveTimeoutMs: 90_000, maxHeaderSize: 128 * 1024 });
  });
});
