import { stringify } from 'yaml';
import { parseDuration } from '../config-values.ts';

/**
 * The chart values that carry `pier serve` arguments over: `controller.extraArgs` (the chart
 * passes them last, so they win over its own flags), except where the chart derives something
 * else from a value of its own: `controller.workers` (the memory request), `controller
 * .shutdownTimeoutSeconds` (the pod's termination grace period), `controller.hsts` and
 * `controller.accessLog` (the chart always passes --hsts and decides --access-log itself).
 */
export function chartValues(args: readonly string[]): Record<string, unknown> {
  const controller: Record<string, unknown> = {};
  const extraArgs: Record<string, string | boolean> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const value = eq < 0 ? undefined : arg.slice(eq + 1);
    if (value === undefined) extraArgs[name] = true;
    else if (name === 'workers') controller.workers = Number(value);
    else if (name === 'shutdown-timeout' && wholeSeconds(value) !== undefined) controller.shutdownTimeoutSeconds = wholeSeconds(value);
    else if (name === 'hsts') controller.hsts = hstsValues(value);
    else if (name === 'access-log' && (value === 'stdout' || value === 'off')) controller.accessLog = value === 'stdout';
    else extraArgs[name] = value;
  }
  if (Object.keys(extraArgs).length > 0) controller.extraArgs = extraArgs;
  return { controller };
}

/** The values as YAML for a values file. */
export function chartValuesYaml(args: readonly string[]): string {
  return stringify(chartValues(args), { lineWidth: 0 });
}

function wholeSeconds(value: string): number | undefined {
  try {
    const ms = parseDuration('--shutdown-timeout', value);
    return ms % 1000 === 0 ? ms / 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** `--hsts` (as the flag parser accepts it: a max-age, then includeSubDomains and preload) → the
 * chart's `controller.hsts`. */
function hstsValues(value: string): Record<string, unknown> {
  if (value === 'off') return { enabled: false };
  const maxAge = /max-age=(\d+)/.exec(value)?.[1];
  return { enabled: true, maxAge: Number(maxAge), includeSubdomains: /includeSubDomains/i.test(value), preload: /preload/i.test(value) };
}
