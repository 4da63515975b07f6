/**
 * nginx, twice: as the fixed backend every target proxies to, and as a proxy under test. Each
 * instance runs from its own temp prefix with its own config; the system config is never read.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPinned, waitForHttp, type PinnedProcess } from './pinned-process.ts';

/** Response body paths the backend serves, by variant name. */
export const BODY_PATHS = { '100B': '/100b', '1KiB': '/files/1k', '100KiB': '/files/100k' } as const;
export type BodySize = keyof typeof BODY_PATHS;

const SMALL_BODY = 'x'.repeat(100 - 1);

function prefixDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pier-bench-${name}-`));
  // nginx workers run as nobody when the master is root: they must be able to read the files.
  chmodSync(dir, 0o755);
  for (const sub of ['logs', 'tmp', 'html/files']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 });
  return dir;
}

function mainConfig(dir: string, httpBlock: string): string {
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
${httpBlock}
}
`;
}

/** One nginx from its own temp prefix with `httpBlock` (`$ROOT` = its html dir), pinned to `cpus`; resolves once `probePath` answers 200 (on `probePort`). */
export async function startNginx(name: string, cpus: string, port: number, httpBlock: string, probePath: string, probePort = port): Promise<PinnedProcess> {
  const dir = prefixDir(name);
  writeFileSync(join(dir, 'html/files/1k'), 'k'.repeat(1024 - 1) + '\n');
  writeFileSync(join(dir, 'html/files/100k'), 'c'.repeat(100 * 1024 - 1) + '\n');
  writeFileSync(join(dir, 'nginx.conf'), mainConfig(dir, httpBlock.replaceAll('$ROOT', `${dir}/html`)));
  const proc = startPinned(cpus, 'nginx', ['-p', dir, '-e', `${dir}/logs/error.log`, '-c', join(dir, 'nginx.conf')]);
  await waitForHttp(proc, `http://127.0.0.1:${probePort}${probePath}`);
  return proc;
}

/**
 * The backend: a ~100-byte 200 from `return` (no disk), and 1 KiB / 100 KiB static files.
 * Keepalive without a request cap, so no target pays for backend reconnects.
 */
export function startBackend(cpus: string, port: number): Promise<PinnedProcess> {
  return startNginx('backend', cpus, port, `
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  open_file_cache max=16;
  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    root $ROOT;
    location = ${BODY_PATHS['100B']} { default_type text/plain; return 200 "${SMALL_BODY}\\n"; }
    location /files/ { }
    location / { default_type text/plain; return 200 "ok\\n"; }
  }`, BODY_PATHS['100B']);
}

/** nginx as a proxy under test: 1 worker, upstream keepalive, otherwise the defaults. */
export function startNginxProxy(cpus: string, port: number, backendPort: number): Promise<PinnedProcess> {
  return startNginx('proxy', cpus, port, `
  upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`, BODY_PATHS['100B']);
}

/**
 * nginx as a proxy with access control, as ingress-nginx writes it for a location with
 * `whitelist-source-range` and `auth-type: basic`: `allow <cidr>; deny all;`, `auth_basic` with
 * the htpasswd file, and the Authorization header cleared upstream (bench/access.ts).
 */
export function startNginxAccessProxy(cpus: string, port: number, backendPort: number, htpasswdFile: string, allow: string): Promise<PinnedProcess> {
  return startNginx('access-proxy', cpus, port, `
  upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = /probe { return 200; }
    location / {
      allow ${allow};
      deny all;
      auth_basic "bench";
      auth_basic_user_file ${htpasswdFile};
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "";
    }
  }`, '/probe');
}

/**
 * nginx as an HTTP/2 proxy under test: `listen ... http2` in the clear (prior knowledge, as
 * h2load speaks it), 1 worker, http2_max_concurrent_streams 128 (Pier's default too), 1,000,000
 * requests per connection as Pier's maximum (h2load does not reconnect after a GOAWAY), HTTP/1.1
 * with keepalive to the backend, otherwise the defaults. `probePort` serves the same over
 * HTTP/1.1, only to tell when nginx is up (a cleartext http2 listener takes no HTTP/1.1).
 */
export function startNginxH2Proxy(cpus: string, port: number, backendPort: number, probePort: number): Promise<PinnedProcess> {
  return startNginx('h2proxy', cpus, port, `
  upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 128;
  }
  http2_max_concurrent_streams 128;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port} http2 backlog=4096;
    listen 127.0.0.1:${probePort};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`, BODY_PATHS['100B'], probePort);
}
