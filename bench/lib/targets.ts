/**
 * The targets of the dataplane benchmark: the backend alone (the upper bound) and every proxy
 * in front of it, each started pinned to the proxy core.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/helpers/free-port.ts';
import { startHaproxy } from './haproxy.ts';
import { BODY_PATHS, startNginxProxy } from './nginx.ts';
import { benchManifestDir, startPier } from './pier.ts';
import { startPinned, waitForHttp, type PinnedProcess } from './pinned-process.ts';

/** A target that is up: where to send load and whose processes to measure. */
export interface RunningTarget {
  readonly port: number;
  /** Root of the process tree whose CPU and memory count as this target's. */
  readonly pid: number;
  stop(): Promise<void>;
}

/** How to start one target. */
export interface TargetSpec {
  readonly id: string;
  readonly label: string;
  /** taskset CPU list of the proxy processes. */
  readonly cpus: string;
  start(backend: { readonly port: number; readonly pid: number }): Promise<RunningTarget>;
}

/** Where the benchmark places things. */
export interface Placement {
  readonly proxyCpus: string;
  /** For "Pier with N workers": every core, shared with the load side. */
  readonly allCpus: string;
  readonly pierWorkers: number;
  /** NODE_OPTIONS etc. for Pier (profiling). */
  readonly pierEnv?: NodeJS.ProcessEnv;
  /** The same for the Node peers (bench/profile-dataplane.ts profiles them too). */
  readonly peerEnv?: NodeJS.ProcessEnv;
}

const peer = (file: string) => fileURLToPath(new URL(`../peers/${file}`, import.meta.url));

function running(port: number, proc: PinnedProcess): RunningTarget {
  return { port, pid: proc.pid, stop: () => proc.stop() };
}

function nodePeer(id: string, label: string, file: string, cpus: string, extraArgs: readonly string[] = [], env?: NodeJS.ProcessEnv): TargetSpec {
  return {
    id, label, cpus,
    async start(backend) {
      const port = await freePort();
      const proc = startPinned(cpus, process.execPath, [peer(file), String(backend.port), String(port), ...extraArgs], env);
      try {
        await waitForHttp(proc, `http://127.0.0.1:${port}${BODY_PATHS['100B']}`);
      } catch (err) {
        await proc.stop();
        throw err;
      }
      return running(port, proc);
    },
  };
}

/** Pier (1 worker) from another checkout named by an environment variable: before/after
 * comparisons of committed trees in one run, whatever the working tree holds. */
function pierCheckout(id: string, variable: string, cpus: string, place: Placement): TargetSpec {
  return {
    id, label: `Pier ${id.slice(5)} (${variable}), 1 worker`, cpus,
    start: async (backend) => {
      const dir = process.env[variable];
      if (!dir) throw new Error(`${id} needs ${variable}=<checkout of the commit to measure>`);
      const port = await freePort();
      return running(port, await startPier({ cpus, port, workers: 1, env: place.pierEnv, bin: join(dir, 'bin/pier.js') }, backend.port));
    },
  };
}

/** The route of `pier-filters`: one request and one response header edit (two filters). */
const FILTER_ANNOTATIONS: Readonly<Record<string, string>> = {
  'pier.dev/request-headers-set': 'X-Bench: 1',
  'pier.dev/response-headers-set': 'X-Served-By: pier',
};

/** Every known target, in report order. */
export function allTargets(place: Placement): TargetSpec[] {
  const cpus = place.proxyCpus;
  return [
    { id: 'direct', label: 'direct to backend', cpus: 'backend', start: async (backend) => ({ ...backend, stop: async () => {} }) },
    { id: 'nginx', label: 'nginx (1 worker)', cpus, start: async (backend) => { const port = await freePort(); return running(port, await startNginxProxy(cpus, port, backend.port)); } },
    { id: 'haproxy', label: 'HAProxy (1 thread)', cpus, start: async (backend) => { const port = await freePort(); return running(port, await startHaproxy(cpus, port, backend.port)); } },
    {
      id: 'pier-1', label: 'Pier, 1 worker', cpus,
      start: async (backend) => { const port = await freePort(); return running(port, await startPier({ cpus, port, workers: 1, env: place.pierEnv }, backend.port)); },
    },
    {
      id: 'pier-n', label: `Pier, ${place.pierWorkers} workers`, cpus: place.allCpus,
      start: async (backend) => { const port = await freePort(); return running(port, await startPier({ cpus: place.allCpus, port, workers: place.pierWorkers, env: place.pierEnv }, backend.port)); },
    },
    nodePeer('undici', 'node:http + undici Pool', 'undici-proxy.ts', cpus, [], place.peerEnv),
    nodePeer('fastify', '@fastify/http-proxy', 'fastify-proxy.ts', cpus, [], place.peerEnv),
    {
      id: 'pier-filters', label: 'Pier, 1 worker, route with 2 header filters', cpus,
      start: async (backend) => {
        const port = await freePort();
        return running(port, await startPier({ cpus, port, workers: 1, env: place.pierEnv, manifestDir: benchManifestDir(backend.port, FILTER_ANNOTATIONS) }, backend.port));
      },
    },
    {
      // The public-API HTTP/1.1 layer (node:http front, undici upstream): what a Node without
      // the lean layer's internals gets (README, "When Node internals are missing").
      id: 'pier-public', label: 'Pier, 1 worker, public-API HTTP/1.1 layer', cpus,
      start: async (backend) => {
        const port = await freePort();
        return running(port, await startPier({ cpus, port, workers: 1, env: { ...place.pierEnv, PIER_FORCE_PUBLIC_HTTP: '1' } }, backend.port));
      },
    },
    {
      id: 'pier-access-log', label: 'Pier, 1 worker, --access-log FILE', cpus,
      start: async (backend) => {
        const port = await freePort();
        const file = join(mkdtempSync(join(tmpdir(), 'pier-bench-access-')), 'access.log');
        return running(port, await startPier({ cpus, port, workers: 1, env: place.pierEnv, args: ['--access-log', file] }, backend.port));
      },
    },
    pierCheckout('pier-base', 'BENCH_PIER_BASE', cpus, place),
    pierCheckout('pier-after', 'BENCH_PIER_AFTER', cpus, place),
    nodePeer('lean', 'lean server + lean client (prototype)', 'lean-proxy.ts', cpus, ['--server', 'lean', '--client', 'lean'], place.peerEnv),
    nodePeer('lean-consume', 'lean server + lean client, native reads (prototype)', 'lean-proxy.ts', cpus, ['--server', 'lean', '--client', 'lean', '--consume', 'yes'], place.peerEnv),
    nodePeer('node-floor', 'Node socket I/O floor (canned reply, no parsing)', 'node-floor.ts', cpus, [], place.peerEnv),
    nodePeer('lean-server', 'lean server + undici dispatch', 'lean-proxy.ts', cpus, ['--server', 'lean', '--client', 'undici'], place.peerEnv),
    nodePeer('lean-client', 'node:http + lean client', 'lean-proxy.ts', cpus, ['--server', 'http', '--client', 'lean'], place.peerEnv),
    nodePeer('dispatch', 'node:http + undici dispatch', 'lean-proxy.ts', cpus, ['--server', 'http', '--client', 'undici'], place.peerEnv),
  ];
}
