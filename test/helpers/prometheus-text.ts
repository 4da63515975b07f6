/**
 * Samples of a Prometheus text exposition (version 0.0.4), for tests. Hand-written: the npm
 * parser tried (parse-prometheus-text-format) drops a histogram's labels other than `le`.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample line of `text` (comments and blank lines skipped); throws on a malformed line. */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The samples named `name` whose labels include `match`. */
export function samplesOf(text: string, name: string, match: Readonly<Record<string, string>> = {}): Sample[] {
  return parseSamples(text).filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The sum of the samples named `name` whose labels include `match` (0 when none). */
export function total(text: string, name: string, match: Readonly<Record<string, string>> = {}): number {
  return samplesOf(text, name, match).reduce((n, s) => n + s.value, 0);
}

/** The metric names a scrape exposes: each sample's name, and each `# TYPE` family's. */
export function exposedNames(text: string): Set<string> {
  const names = new Set(parseSamples(text).map((s) => s.name));
  for (const m of text.matchAll(/^# TYPE (\S+) /gm)) names.add(m[1]!);
  return names;
}
