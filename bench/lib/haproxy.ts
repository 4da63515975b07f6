/**
 * HAProxy as a proxy under test: one thread, server-side connection reuse always, in the
 * foreground from its own temp config.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BODY_PATHS } from './nginx.ts';
import { startPinned, waitForHttp, type PinnedProcess } from './pinned-process.ts';

/** Starts HAProxy on `port` in front of the backend, pinned to `cpus`. */
export async function startHaproxy(cpus: string, port: number, backendPort: number): Promise<PinnedProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pier-bench-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always
frontend bench
  bind 127.0.0.1:${port}
  default_backend backend
backend backend
  server s1 127.0.0.1:${backendPort}
`);
  const proc = startPinned(cpus, 'haproxy', ['-db', '-f', config]);
  await waitForHttp(proc, `http://127.0.0.1:${port}${BODY_PATHS['100B']}`);
  return proc;
}
