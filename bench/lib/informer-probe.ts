/**
 * The process under test of the informer benchmark: Pier's cluster source and store — the
 * code `pier serve` runs in its primary (source/kube/kube-source.ts → store/store-feeder.ts →
 * store/store.ts), without translation — taken from `--src DIR` (this checkout's src/, or an
 * older one's for a same-run comparison) against the fake API server of KUBECONFIG.
 *
 *   child  → { type: 'synced', ... }     initial sync done; memory after forced GC
 *   parent → { type: 'measure', expect }  after the churn: wait for `expect` EndpointSlice
 *                                          updates, then memory after forced GC
 *   child  → { type: 'measured', ... }
 */
import { readFileSync } from 'node:fs';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { createKubeSource as CreateKubeSource } from '../../src/source/kube/kube-source.ts';
import type { createStoreFeeder as CreateStoreFeeder } from '../../src/store/store-feeder.ts';

/** Memory of the probe process at one point. */
export interface MemoryFigures {
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  /** Peak RSS since the process started (VmHWM). */
  readonly peakRssBytes: number;
}

export type FromProbe =
  | { readonly type: 'synced'; readonly syncMs: number; readonly syncCpuMs: number; readonly objects: Readonly<Record<string, number>>; readonly baseline: MemoryFigures; readonly memory: MemoryFigures }
  | { readonly type: 'measured'; readonly updates: number; readonly memory: MemoryFigures }
  | { readonly type: 'failed'; readonly message: string };

type ToProbe = { readonly type: 'measure'; readonly expect: number; readonly timeoutMs: number };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Forces full collections until the heap stops shrinking (weak references, finalizers). */
async function settledMemory(): Promise<MemoryFigures> {
  let last = Infinity;
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    const used = process.memoryUsage().heapUsed;
    if (used >= last * 0.995) break;
    last = used;
  }
  const usage = process.memoryUsage();
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return { heapUsedBytes: usage.heapUsed, rssBytes: usage.rss, peakRssBytes: Number(hwm ?? 0) * 1024 };
}

interface StoreLike {
  upsert(obj: unknown): boolean;
  remove(ref: unknown): boolean;
  snapshot(): Record<string, readonly unknown[]>;
}

async function child(srcRoot: string, kubeConfigPath: string): Promise<void> {
  const send = (msg: FromProbe) => process.send!(msg);
  const { createKubeSource } = await import(`${srcRoot}/source/kube/kube-source.ts`) as { createKubeSource: typeof CreateKubeSource };
  const { createStoreFeeder } = await import(`${srcRoot}/store/store-feeder.ts`) as { createStoreFeeder: typeof CreateStoreFeeder };
  const { Store } = await import(`${srcRoot}/store/store.ts`) as { Store: new () => StoreLike };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeConfigPath);
  const baseline = await settledMemory();

  const store = new Store();
  let synced: () => void = () => {};
  const syncedPromise = new Promise<void>((resolve) => (synced = resolve));
  let sliceUpserts = 0;
  let syncedYet = false;
  const feed = createStoreFeeder({
    store: store as never,
    scheduler: { changed: () => {}, markSynced: () => { syncedYet = true; synced(); } },
    onProblem: () => {},
  });
  const source = createKubeSource({ watchNamespace: undefined } as never, pino({ level: 'warn' }), { kubeConfig });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await source.start((event) => {
    if (syncedYet && event.type === 'upsert' && event.object.kind === 'EndpointSlice') sliceUpserts++;
    feed(event);
  });
  await syncedPromise;
  const syncMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const syncCpuMs = (cpu.user + cpu.system) / 1000;
  const objects = Object.fromEntries(Object.entries(store.snapshot()).map(([k, v]) => [k, v.length]));
  send({ type: 'synced', syncMs, syncCpuMs, objects, baseline, memory: await settledMemory() });

  const msg = await new Promise<ToProbe>((resolve) => process.once('message', resolve));
  const deadline = Date.now() + msg.timeoutMs;
  while (sliceUpserts < msg.expect && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  send({ type: 'measured', updates: sliceUpserts, memory: await settledMemory() });
  await source.stop();
  process.exit(0);
}

/** One probe run: the source and store of `srcRoot` against the fake API server of `kubeConfigPath`. */
export interface Probe {
  next<T extends FromProbe['type']>(type: T): Promise<Extract<FromProbe, { type: T }>>;
  measure(expect: number, timeoutMs: number): void;
  exited: Promise<void>;
}

export function forkProbe(srcRoot: string, kubeConfigPath: string): Probe {
  const proc = fork(fileURLToPath(import.meta.url), ['--child', srcRoot, kubeConfigPath], { execArgv: ['--max-old-space-size=8192'], stdio: 'inherit' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    next: (type) => new Promise((resolve, reject) => {
      const onMessage = (msg: FromProbe) => {
        if (msg.type === 'failed') return reject(new Error(msg.message));
        if (msg.type !== type) return;
        proc.off('message', onMessage);
        resolve(msg as never);
      };
      proc.on('message', onMessage);
      proc.once('exit', (code) => reject(new Error(`probe exited (${code}) before '${type}'`)));
    }),
    measure: (expect, timeoutMs) => proc.send({ type: 'measure', expect, timeoutMs } satisfies ToProbe),
    exited,
  };
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!).catch((err: unknown) => {
    process.send!({ type: 'failed', message: String((err as Error)?.stack ?? err) } satisfies FromProbe);
    process.exit(1);
  });
}
