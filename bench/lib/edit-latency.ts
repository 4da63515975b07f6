/**
 * End to end with a manifest-mode Pier holding a synthetic cluster: how long until the first
 * route is served, and how long a single Ingress edit (an atomic rename of one file) takes to
 * be served, measured from the rename to the first 200 on the new path.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ingressYaml, serviceYaml } from '../../test/e2e/manifests.ts';
import { freePort } from '../../test/helpers/free-port.ts';
import { writeClusterManifests, type SyntheticCluster } from './cluster-objects.ts';
import { getStatus } from './pinned-process.ts';
import { startPier } from './pier.ts';
import { treeMemory, type ProcessMemory } from './proc-tree.ts';
import { startKeepaliveLoad } from './keepalive-load.ts';

const PROBE_HOST = 'probe.bench.local';

/** What one size measured end to end. */
export interface EditLatency {
  /** From spawning Pier to the probe route answering 200. */
  readonly startupMs: number;
  /** Rename → first 200 on the new path, one per edit. */
  readonly editMs: readonly number[];
  /** Pier's own figures after the last edit, from /metrics. */
  readonly translateMs: number | undefined;
  readonly swapMsPerWorker: readonly number[];
  readonly memory: readonly ProcessMemory[];
  /** Keepalive requests to a route of the edited Ingress during the edits, and how many failed. */
  readonly load: { readonly requests: number; readonly failed: number; readonly failures: readonly string[] };
}

/** Options of one end-to-end measurement. */
export interface EditLatencyOptions {
  readonly workers: number;
  readonly edits: number;
  readonly cpus: string;
  readonly readyTimeoutMs: number;
}

/** The probe Ingress: `/stable` (under load all along) and `/edit-N`, the path each edit renames. */
function probeManifest(backendPort: number, edit: number): string {
  return `${serviceYaml('probe', [{ host: '127.0.0.1', port: backendPort }])}---\n${ingressYaml('probe', PROBE_HOST, [{ path: '/stable', service: 'probe' }, { path: `/edit-${edit}`, type: 'Exact', service: 'probe' }])}`;
}

function startProbeBackend(): Promise<Server> {
  const server = createServer((_req, res) => res.end('ok\n'));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function untilServed(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await getStatus(url, PROBE_HOST)) !== 200) {
    if (Date.now() > deadline) throw new Error(`${url} not served within ${timeoutMs} ms`);
    await sleep(2);
  }
}

function gauge(metrics: string, name: string): number[] {
  const re = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'gm');
  return [...metrics.matchAll(re)].map((m) => Number(m[1]) * 1000);
}

/** Starts Pier on `cluster` plus a probe Ingress, then edits the probe `options.edits` times. */
export async function measureEditLatency(cluster: SyntheticCluster, options: EditLatencyOptions): Promise<EditLatency> {
  const dir = mkdtempSync(join(tmpdir(), 'pier-bench-cp-'));
  writeClusterManifests(dir, cluster);
  const backend = await startProbeBackend();
  const backendPort = (backend.address() as { port: number }).port;
  const probeFile = join(dir, 'zz-probe.yaml');
  writeFileSync(probeFile, probeManifest(backendPort, 0));
  const port = await freePort();
  const started = performance.now();
  const pier = await startPier({ cpus: options.cpus, port, workers: options.workers, manifestDir: dir, probe: { host: PROBE_HOST, path: '/edit-0' }, readyTimeoutMs: options.readyTimeoutMs }, backendPort);
  try {
    const startupMs = performance.now() - started;
    const editMs: number[] = [];
    const load = startKeepaliveLoad(port, PROBE_HOST, '/stable', 8, options.edits * 5_000);
    for (let edit = 1; edit <= options.edits; edit++) {
      await sleep(300); // let the previous rebuild settle, so edits do not batch
      const tmp = join(dir, '.zz-probe.yaml.tmp');
      writeFileSync(tmp, probeManifest(backendPort, edit));
      const t0 = performance.now();
      renameSync(tmp, probeFile);
      await untilServed(`http://127.0.0.1:${port}/edit-${edit}`, 60_000);
      editMs.push(performance.now() - t0);
    }
    const loadSeen = await load.stop();
    await sleep(200);
    const metrics = await fetch(`http://127.0.0.1:${pier.healthPort}/metrics`).then((r) => r.text(), () => '');
    return {
      startupMs, editMs,
      translateMs: gauge(metrics, 'pier_translate_duration_seconds')[0],
      swapMsPerWorker: gauge(metrics, 'pier_worker_swap_duration_seconds'),
      memory: treeMemory(pier.pid),
      load: loadSeen,
    };
  } finally {
    await pier.stop();
    await new Promise((r) => backend.close(r));
  }
}
