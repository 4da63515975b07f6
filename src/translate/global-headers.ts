import type { RouteTable } from '../routing/route-table.ts';
import { KNOWN_VARIABLES, unknownVariable } from './annotations/external-auth.ts';
import { HEADER_VALUE, OWNED_HEADERS, TOKEN } from './annotations/headers.ts';
import { configMapData } from './ingress-processor.ts';
import type { Problem } from './problem.ts';
import type { SnapshotIndex, TranslateOptions } from './snapshot.ts';

/**
 * The variables the two lists' values may use: those of the annotations (external-auth.ts),
 * and `$msec`, the time of the request in seconds with millisecond resolution, which
 * ingress-nginx's own custom-headers example sends (`X-Request-Start: t=${msec}`).
 */
export const HEADER_VARIABLES: ReadonlySet<string> = new Set([...KNOWN_VARIABLES, 'msec']);

/** The two flags, what the table calls their lists, and what the headers go with. */
const LISTS = [
  { flag: '--proxy-set-headers', field: 'proxySetHeaders', option: 'proxySetHeaders', goes: 'requests to backends' },
  { flag: '--add-headers', field: 'addHeaders', option: 'addHeaders', goes: 'responses to clients' },
] as const;

/**
 * `--proxy-set-headers NS/NAME` and `--add-headers NS/NAME` (ingress-nginx's ConfigMap keys
 * `proxy-set-headers` and `add-headers`): every entry of the named ConfigMap is a header, set
 * on every request Pier sends to a backend (nginx proxy_set_header in every location) or on
 * every response to a client (more_set_headers at http level). They go into the table as flat
 * `[name, value, ...]` lists (names lower-case, in name order; values as written, nginx
 * variables expanded per request by the dataplane), read again on every table so a change of
 * the ConfigMap's data is served without a restart (ingress-nginx needed one).
 *
 * A missing ConfigMap, or one with an entry that is not a header Pier may set (a name that is
 * not a token, a control character, a framing or hop-by-hop header, `Host` on the request side,
 * a variable Pier does not know), is a Warning about the ConfigMap naming the flag: the table
 * gets none of its headers (all or nothing, so a half-applied security policy never goes out
 * silently), and every route keeps serving.
 */
export function applyGlobalHeaders(index: SnapshotIndex, table: RouteTable, options: TranslateOptions): { table: RouteTable; problems: Problem[] } {
  let out = table;
  const problems: Problem[] = [];
  for (const list of LISTS) {
    const ref = options[list.option];
    if (ref === undefined) continue;
    const read = readHeaders(index, ref, list.field === 'proxySetHeaders');
    if (typeof read === 'string') {
      const reason = index.configMap(ref.namespace, ref.name) === undefined ? 'ConfigMapNotFound' : 'InvalidHeaders';
      problems.push({ kind: 'ConfigMap', namespace: ref.namespace, name: ref.name, reason, severity: 'Warning', message: `${list.flag}: ConfigMap ${ref.namespace}/${ref.name} ${read}: none of its headers are set on ${list.goes}` });
    } else if (read.length > 0) {
      out = { ...out, [list.field]: read };
    }
  }
  return { table: out, problems };
}

/** The ConfigMap's entries as a flat list in name order, or why it cannot be used. */
function readHeaders(index: SnapshotIndex, ref: { readonly namespace: string; readonly name: string }, request: boolean): string[] | string {
  const data = configMapData(index, ref.namespace, ref.name);
  if (data === undefined) return 'does not exist';
  const out: string[] = [];
  const seen = new Set<string>();
  // By lower-case name (UTF-16 code units, as sort.ts), so equal data gives an equal list.
  const keys = Object.keys(data).map((key) => [key.toLowerCase(), key] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [header, key] of keys) {
    const value = data[key]!;
    const entry = `key ${JSON.stringify(key)}`;
    if (!TOKEN.test(key)) return `${entry} is not a header name`;
    if (seen.has(header)) return `${entry} names ${header} twice (header names ignore case)`;
    if (!HEADER_VALUE.test(value)) return `${entry} has a control character in its value`;
    if (OWNED_HEADERS.has(header)) return `${entry} may not set ${header} (Pier owns framing and hop-by-hop headers)`;
    if (request && header === 'host') return `${entry} may not set host (per Ingress, the upstream-vhost annotation does)`;
    const unknown = unknownVariable(value, HEADER_VARIABLES);
    if (unknown !== undefined) return `${entry} ${unknown}`;
    seen.add(header);
    out.push(header, value);
  }
  return out;
}
