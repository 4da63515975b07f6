import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { parseNamespacedName, type NamespacedName } from '../config-values.ts';
import { parseManifest } from '../source/manifests/parse-manifest.ts';
import type { KubeObject } from '../source/objects.ts';
import { configMapReport, formatConfigMapReport } from './configmap-report.ts';
import { isControllerConfigMap } from './controller-configmap.ts';
import { formatReport, migrationReport } from './migrate-check.ts';

const USAGE = `Usage: pier migrate-check [--configmap NAMESPACE/NAME] DIR|FILE|-

Reads Ingress objects and ingress-nginx's controller ConfigMap (YAML or JSON; a directory is
read recursively; - reads standard input, e.g. kubectl get ingress -A -o yaml | pier
migrate-check -, or kubectl get configmap -n ingress-nginx ingress-nginx-controller -o yaml |
pier migrate-check -) and prints, per Ingress, what Pier will do with each
nginx.ingress.kubernetes.io/ and pier.dev/ annotation, and per ConfigMap key the flag that
carries it over, or what happens without one, with the chart values to paste.

The controller ConfigMap is the one --configmap names (ingress-nginx's flag of that name),
else one named ingress-nginx-controller, or labelled app.kubernetes.io/name: ingress-nginx and
app.kubernetes.io/component: controller with a name ending in -controller (the chart's).

Exit code 0 when every Ingress will be served and no ConfigMap key is LOST or REFUSED, 1
otherwise, 2 on a usage or read error.`;

/** `pier migrate-check`: returns the exit code. */
export async function runMigrateCheck(args: readonly string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let source: string;
  let named: NamespacedName | undefined;
  try {
    const parsed = parseArgs({ args: [...args], options: { configmap: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (parsed.values.help === true) {
      out.write(`${USAGE}\n`);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new Error('give one directory, file, or - for standard input');
    source = parsed.positionals[0]!;
    if (parsed.values.configmap !== undefined) named = parseNamespacedName('--configmap', parsed.values.configmap);
  } catch (e) {
    const { code, message } = e as Error & { code?: string };
    const why = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `unknown option '${/'(-[^' ]+)/.exec(message)?.[1] ?? ''}'` : message.split('\n')[0];
    err.write(`pier: ${why}\n\n${USAGE}\n`);
    return 2;
  }
  let objects: KubeObject[];
  try {
    objects = source === '-' ? parse(await text(process.stdin), 'stdin') : await readPath(source);
  } catch (e) {
    err.write(`pier: cannot read ${source}: ${(e as Error).message} (give a directory, a file, or - for standard input)\n`);
    return 2;
  }
  const configMaps = objects.filter((o) => isControllerConfigMap(o, named)).map(configMapReport);
  if (named !== undefined && configMaps.length === 0) {
    err.write(`pier: --configmap ${named.namespace}/${named.name}: no such ConfigMap in ${source === '-' ? 'standard input' : source}\n`);
    return 2;
  }
  const reports = migrationReport(objects);
  const parts: string[] = [];
  if (reports.length > 0 || configMaps.length === 0) parts.push(formatReport(reports));
  for (const cm of configMaps) parts.push(formatConfigMapReport(cm));
  const others = objects.filter((o) => o.kind === 'ConfigMap').length;
  if (configMaps.length === 0 && others > 0) parts.push(`(${others} ConfigMap${others === 1 ? '' : 's'} skipped: none is ingress-nginx's controller config; name it with --configmap NAMESPACE/NAME)`);
  out.write(`${parts.join('\n\n')}\n`);
  return reports.every((r) => r.served) && configMaps.every((c) => c.passes) ? 0 : 1;
}

function parse(content: string, file: string): KubeObject[] {
  const parsed = parseManifest(content, file);
  if (parsed.objects === undefined) throw new Error((parsed.problems[0]?.message ?? 'not YAML').replace(/; its last good objects are kept\.$|; the file's last good objects are kept\.$/, ''));
  return [...parsed.objects];
}

async function readPath(path: string): Promise<KubeObject[]> {
  if (!(await stat(path)).isDirectory()) return parse(await readFile(path, 'utf8'), path);
  const objects: KubeObject[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) objects.push(...(await readPath(full)));
    else if (['.yaml', '.yml', '.json'].includes(extname(entry.name))) objects.push(...parse(await readFile(full, 'utf8'), full));
  }
  return objects;
}
