import { copyFileSync, existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, ROOT } from './helm.ts';

/** The single source of Pier's CustomResourceDefinitions. */
export const CRD_SOURCE_DIR = join(ROOT, 'crds');

/** Helm installs the files of the chart's crds/ directory before anything else. */
export const CHART_CRD_DIR = join(CHART_DIR, 'crds');

/** The CRD files of the source directory, sorted (none when it does not exist yet). */
export function sourceCrdFiles(): string[] {
  if (!existsSync(CRD_SOURCE_DIR)) return [];
  return readdirSync(CRD_SOURCE_DIR).filter((f) => f.endsWith('.yaml')).sort();
}

/**
 * Makes charts/pier/crds/ an exact copy of crds/: copies new or changed files and removes the
 * chart's copies of CRDs that no longer exist. Returns the names it wrote or removed.
 */
export function syncCrds(): string[] {
  const wanted = sourceCrdFiles();
  const touched: string[] = [];
  for (const file of wanted) {
    const from = join(CRD_SOURCE_DIR, file);
    const to = join(CHART_CRD_DIR, file);
    if (existsSync(to) && readFileSync(to).equals(readFileSync(from))) continue;
    copyFileSync(from, to);
    touched.push(file);
  }
  for (const file of readdirSync(CHART_CRD_DIR).filter((f) => f.endsWith('.yaml'))) {
    if (wanted.includes(file)) continue;
    unlinkSync(join(CHART_CRD_DIR, file));
    touched.push(file);
  }
  return touched;
}

if (import.meta.main) {
  if (sourceCrdFiles().length === 0) console.error(`sync-crds: no CRD in ${CRD_SOURCE_DIR} yet`);
  const touched = syncCrds();
  process.stdout.write(touched.length > 0 ? `synced ${touched.join(', ')} into ${CHART_CRD_DIR}\n` : 'chart CRDs are up to date\n');
}
