/**
 * Pier as a proxy under test: the real `pier serve` in manifest mode, routing host
 * `bench.local` path `/` to the backend.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from '../../test/e2e/manifests.ts';
import { freePort } from '../../test/helpers/free-port.ts';
import { BODY_PATHS } from './nginx.ts';
import { startPinned, waitForHttp, type PinnedProcess } from './pinned-process.ts';

/** The entry point of the real binary. */
export const PIER_BIN = fileURLToPath(new URL('../../bin/pier.js', import.meta.url));

/** Options for one Pier under test. */
export interface PierBenchOptions {
  readonly cpus: string;
  readonly port: number;
  readonly workers: number;
  /** Extra environment, e.g. NODE_OPTIONS=--cpu-prof for profiling. */
  readonly env?: NodeJS.ProcessEnv;
  /** A manifest directory to serve instead of the single bench route. */
  readonly manifestDir?: string;
  /** Path and host that answer 200 once Pier serves its table. */
  readonly probe?: { readonly host: string; readonly path: string };
  readonly readyTimeoutMs?: number;
  /** Another checkout's bin/pier.js (before/after comparisons in one run). */
  readonly bin?: string;
  /** More `pier serve` flags. */
  readonly args?: readonly string[];
}

/** A directory holding the IngressClass, the backend's Service + EndpointSlice and the Ingress
 * (with `annotations`, for targets that measure route filters). */
export function benchManifestDir(backendPort: number, annotations: Readonly<Record<string, string>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pier-bench-manifests-'));
  let ingress = ingressYaml('bench', 'bench.local', [{ path: '/', service: 'backend' }]);
  const entries = Object.entries(annotations);
  if (entries.length > 0) {
    const block = entries.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`).join('\n');
    ingress = ingress.replace('metadata: { name: bench, namespace: default }', `metadata:\n  name: bench\n  namespace: default\n  annotations:\n${block}`);
  }
  writeFileSync(join(dir, 'bench.yaml'), [
    INGRESS_CLASS_YAML,
    serviceYaml('backend', [{ host: '127.0.0.1', port: backendPort }]),
    ingress,
  ].join('---\n'));
  return dir;
}

/**
 * The bench route through an Upstream resource instead of a Service, with nginx's upstream
 * keepalive as bench/lib/nginx.ts configures its proxies (`keepalive 128`, keepalive_requests
 * 1000 by default): where many requests are in flight (HTTP/2 with 100 streams per
 * connection), the idle cap decides how many upstream connections open and close, and both
 * proxies must have the same.
 */
export function upstreamManifestDir(backendPort: number, keepaliveConnections = 128): string {
  const dir = mkdtempSync(join(tmpdir(), 'pier-bench-manifests-'));
  const ingress = ingressYaml('bench', 'bench.local', [{ path: '/', service: 'backend' }])
    .replace('backend: { service: { name: backend, port: { number: 80 } } }', 'backend: { resource: { apiGroup: pier.dev, kind: Upstream, name: backend } }');
  writeFileSync(join(dir, 'bench.yaml'), [
    INGRESS_CLASS_YAML,
    `apiVersion: pier.dev/v1alpha1
kind: Upstream
metadata: { name: backend, namespace: default }
spec:
  servers: [{ address: 127.0.0.1, port: ${backendPort} }]
  keepalive: { connections: ${keepaliveConnections} }
`,
    ingress,
  ].join('---\n'));
  return dir;
}

/** Starts Pier and resolves once /readyz is 200 and the probe route answers 200. */
export async function startPier(options: PierBenchOptions, backendPort: number): Promise<PinnedProcess & { readonly healthPort: number }> {
  const manifests = options.manifestDir ?? benchManifestDir(backendPort);
  const [healthPort, httpsPort] = [await freePort(), await freePort()];
  const proc = startPinned(options.cpus, process.execPath, [
    options.bin ?? PIER_BIN, 'serve', '--manifests', manifests, '--bind-address', '127.0.0.1',
    '--http-port', String(options.port), '--https-port', String(httpsPort), '--health-port', String(healthPort),
    '--workers', String(options.workers), '--log-level', 'warn', ...(options.args ?? []),
  ], options.env);
  try {
    const timeout = options.readyTimeoutMs ?? 30_000;
    await waitForHttp(proc, `http://127.0.0.1:${healthPort}/readyz`, timeout);
    const probe = options.probe ?? { host: 'bench.local', path: BODY_PATHS['100B'] };
    await waitForHttp(proc, `http://127.0.0.1:${options.port}${probe.path}`, timeout, probe.host);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { ...proc, healthPort };
}
