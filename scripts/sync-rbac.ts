import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLUSTER_RULES, CONTROLLER_RULES, NAMESPACE_SELECTOR_RULES, OWN_NAMESPACE_RULES } from '../src/rbac.ts';
import { CHART_DIR } from './helm.ts';

/** Where the chart reads its RBAC rules (templates/rbac.yaml, via .Files.Get). */
export const RBAC_RULES_FILE = join(CHART_DIR, 'files', 'rbac-rules.yaml');

/** The chart's copy of src/rbac.ts, as YAML: the chart cannot import TypeScript. */
export function rbacRulesYaml(): string {
  const header = '# Generated from src/rbac.ts by `npm run render-deploy`. Do not edit: change src/rbac.ts.\n';
  return header + stringify({ controller: CONTROLLER_RULES, cluster: CLUSTER_RULES, leaderElection: OWN_NAMESPACE_RULES, namespaceSelector: NAMESPACE_SELECTOR_RULES });
}

/** Rewrites the chart's rules file when it differs; returns whether it changed. */
export function syncRbac(): boolean {
  const want = rbacRulesYaml();
  let have: string | undefined;
  try {
    have = readFileSync(RBAC_RULES_FILE, 'utf8');
  } catch {
    have = undefined;
  }
  if (have === want) return false;
  writeFileSync(RBAC_RULES_FILE, want);
  return true;
}

if (import.meta.main) {
  process.stdout.write(syncRbac() ? `updated ${RBAC_RULES_FILE}\n` : `${RBAC_RULES_FILE} is up to date\n`);
}
