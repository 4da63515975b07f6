/**
 * The dataplane benchmark's results as markdown: one table per variant (ratios to direct and
 * to nginx), memory per process, and what was not measured and why.
 */
import type { Variant } from './dataplane-options.ts';
import type { ProcessMemory } from './proc-tree.ts';
import type { RoundRatio, Spread, TargetSummary } from './summary.ts';

/** Everything the report shows. */
export interface DataplaneReport {
  readonly title: string;
  /** Lines describing machine, versions, placement and method. */
  readonly setup: readonly string[];
  readonly labels: ReadonlyMap<string, { readonly label: string; readonly cpus: string }>;
  readonly summaries: readonly TargetSummary[];
  readonly memory: ReadonlyMap<string, readonly ProcessMemory[]>;
  /** Targets that could not be measured, with the reason. */
  readonly failures: ReadonlyMap<string, string>;
  /** Pier's CPU per request ÷ other targets', round by round. */
  readonly ratios?: readonly RoundRatio[];
}

export const VARIANT_TITLES: Readonly<Record<Variant, string>> = {
  '100B': '100-byte responses, keepalive clients',
  '1KiB': '1 KiB responses, keepalive clients',
  '100KiB': '100 KiB responses, keepalive clients',
  close: '100-byte responses, a new connection per request (`Connection: close`)',
  burst: 'a burst of connections opened at once, one `Connection: close` request each',
};

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const ratio = (a: number, b: number | undefined) => (b === undefined || !Number.isFinite(a / b) ? '–' : `${(a / b).toFixed(2)}×`);
const range = (s: Spread, digits: number, scale = 1) =>
  `${fixed(s.median * scale, digits)} (${fixed(s.min * scale, digits)}–${fixed(s.max * scale, digits)})`;

/** The burst variant: time to accept and answer the whole burst, dropped SYNs, CPU per connection. */
function burstTable(report: DataplaneReport, rows: readonly TargetSummary[]): string[] {
  const nginx = rows.find((r) => r.target === 'nginx');
  const lines = [
    `### ${VARIANT_TITLES.burst}`, '',
    '| target | cores | all answered, ms median (min–max) | ×nginx | p50 ms | p99 ms | ListenOverflows per burst median (min–max) | CPU µs/connection median (min–max) | CPU ×nginx | errors |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    const { label, cpus } = report.labels.get(r.target) ?? { label: r.target, cpus: '?' };
    lines.push(`| ${label} | ${cpus} | ${range(r.allMs, 0)} | ${ratio(r.allMs.median, nginx?.allMs.median)} | ${fixed(r.p50Us.median / 1000, 1)} | ${fixed(r.p99Us.median / 1000, 1)} | ${range(r.listenOverflows, 0)} | ${range(r.cpuUsPerRequest, 1)} | ${ratio(r.cpuUsPerRequest.median, nginx?.cpuUsPerRequest.median)} | ${r.errors} |`);
  }
  return [...lines, ''];
}

function variantTable(report: DataplaneReport, variant: Variant): string[] {
  const rows = report.summaries.filter((s) => s.variant === variant);
  if (rows.length === 0) return [];
  if (variant === 'burst') return burstTable(report, rows);
  const byTarget = new Map(rows.map((r) => [r.target, r]));
  const direct = byTarget.get('direct');
  const nginx = byTarget.get('nginx');
  const lines = [
    `### ${VARIANT_TITLES[variant]}`, '',
    '| target | cores | req/s median (min–max) | req/s ×direct | req/s ×nginx | p50 ms | p99 ms (min–max) | p99 ×nginx | CPU µs/req median (min–max) | CPU ×direct | CPU ×nginx | errors |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    const { label, cpus } = report.labels.get(r.target) ?? { label: r.target, cpus: '?' };
    lines.push(`| ${label} | ${cpus} | ${range(r.requestsPerSecond, 0)} | ${ratio(r.requestsPerSecond.median, direct?.requestsPerSecond.median)} | ${ratio(r.requestsPerSecond.median, nginx?.requestsPerSecond.median)} | ${fixed(r.p50Us.median / 1000, 2)} | ${range(r.p99Us, 2, 1 / 1000)} | ${ratio(r.p99Us.median, nginx?.p99Us.median)} | ${range(r.cpuUsPerRequest, 1)} | ${ratio(r.cpuUsPerRequest.median, direct?.cpuUsPerRequest.median)} | ${ratio(r.cpuUsPerRequest.median, nginx?.cpuUsPerRequest.median)} | ${r.errors} |`);
  }
  return [...lines, ''];
}

function memoryTable(report: DataplaneReport): string[] {
  if (report.memory.size === 0) return [];
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const lines = ['### Memory (RSS after the last run)', '', '| target | processes | RSS per process, MiB | total MiB |', '|---|--:|---|--:|'];
  for (const [target, procs] of report.memory) {
    const label = report.labels.get(target)?.label ?? target;
    const each = procs.map((p) => `${p.comm} ${mb(p.rssBytes)}`).join(', ');
    lines.push(`| ${label} | ${procs.length} | ${each} | ${mb(procs.reduce((s, p) => s + p.rssBytes, 0))} |`);
  }
  return [...lines, ''];
}

/** Pier ÷ each other proxy, from the rounds in which both were measured. */
function ratioTable(report: DataplaneReport): string[] {
  if (!report.ratios || report.ratios.length === 0) return [];
  const label = (id: string) => report.labels.get(id)?.label ?? id;
  const lines = [
    '### CPU per request, one target ÷ another, round by round', '',
    'Each round measures every target within a minute or two; a ratio of two targets from the same round is less exposed to the machine\'s swings than a ratio of medians.', '',
    '| variant | target | ÷ | rounds | ratio median (min–max) |',
    '|---|---|---|--:|--:|',
  ];
  for (const r of report.ratios) {
    lines.push(`| ${VARIANT_TITLES[r.variant]} | ${label(r.target)} | ${label(r.reference)} | ${r.rounds} | ${fixed(r.ratio.median, 2)} (${fixed(r.ratio.min, 2)}–${fixed(r.ratio.max, 2)}) |`);
  }
  return [...lines, ''];
}

/** Renders the whole report. */
export function renderDataplaneReport(report: DataplaneReport, variants: readonly Variant[]): string {
  const failures = [...report.failures].map(([t, why]) => `- **${report.labels.get(t)?.label ?? t}** not measured: ${why}`);
  return [
    `# ${report.title}`, '',
    ...report.setup.map((l) => `- ${l}`), '',
    ...(failures.length > 0 ? [...failures, ''] : []),
    ...variants.flatMap((v) => variantTable(report, v)),
    ...ratioTable(report),
    ...memoryTable(report),
  ].join('\n');
}
