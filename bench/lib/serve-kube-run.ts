/**
 * The real `pier serve` in Kubernetes mode (KUBECONFIG → the benchmark's test API server) for
 * the informer benchmark: time from start to /readyz 200 (initial sync, first translation,
 * the table acked by every worker), then the RSS of the primary and of each worker, once ready
 * and again after the EndpointSlice churn.
 */
import { availableParallelism } from 'node:os';
import { freePort } from '../../test/helpers/free-port.ts';
import type { FakeApiProcess } from './fake-api-process.ts';
import { startPinned, waitForHttp } from './pinned-process.ts';
import { treeMemory, type ProcessMemory } from './proc-tree.ts';

/** One `pier serve` run of one size and variant. */
export interface ServeRun {
  readonly ingresses: number;
  readonly variant: string;
  readonly readyMs: number;
  readonly ready: readonly ProcessMemory[];
  readonly afterChurn: readonly ProcessMemory[];
  readonly churnUpdates: number;
}

export interface ServeOptions {
  readonly bin: string;
  readonly workers: number;
  readonly readyTimeoutMs: number;
  readonly rate: number;
  readonly seconds: number;
}

export async function measureServe(fake: FakeApiProcess, ingresses: number, variant: string, options: ServeOptions): Promise<ServeRun> {
  const [http, https, health] = [await freePort(), await freePort(), await freePort()];
  const cpus = `0-${availableParallelism() - 1}`;
  const t0 = performance.now();
  const proc = startPinned(cpus, process.execPath, [
    options.bin, 'serve', '--bind-address', '127.0.0.1', '--http-port', String(http), '--https-port', String(https), '--health-port', String(health),
    '--workers', String(options.workers), '--log-level', 'warn',
  ], { KUBECONFIG: fake.kubeConfigPath, KUBERNETES_SERVICE_HOST: '' });
  try {
    await waitForHttp(proc, `http://127.0.0.1:${health}/readyz`, options.readyTimeoutMs);
    const readyMs = performance.now() - t0;
    const ready = treeMemory(proc.pid);
    fake.send({ type: 'churn', rate: options.rate, seconds: options.seconds });
    const { updates } = await fake.next('churned');
    // The last updates' rebuilds (holdoff, translation, publish) settle within a few seconds.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    return { ingresses, variant, readyMs, ready, afterChurn: treeMemory(proc.pid), churnUpdates: updates };
  } finally {
    await proc.stop();
  }
}
