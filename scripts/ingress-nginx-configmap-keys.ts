import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The ConfigMap keys of ingress-nginx, derived from its repository (a checkout or a bare git
 * directory): what `controller.config` can hold. Pier's table (src/migrate/configmap-keys.ts)
 * must have exactly these keys; the test compares it with the checked-in copy, KEYS_FILE, so
 * the suite runs without the repository, and re-derives the copy when the repository is at hand.
 *
 *   node scripts/ingress-nginx-configmap-keys.ts DIR   # writes KEYS_FILE from DIR (checkout or git dir)
 */
export const KEYS_FILE = fileURLToPath(new URL('../test/fixtures/ingress-nginx-configmap-keys.txt', import.meta.url));

/** Where a key is found: a row of configmap.md's table, a `## key` section of it without a row,
 * or the Go source only (a json tag ingress-nginx decodes the ConfigMap into, undocumented). */
export type KeySource = 'table' | 'section' | 'source';

export interface IngressNginxKey {
  readonly key: string;
  readonly source: KeySource;
}

const DOC = 'docs/user-guide/nginx-configuration/configmap.md';
const CONFIG_GO = 'internal/ingress/controller/config/config.go';
const DEFAULTS_GO = 'internal/ingress/defaults/main.go';

/** The structs the ConfigMap is decoded into (config.go's embeds defaults' with `squash`). */
const STRUCTS: readonly (readonly [string, string])[] = [[CONFIG_GO, 'Configuration'], [DEFAULTS_GO, 'Backend']];

/**
 * json tags of those structs that are not ConfigMap keys: ingress-nginx fills them itself
 * (bind-address-ipv4/-ipv6 from bind-address, global-external-auth from the global-auth-* keys,
 * Resolver from /etc/resolv.conf).
 */
const NOT_KEYS = new Set(['bind-address-ipv4', 'bind-address-ipv6', 'global-external-auth', 'Resolver']);

/** The json tags of Go struct `name` in `source` (`json:"-"` and `json:",squash"` have none). */
function jsonTags(source: string, name: string): string[] {
  const start = source.indexOf(`type ${name} struct {`);
  if (start < 0) throw new Error(`no struct ${name}`);
  const body = source.slice(start, source.indexOf('\n}', start));
  return [...body.matchAll(/json:"([A-Za-z0-9-]+)[,"]/g)].map((m) => m[1]!).filter((tag) => tag !== '-');
}

/** Reads PATH of ingress-nginx's repository at `dir`: a checkout, or a git directory (HEAD). */
function reader(dir: string): (path: string) => string {
  if (existsSync(join(dir, DOC))) return (path) => readFileSync(join(dir, path), 'utf8');
  return (path) => {
    const r = spawnSync('git', ['--git-dir', dir, 'show', `HEAD:${path}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`cannot read ${path} from ${dir}: ${r.stderr.trim()}`);
    return r.stdout;
  };
}

/** The keys, in configmap.md's table order, then its row-less sections, then the source's. */
export function deriveKeys(dir: string): IngressNginxKey[] {
  const read = reader(dir);
  const doc = read(DOC);
  const keys: IngressNginxKey[] = [];
  const seen = new Set<string>();
  const add = (key: string, source: KeySource) => {
    if (seen.has(key)) return;
    seen.add(key);
    keys.push({ key, source });
  };
  for (const m of doc.matchAll(/^\| \[([a-z0-9-]+)\]\(#[a-z0-9-]+\)/gm)) add(m[1]!, 'table');
  for (const m of doc.matchAll(/^## ([a-z0-9-]+)\s*$/gm)) add(m[1]!, 'section');
  for (const [file, struct] of STRUCTS) {
    for (const tag of jsonTags(read(file), struct)) if (!NOT_KEYS.has(tag)) add(tag, 'source');
  }
  return keys;
}

/** The checked-in list (KEYS_FILE), without its comment lines. */
export function checkedInKeys(): IngressNginxKey[] {
  return readFileSync(KEYS_FILE, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((line) => {
    const [key, source] = line.split(' ');
    return { key: key!, source: source as KeySource };
  });
}

/** KEYS_FILE's text for `keys`, derived from `revision`. */
export function keysFileText(keys: readonly IngressNginxKey[], revision: string): string {
  return [
    `# ConfigMap keys of ingress-nginx (kubernetes/ingress-nginx ${revision}), one per line with where`,
    '# it is found: table = a row of docs/user-guide/nginx-configuration/configmap.md\'s table,',
    '# section = a "## key" section of that page without a row, source = a json tag of',
    '# internal/ingress/controller/config/config.go or internal/ingress/defaults/main.go that the',
    '# page does not mention. Written by `node scripts/ingress-nginx-configmap-keys.ts DIR`.',
    ...keys.map((k) => `${k.key} ${k.source}`),
    '',
  ].join('\n');
}

/** The commit `dir` is at (its HEAD). */
export function revisionOf(dir: string): string {
  const gitDir = existsSync(join(dir, DOC)) ? ['-C', dir] : ['--git-dir', dir];
  const r = spawnSync('git', [...gitDir, 'log', '-1', '--format=%H, %cs'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown revision';
}

if (import.meta.main) {
  const dir = process.argv[2];
  if (dir === undefined) {
    console.error('usage: node scripts/ingress-nginx-configmap-keys.ts DIR (a checkout or git directory of kubernetes/ingress-nginx)');
    process.exit(2);
  }
  const keys = deriveKeys(dir);
  writeFileSync(KEYS_FILE, keysFileText(keys, revisionOf(dir)));
  process.stdout.write(`${keys.length} keys written to ${KEYS_FILE}\n`);
}
