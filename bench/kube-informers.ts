/**
 * The informer benchmark: Pier's cluster source and store (the code `pier serve` runs in its
 * primary) against the test API server serving N Ingresses, 2N Services and 2N EndpointSlices
 * shaped as a real cluster returns them (managedFields, kubectl's last-applied copy, Helm
 * labels, EndpointSlice targetRefs; test/helpers/cluster-noise.ts). Per size: time to the
 * initial sync, memory after forced GC, then memory after a minute of EndpointSlice churn.
 * Checks on the way that every list is paged (limit 500, continue) and every watch starts
 * from the resourceVersion of its list.
 *
 * `--base-ref REF` also runs the source and store of git REF (exported to a temp dir) in the
 * same run, e.g. the commit before objects were slimmed.
 *
 * `--serve SIZES` (default 1000,10000; '' for none): at those sizes the real `pier serve`
 * (`--workers`, default 1) runs against the same server too — time to /readyz, RSS of primary
 * and workers once ready and after the churn; with translation and workers, not only informers.
 *
 * Run: `node bench/kube-informers.ts [--sizes 1000,10000,50000] [--rate 10] [--seconds 60]
 * [--base-ref REF] [--serve 1000,10000] [--workers 1] [--note TEXT] [--out DIR]`.
 * Writes bench/results/kube-informers.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { forkFakeApi, type FakeApiProcess, type KindRequests } from './lib/fake-api-process.ts';
import { forkProbe } from './lib/informer-probe.ts';
import { renderKubeInformersReport, type InformerRun } from './lib/kube-informers-report.ts';
import { measureServe, type ServeRun } from './lib/serve-kube-run.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Options {
  readonly sizes: readonly number[];
  readonly rate: number;
  readonly seconds: number;
  readonly baseRef?: string;
  /** Sizes at which the real `pier serve` runs too (after the probes). */
  readonly serveSizes: readonly number[];
  readonly workers: number;
  readonly note: string;
  readonly outDir: string;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sizes: { type: 'string', default: '1000,10000,50000' }, rate: { type: 'string', default: '10' }, seconds: { type: 'string', default: '60' },
      'base-ref': { type: 'string' }, serve: { type: 'string', default: '1000,10000' }, workers: { type: 'string', default: '1' }, note: { type: 'string', default: '' }, out: { type: 'string', default: join(ROOT, 'bench', 'results') },
    },
  });
  const positive = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
    return n;
  };
  return {
    sizes: values.sizes.split(',').map((s) => Math.round(positive('sizes', s))),
    rate: positive('rate', values.rate), seconds: positive('seconds', values.seconds),
    baseRef: values['base-ref'], note: values.note, outDir: values.out,
    serveSizes: values.serve === '' ? [] : values.serve.split(',').map((s) => Math.round(positive('serve', s))),
    workers: Math.round(positive('workers', values.workers)),
  };
}

/** `git archive REF` (src, bin) into a temp dir that resolves packages from this checkout. */
function exportRef(ref: string): { root: string; commit: string; cleanup: () => void } {
  const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', ref], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'pier-informer-base-'));
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive "${ref}" src bin crds package.json | tar -x -C "${dir}"`]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return { root: dir, commit, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Problems with how the informers listed and watched, from the server's record; [] when right. */
function checkRequests(kinds: readonly KindRequests[]): string[] {
  const problems: string[] = [];
  for (const k of kinds) {
    if (k.listRequests === 0) continue;
    if (k.limits.length !== 1 || k.limits[0] !== '500') problems.push(`${k.path}: list limits ${k.limits.join(',')} (want 500)`);
    if (k.listedAt === undefined) problems.push(`${k.path}: no complete list`);
    else if (k.watchedFrom[0] !== k.listedAt) problems.push(`${k.path}: first watch from ${k.watchedFrom[0] ?? '(none)'}, list was at ${k.listedAt}`);
  }
  return problems;
}

async function runProbe(fake: FakeApiProcess, variant: string, srcRoot: string, size: number, options: Options): Promise<InformerRun> {
  fake.send({ type: 'reset-requests' });
  const probe = forkProbe(srcRoot, fake.kubeConfigPath);
  const synced = await probe.next('synced');
  fake.send({ type: 'requests' });
  const requests = (await fake.next('requests')).summary;
  const requestProblems = checkRequests(requests);
  console.error(`${size} Ingresses, ${variant}: synced in ${(synced.syncMs / 1000).toFixed(1)} s, heap ${(synced.memory.heapUsedBytes / 2 ** 20).toFixed(0)} MiB; churning ${options.seconds} s`);
  fake.send({ type: 'churn', rate: options.rate, seconds: options.seconds });
  const churned = await fake.next('churned');
  probe.measure(churned.updates, 30_000);
  const measured = await probe.next('measured');
  await probe.exited;
  return { ingresses: size, variant, synced, requests, requestProblems, churnUpdates: churned.updates, measured };
}

function setupLines(options: Options, started: Date, load: number, base: string | undefined): string[] {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
  const head = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  return [
    `Started ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpu}, ${availableParallelism()} cores, Node ${process.versions.node}; load average ${load.toFixed(2)} at the start.`,
    'Objects per Ingress: the Ingress (2 kept annotations, 4 paths), 2 Services, 2 EndpointSlices of 3 endpoints; plus 1 IngressClass. Each as a real cluster returns it: managedFields, kubectl last-applied-configuration, Helm and Argo CD annotations and labels, Service cluster IPs/selector/nodePorts, endpoint targetRef/zone/hints/nodeName (test/helpers/cluster-noise.ts).',
    'The test API server (test/kube/fake-api-server.ts) runs in its own process on 127.0.0.1; the process measured runs only the kube source and the store (no translation, no workers): the code of `pier serve`\'s primary up to the store.',
    'Sync: from the source\'s start to its `synced` event (every kind listed); CPU s = user + system time of the measured process meanwhile, which other load on the machine does not inflate as it does the elapsed time.',
    `Memory: V8 heap used after forced full GCs (repeated until stable), RSS, and peak RSS (VmHWM). "per object" = (heap after sync − heap before start) ÷ objects stored. Churn: ${options.rate} EndpointSlice updates per second (one endpoint's readiness flips) for ${options.seconds} s, then memory again once every update was delivered.`,
    `after = this checkout (${head}); ${base ? `before = ${base}` : 'no before run (--base-ref)'}.${options.note ? ` ${options.note}` : ''}`,
  ];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const load = loadavg()[0]!;
  const started = new Date();
  const base = options.baseRef ? exportRef(options.baseRef) : undefined;
  const variants: [string, string][] = [...(base ? [['before', base.root] as [string, string]] : []), ['after', ROOT]];
  const runs: InformerRun[] = [];
  const serveRuns: ServeRun[] = [];
  const failures: string[] = [];
  try {
    for (const size of options.sizes) {
      const fake = await forkFakeApi(size);
      console.error(`${size} Ingresses: ${fake.objects} objects seeded in ${(fake.seedMs / 1000).toFixed(1)} s`);
      try {
        for (const [variant, root] of variants) {
          try {
            runs.push(await runProbe(fake, variant, join(root, 'src'), size, options));
          } catch (err) {
            failures.push(`${variant} at ${size} Ingresses: ${String((err as Error).message).split('\n')[0]}`);
            console.error(err);
          }
        }
        if (!options.serveSizes.includes(size)) continue;
        for (const [variant, root] of variants) {
          try {
            const run = await measureServe(fake, size, variant, { bin: join(root, 'bin', 'pier.js'), workers: options.workers, readyTimeoutMs: 600_000, rate: options.rate, seconds: options.seconds });
            serveRuns.push(run);
            console.error(`${size} Ingresses, pier serve ${variant}: ready in ${(run.readyMs / 1000).toFixed(1)} s`);
          } catch (err) {
            failures.push(`pier serve ${variant} at ${size} Ingresses: ${String((err as Error).message).split('\n')[0]}`);
            console.error(err);
          }
        }
      } finally {
        await fake.stop();
      }
    }
  } finally {
    base?.cleanup();
  }
  const report = renderKubeInformersReport(setupLines(options, started, load, base ? `${options.baseRef} (${base.commit})` : undefined), runs, serveRuns, failures);
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, 'kube-informers.md'), report);
  console.log(report);
}

await main();
