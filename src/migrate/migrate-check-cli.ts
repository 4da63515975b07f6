import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { text } from 'node:stream/consumers';
import { parseManifest } from '../source/manifests/parse-manifest.ts';
import type { KubeObject } from '../source/objects.ts';
import { formatReport, migrationReport } from './migrate-check.ts';

const USAGE = `Usage: pier migrate-check DIR|FILE|-

Reads Ingress objects (YAML or JSON; a directory is read recursively; - reads standard input,
e.g. kubectl get ingress -A -o yaml | pier migrate-check -) and prints, per Ingress, what Pier
will do with each nginx.ingress.kubernetes.io/ and pier.dev/ annotation. Exit code 0 when every
Ingress will be served, 1 when some will not, 2 on a usage or read error.`;

/** `pier migrate-check`: returns the exit code. */
export async function runMigrateCheck(args: readonly string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (args.length !== 1 || args[0] === '--help' || args[0] === '-h') {
    (args.length === 1 ? out : err).write(`${USAGE}\n`);
    return args.length === 1 ? 0 : 2;
  }
  const source = args[0]!;
  let objects: KubeObject[];
  try {
    objects = source === '-' ? parse(await text(process.stdin), 'stdin') : await readPath(source);
  } catch (e) {
    err.write(`pier: cannot read ${source}: ${(e as Error).message} (give a directory, a file, or - for standard input)\n`);
    return 2;
  }
  const reports = migrationReport(objects);
  out.write(`${formatReport(reports)}\n`);
  return reports.every((r) => r.served) ? 0 : 1;
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
