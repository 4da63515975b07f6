/** The informer benchmark's results (bench/kube-informers.ts) as markdown. */
import type { KindRequests } from './fake-api-process.ts';
import type { FromProbe } from './informer-probe.ts';
import type { ServeRun } from './serve-kube-run.ts';

/** One probe run: one size, one variant (before / after). */
export interface InformerRun {
  readonly ingresses: number;
  readonly variant: string;
  readonly synced: Extract<FromProbe, { type: 'synced' }>;
  readonly requests: readonly KindRequests[];
  readonly requestProblems: readonly string[];
  readonly churnUpdates: number;
  readonly measured: Extract<FromProbe, { type: 'measured' }>;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const total = (objects: Readonly<Record<string, number>>) => Object.values(objects).reduce((a, b) => a + b, 0);

function memoryTable(runs: readonly InformerRun[]): string[] {
  return [
    '| Ingresses | objects stored | variant | initial sync s (CPU s) | heap after sync MiB | bytes per object | RSS before start / after sync MiB | peak RSS MiB | heap after churn MiB | RSS after churn MiB | updates delivered |',
    '|--:|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...runs.map((r) => {
      const objects = total(r.synced.objects);
      const grown = r.synced.memory.heapUsedBytes - r.synced.baseline.heapUsedBytes;
      return `| ${r.ingresses.toLocaleString('en')} | ${objects.toLocaleString('en')} | ${r.variant} | ${(r.synced.syncMs / 1000).toFixed(1)} (${(r.synced.syncCpuMs / 1000).toFixed(1)}) | ${mib(r.synced.memory.heapUsedBytes)} | ${Math.round(grown / objects).toLocaleString('en')} | ${mib(r.synced.baseline.rssBytes)} / ${mib(r.synced.memory.rssBytes)} | ${mib(r.synced.memory.peakRssBytes)} | ${mib(r.measured.memory.heapUsedBytes)} | ${mib(r.measured.memory.rssBytes)} | ${r.measured.updates} / ${r.churnUpdates} |`;
    }),
  ];
}

/** before → after ratios per size, when both ran. */
function ratioLines(runs: readonly InformerRun[]): string[] {
  const lines: string[] = [];
  for (const after of runs.filter((r) => r.variant === 'after')) {
    const before = runs.find((r) => r.variant === 'before' && r.ingresses === after.ingresses);
    if (!before) continue;
    const heap = (r: InformerRun) => r.synced.memory.heapUsedBytes - r.synced.baseline.heapUsedBytes;
    lines.push(`- ${after.ingresses.toLocaleString('en')} Ingresses: heap held for objects ×${(heap(after) / heap(before)).toFixed(2)} of before, RSS after sync ×${(after.synced.memory.rssBytes / before.synced.memory.rssBytes).toFixed(2)}, peak RSS ×${(after.synced.memory.peakRssBytes / before.synced.memory.peakRssBytes).toFixed(2)}, sync time ×${(after.synced.syncMs / before.synced.syncMs).toFixed(2)}, sync CPU time ×${(after.synced.syncCpuMs / before.synced.syncCpuMs).toFixed(2)}.`);
  }
  return lines.length > 0 ? ['', 'After ÷ before, same run:', '', ...lines] : [];
}

function requestsTable(runs: readonly InformerRun[]): string[] {
  const largest = runs.filter((r) => r.variant === 'after').at(-1);
  if (!largest) return [];
  return [
    '', `### How the informers listed and watched (${largest.ingresses.toLocaleString('en')} Ingresses, after)`, '',
    '| collection | list requests | limit | continue tokens followed | JSON MiB | list resourceVersion | first watch from |',
    '|:--|--:|--:|--:|--:|--:|--:|',
    ...largest.requests.filter((k) => k.listRequests > 0).map((k) => `| ${k.path} | ${k.listRequests} | ${k.limits.join(', ')} | ${k.continues} | ${(k.bytes / 2 ** 20).toFixed(1)} | ${k.listedAt ?? '–'} | ${k.watchedFrom[0] ?? '–'} |`),
    '',
    runs.every((r) => r.requestProblems.length === 0)
      ? 'Every run of every size: all lists paged with limit 500, every watch started from its list\'s resourceVersion.'
      : `Problems: ${runs.flatMap((r) => r.requestProblems.map((p) => `${r.variant} ${r.ingresses}: ${p}`)).join('; ')}`,
  ];
}

function serveTable(runs: readonly ServeRun[]): string[] {
  if (runs.length === 0) return [];
  const rss = (memory: ServeRun['ready']) => {
    const [primary, ...workers] = memory;
    return primary ? `${mib(primary.rssBytes)} / ${workers.map((w) => mib(w.rssBytes)).join(', ') || '–'}` : '–';
  };
  return [
    '', '## The real `pier serve` against the same server', '',
    'Time from process start to `/readyz` 200 (sync, first translation, table acked by every worker); RSS in MiB, primary / workers, with no forced GC.', '',
    '| Ingresses | variant | start → ready s | RSS when ready | RSS after churn | churn updates |',
    '|--:|:--|--:|--:|--:|--:|',
    ...runs.map((r) => `| ${r.ingresses.toLocaleString('en')} | ${r.variant} | ${(r.readyMs / 1000).toFixed(1)} | ${rss(r.ready)} | ${rss(r.afterChurn)} | ${r.churnUpdates} |`),
  ];
}

export function renderKubeInformersReport(setup: readonly string[], runs: readonly InformerRun[], serveRuns: readonly ServeRun[], failures: readonly string[]): string {
  return [
    '# Kubernetes informers at scale', '',
    ...setup.map((l) => `- ${l}`), '',
    '## Sync and memory', '',
    ...memoryTable(runs),
    ...ratioLines(runs),
    ...requestsTable(runs),
    ...serveTable(serveRuns),
    ...(failures.length > 0 ? ['', '## Failures', '', ...failures.map((f) => `- ${f}`)] : []),
    '',
  ].join('\n');
}
