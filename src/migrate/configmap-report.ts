import { parseCommandLine } from '../config.ts';
import { displayName, type ConfigMap } from '../source/objects.ts';
import type { ConfigMapData, ConfigMapKey } from './configmap-key.ts';
import { configMapKey } from './configmap-keys.ts';
import { chartValuesYaml } from './configmap-values.ts';

/**
 * What Pier will do with one key of an ingress-nginx controller ConfigMap:
 * - flag: carried over by the flags in `args`;
 * - ok: nothing to carry over (Pier already behaves so, or the value asks for nothing Pier lacks);
 * - no-op: an nginx internal, or a key ingress-nginx itself ignores;
 * - per-ingress: set the annotation on each Ingress that needs it;
 * - ignored: not carried over, a cosmetic loss;
 * - LOST: not carried over, and security or routing changes: the check fails;
 * - REFUSED: the value cannot become a flag Pier takes (Pier's message in `why`): the check fails;
 * - unknown: not a key ingress-nginx reads.
 */
export type KeyVerdict = 'flag' | 'ok' | 'no-op' | 'per-ingress' | 'ignored' | 'LOST' | 'REFUSED' | 'unknown';

/** One key of the ConfigMap: its value, the verdict, the flags that carry it (flag, REFUSED) and why. */
export interface KeyReport {
  readonly key: string;
  readonly value: string;
  readonly verdict: KeyVerdict;
  readonly args: readonly string[];
  readonly why: string;
}

/** One ConfigMap's report: its keys by name, and the arguments that carry it over. */
export interface ConfigMapReport {
  readonly configMap: string;
  readonly keys: readonly KeyReport[];
  /** A flag refused only in combination with another (`--ssl-ciphers` with `--ssl-protocols`). */
  readonly together?: string;
  /** Every flag argument, once each. */
  readonly args: readonly string[];
  readonly passes: boolean;
}

/** Pier's own verdict on `args`: undefined when `pier serve` would start with them, else its message. */
export function flagError(args: readonly string[]): string | undefined {
  try {
    parseCommandLine(['serve', ...args], {});
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** One key's verdict, by the table (configmap-keys.ts) and Pier's flag parser. */
export function judgeKey(key: string, value: string, data: ConfigMapData): KeyReport {
  const row = configMapKey(key);
  const report = (verdict: KeyVerdict, why: string, args: readonly string[] = []): KeyReport => ({ key, value, verdict, args, why });
  if (row === undefined) return report('unknown', 'not a key ingress-nginx reads (it ignores it too)');
  if (row.status === 'flag') return judgeFlag(row, value, data, report);
  if (row.status === 'not-needed' || row.status === 'inert') return report('no-op', row.note);
  const honoured = row.honours?.(value, data) === true;
  if (row.status === 'always') return honoured ? report('ok', row.note) : report(row.fails === true ? 'LOST' : 'ignored', row.note);
  if (honoured) return report('ok', 'nothing to carry over');
  if (row.status === 'per-ingress') return report('per-ingress', row.note);
  return report(row.fails === true ? 'LOST' : 'ignored', row.note);
}

function judgeFlag(row: ConfigMapKey, value: string, data: ConfigMapData, report: (v: KeyVerdict, why: string, args?: readonly string[]) => KeyReport): KeyReport {
  const c = row.convert!(value, data);
  if ('error' in c) return report('REFUSED', c.error);
  if (c.args.length === 0) return report(c.lost === true ? 'ignored' : 'ok', c.note ?? row.note);
  const error = flagError(c.args);
  if (error !== undefined) return report('REFUSED', `pier: ${error}`, c.args);
  return report('flag', c.note ?? '', c.args);
}

/** The report of ingress-nginx's controller ConfigMap `cm`. */
export function configMapReport(cm: ConfigMap): ConfigMapReport {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) data[k] = String(v);
  const keys = Object.keys(data).sort().map((k) => judgeKey(k, data[k]!, data));
  const args: string[] = [];
  for (const k of keys) if (k.verdict === 'flag') for (const a of k.args) if (!args.includes(a)) args.push(a);
  const error = keys.some((k) => k.verdict === 'REFUSED') ? undefined : flagError(args);
  const passes = error === undefined && !keys.some((k) => k.verdict === 'LOST' || k.verdict === 'REFUSED');
  return { configMap: displayName({ namespace: cm.metadata.namespace, name: cm.metadata.name }), keys, ...(error === undefined ? {} : { together: `pier: ${error}` }), args, passes };
}

const LABEL_WIDTH = 11;

/** `--ssl-protocols=TLSv1.2 TLSv1.3` as a shell would need it: `--ssl-protocols="TLSv1.2 TLSv1.3"`. */
function shownArg(arg: string): string {
  const eq = arg.indexOf('=');
  return eq < 0 || /^[\w./:,@+-]*$/.test(arg.slice(eq + 1)) ? arg : `${arg.slice(0, eq + 1)}${JSON.stringify(arg.slice(eq + 1))}`;
}

function shownValue(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

const COUNTS: readonly (readonly [KeyVerdict, string])[] = [['flag', 'by flags'], ['ok', 'already so'], ['no-op', 'not needed'], ['per-ingress', 'per Ingress'], ['ignored', 'ignored'], ['LOST', 'lost'], ['REFUSED', 'refused'], ['unknown', 'unknown']];

/** The report as text: a line per key, the values to paste, then a summary line. */
export function formatConfigMapReport(r: ConfigMapReport): string {
  const lines = [`ConfigMap ${r.configMap} (ingress-nginx's controller.config):`];
  for (const k of r.keys) {
    const to = k.args.length > 0 ? ` → ${k.args.map(shownArg).join(' ')}` : '';
    lines.push(`  ${k.verdict.padEnd(LABEL_WIDTH)} ${k.key}: ${shownValue(k.value)}${to}${k.why === '' ? '' : ` — ${k.why}`}`);
  }
  if (r.together !== undefined) lines.push(`  ${'REFUSED'.padEnd(LABEL_WIDTH)} these flags together — ${r.together}`);
  if (r.args.length > 0) {
    lines.push('', '  Carried over in the chart\'s values (controller.extraArgs come last, so they win over the chart\'s own flags):');
    for (const line of chartValuesYaml(r.args).trimEnd().split('\n')) lines.push(`    ${line}`);
  }
  const counts = COUNTS.map(([verdict, words]) => [r.keys.filter((k) => k.verdict === verdict).length, words] as const).filter(([n]) => n > 0).map(([n, words]) => `${n} ${words}`);
  lines.push('', `ConfigMap ${r.configMap}: ${r.keys.length} keys${counts.length > 0 ? `: ${counts.join(', ')}` : ''}; ${r.passes ? 'passes' : 'fails the check (LOST or REFUSED)'}.`);
  return lines.join('\n');
}
