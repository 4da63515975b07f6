/**
 * The test API server (test/kube/fake-api-server.ts) in its own process for the informer
 * benchmark, so that the tens of thousands of objects it serves are not counted in the memory
 * of the process under test. Run by `forkFakeApi()`; driven over the IPC channel:
 *
 *   parent → { type: 'churn', rate, seconds }   update `rate` EndpointSlices per second
 *   child  → { type: 'ready', url, kubeConfigPath, objects, seedMs }
 *   child  → { type: 'churned', updates }
 *   parent → { type: 'requests' }                → { type: 'requests', summary }
 *   parent → { type: 'reset-requests' }          forget recorded requests (between probes)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { withClusterNoise } from '../../test/helpers/cluster-noise.ts';
import { FakeApiServer, type Obj, type RecordedRequest } from '../../test/kube/fake-api-server.ts';
import { BENCH_CLASS, syntheticCluster } from './cluster-objects.ts';

/** How the informers listed and watched one kind, from the server's record of requests. */
export interface KindRequests {
  readonly path: string;
  readonly listRequests: number;
  /** `limit` values asked; continue tokens followed. */
  readonly limits: readonly string[];
  readonly continues: number;
  /** Bytes of JSON the list responses carried. */
  readonly bytes: number;
  /** resourceVersion of the last page of the last complete list. */
  readonly listedAt?: string;
  /** resourceVersion each watch request started from. */
  readonly watchedFrom: readonly string[];
}

export type ToFake =
  | { readonly type: 'churn'; readonly rate: number; readonly seconds: number }
  | { readonly type: 'requests' }
  | { readonly type: 'reset-requests' };

export type FromFake =
  | { readonly type: 'ready'; readonly url: string; readonly kubeConfigPath: string; readonly objects: number; readonly seedMs: number }
  | { readonly type: 'churned'; readonly updates: number }
  | { readonly type: 'requests'; readonly summary: readonly KindRequests[] };

/** Ingress annotations a typical migrated Ingress carries (kept by Pier). */
const INGRESS_ANNOTATIONS = { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m', 'nginx.ingress.kubernetes.io/proxy-read-timeout': '120' };

/** Seeds `ingresses` Ingresses (2 Services and 2 EndpointSlices each) as a real cluster returns them. */
function seed(api: FakeApiServer, ingresses: number): number {
  const cluster = syntheticCluster(ingresses);
  api.apply(withClusterNoise(BENCH_CLASS as unknown as Obj));
  let n = 1;
  for (const ing of cluster.ingresses) {
    api.apply(withClusterNoise({ ...ing, metadata: { ...ing.metadata, annotations: INGRESS_ANNOTATIONS } } as unknown as Obj, n++));
  }
  for (const svc of cluster.services) api.apply(withClusterNoise(svc as unknown as Obj, n++));
  for (const slice of cluster.endpointSlices) api.apply(withClusterNoise(slice as unknown as Obj, n++));
  // Seeding is not history a watch should replay: the informers list after it.
  api.expire();
  return n;
}

/** Flips the readiness of one endpoint of successive slices, `rate` times a second. */
async function churn(api: FakeApiServer, rate: number, seconds: number): Promise<number> {
  const slices = api.list('EndpointSlice');
  const total = Math.round(rate * seconds);
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const current = api.get('EndpointSlice', slices[i % slices.length]!.metadata.namespace, slices[i % slices.length]!.metadata.name)!;
    const endpoints = (current.endpoints as { conditions?: { ready?: boolean } }[]).map((e, j) => (j === 0 ? { ...e, conditions: { ...e.conditions, ready: e.conditions?.ready === false } } : e));
    api.apply({ ...current, endpoints });
  }
  return total;
}

function summarize(requests: readonly RecordedRequest[]): KindRequests[] {
  const byPath = new Map<string, RecordedRequest[]>();
  for (const r of requests) {
    if (r.method !== 'GET') continue;
    const list = byPath.get(r.path) ?? [];
    list.push(r);
    byPath.set(r.path, list);
  }
  return [...byPath].map(([path, rs]) => {
    const lists = rs.filter((r) => r.query.get('watch') !== 'true');
    const complete = lists.filter((r) => r.listed && r.listed.continue === undefined && r.status === 200);
    return {
      path,
      listRequests: lists.length,
      limits: [...new Set(lists.map((r) => r.query.get('limit') ?? 'none'))],
      continues: lists.filter((r) => r.query.has('continue')).length,
      bytes: lists.reduce((sum, r) => sum + (r.listed?.bytes ?? 0), 0),
      listedAt: complete.at(-1)?.listed?.resourceVersion,
      watchedFrom: rs.filter((r) => r.query.get('watch') === 'true').map((r) => r.query.get('resourceVersion') ?? ''),
    };
  });
}

async function child(ingresses: number): Promise<void> {
  const api = await FakeApiServer.start();
  const t0 = performance.now();
  const objects = seed(api, ingresses);
  const send = (msg: FromFake) => process.send!(msg);
  send({ type: 'ready', url: api.url, kubeConfigPath: api.kubeConfigPath, objects, seedMs: performance.now() - t0 });
  process.on('message', (msg: ToFake) => {
    if (msg.type === 'churn') void churn(api, msg.rate, msg.seconds).then((updates) => send({ type: 'churned', updates }));
    else if (msg.type === 'requests') send({ type: 'requests', summary: summarize(api.requests) });
    else api.requests.length = 0;
  });
  process.on('disconnect', () => void api.close().finally(() => process.exit(0)));
}

/** The running fake API server process. */
export interface FakeApiProcess {
  readonly url: string;
  readonly kubeConfigPath: string;
  readonly objects: number;
  readonly seedMs: number;
  send(msg: ToFake): void;
  next<T extends FromFake['type']>(type: T): Promise<Extract<FromFake, { type: T }>>;
  stop(): Promise<void>;
}

/** Starts the fake API server process seeded with `ingresses` Ingresses and their objects. */
export async function forkFakeApi(ingresses: number): Promise<FakeApiProcess> {
  const proc: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child', String(ingresses)], { execArgv: ['--max-old-space-size=8192'], stdio: 'inherit' });
  const next = <T extends FromFake['type']>(type: T) => new Promise<Extract<FromFake, { type: T }>>((resolve, reject) => {
    const onMessage = (msg: FromFake) => {
      if (msg.type !== type) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(msg as Extract<FromFake, { type: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`fake API server process exited (${code}) before '${type}'`));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
  const ready = await next('ready');
  return {
    url: ready.url, kubeConfigPath: ready.kubeConfigPath, objects: ready.objects, seedMs: ready.seedMs,
    send: (msg) => proc.send(msg),
    next,
    async stop() {
      const exited = once(proc, 'exit');
      proc.disconnect();
      await exited;
    },
  };
}

if (process.argv[2] === '--child') await child(Number(process.argv[3]));
