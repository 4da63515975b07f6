import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHART_CRD_DIR, CRD_SOURCE_DIR, sourceCrdFiles } from '../../scripts/sync-crds.ts';
import { RBAC_RULES_FILE, rbacRulesYaml } from '../../scripts/sync-rbac.ts';
import { DEPLOY_FILE, DEPLOY_NAMESPACE, renderDeploy } from '../../scripts/render-deploy.ts';
import { HELM_AVAILABLE } from '../../scripts/helm.ts';
import { parseManifests } from './rendered.ts';
import { README, renderReadme } from '../../scripts/annotation-table.ts';
import { MIGRATING, renderMigrating } from '../../scripts/configmap-table.ts';

const FIX = 'run `npm run render-deploy` and commit the result';

describe('files generated from their single source', () => {
  it('charts/pier/crds/ is a byte-for-byte copy of crds/', () => {
    const source = sourceCrdFiles();
    expect(source, 'crds/ has the Upstream CRD').toContain('upstreams.pier.dev.yaml');
    expect(readdirSync(CHART_CRD_DIR).filter((f) => f.endsWith('.yaml')).sort(), FIX).toEqual(source);
    for (const file of source) {
      expect(readFileSync(join(CHART_CRD_DIR, file)).equals(readFileSync(join(CRD_SOURCE_DIR, file))), `${file}: ${FIX}`).toBe(true);
    }
  });

  it('charts/pier/files/rbac-rules.yaml is src/rbac.ts', () => {
    expect(readFileSync(RBAC_RULES_FILE, 'utf8'), FIX).toBe(rbacRulesYaml());
  });

  it.skipIf(!HELM_AVAILABLE)('deploy/pier.yaml equals a fresh render of the chart with default values', () => {
    // A plain string comparison: any drift, however small, fails CI.
    expect(readFileSync(DEPLOY_FILE, 'utf8') === renderDeploy(), FIX).toBe(true);
  });

  it('deploy/pier.yaml creates its namespace and the CRD before anything that uses them', () => {
    const objects = parseManifests(readFileSync(DEPLOY_FILE, 'utf8'));
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: DEPLOY_NAMESPACE } });
    expect(objects[1]).toMatchObject({ kind: 'CustomResourceDefinition', metadata: { name: 'upstreams.pier.dev' } });
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['Deployment', 'Service', 'IngressClass', 'ClusterRole', 'ServiceAccount']));
  });
});

describe('the README annotation table', () => {
  it('is a fresh render of src/translate/annotations/annotation-table.ts', () => {
    const text = readFileSync(README, 'utf8');
    expect(text === renderReadme(text), 'run `npm run render-annotations` and commit the result').toBe(true);
  });
});

describe('MIGRATING.md\'s list of every ConfigMap key', () => {
  it('is a fresh render of src/migrate/configmap-keys*.ts', () => {
    const text = readFileSync(MIGRATING, 'utf8');
    expect(text === renderMigrating(text), 'run `npm run render-configmap` and commit the result').toBe(true);
  });
});
