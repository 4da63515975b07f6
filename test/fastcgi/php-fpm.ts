import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/free-port.ts';

/** The PHP scripts the tests serve (copied to each server's own document root). */
export const WWW = fileURLToPath(new URL('./www/', import.meta.url));

const FPM_CANDIDATES = ['php-fpm', 'php-fpm8.4', 'php-fpm8.3', 'php-fpm8.2', 'php-fpm8.1'];

function which(names: readonly string[]): string | null {
  for (const name of names) {
    for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
      if (existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

let installTried = false;

/**
 * php-fpm and nginx from Debian: installed with apt-get when missing (root only). Returns the
 * binaries, or the reason they are not there (the caller skips with that reason printed).
 */
export function ensurePhpFpm(): { fpm: string; nginx: string | null } | { missing: string } {
  let fpm = which(FPM_CANDIDATES);
  let nginx = which(['nginx']);
  if ((fpm === null || nginx === null) && !installTried) {
    installTried = true;
    if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
      try {
        const opts = { stdio: 'ignore' as const, timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
        execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'update'], opts);
        execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'install', '-y', '--no-install-recommends', 'php-fpm', 'nginx'], opts);
      } catch (err) {
        return { missing: `php-fpm/nginx missing and apt-get install failed: ${(err as Error).message}` };
      }
      fpm = which(FPM_CANDIDATES);
      nginx = which(['nginx']);
    }
  }
  if (fpm === null) return { missing: 'php-fpm is not installed (apt-get install php-fpm nginx; needs root)' };
  return { fpm, nginx };
}

export interface FpmOptions {
  /** Listen on a unix socket in the temp dir instead of a loopback port. */
  readonly unix?: boolean;
  readonly maxChildren?: number;
  /** pm.max_requests: a child exits (closing its connection) after this many requests. */
  readonly maxRequests?: number;
}

export interface PhpFpm {
  readonly dir: string;
  readonly docRoot: string;
  /** TCP port, or 0 with `socket` set. */
  readonly port: number;
  readonly socket: string | null;
  output(): string;
  /** Stops (SIGQUIT: graceful) and starts again on the same address. */
  restart(): Promise<void>;
  /** php-fpm's own restart (SIGUSR2, `systemctl reload php-fpm`): children finish their
   * request and close their connections, the listening socket stays open. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts php-fpm (foreground) with a temporary pool; resolves once it says it is ready. */
export async function startPhpFpm(fpm: string, options: FpmOptions = {}): Promise<PhpFpm> {
  const dir = mkdtempSync(join(tmpdir(), 'pier-fpm-'));
  chmodSync(dir, 0o755);
  const docRoot = join(dir, 'www');
  cpSync(WWW, docRoot, { recursive: true });
  const port = options.unix ? 0 : await freePort();
  const socket = options.unix ? join(dir, 'php-fpm.sock') : null;
  const root = process.getuid?.() === 0;
  writeFileSync(join(dir, 'php-fpm.conf'), [
    '[global]',
    `pid = ${join(dir, 'fpm.pid')}`,
    `error_log = ${join(dir, 'fpm.log')}`,
    'daemonize = no',
    '[pier]',
    ...(root ? ['user = root', 'group = root'] : []),
    `listen = ${socket ?? `127.0.0.1:${port}`}`,
    'listen.mode = 0666',
    'pm = static',
    `pm.max_children = ${options.maxChildren ?? 8}`,
    `pm.max_requests = ${options.maxRequests ?? 0}`,
    'catch_workers_output = yes',
    'php_admin_value[post_max_size] = 32M',
    'php_admin_value[upload_max_filesize] = 32M',
    'php_admin_value[memory_limit] = 64M',
    'php_admin_value[output_buffering] = 0',
    'php_admin_flag[log_errors] = on',
    '',
  ].join('\n'));
  let child: ChildProcess;
  let out = '';
  const start = async (): Promise<void> => {
    child = spawn(fpm, ['--nodaemonize', '--force-stderr', '--fpm-config', join(dir, 'php-fpm.conf'), ...(root ? ['-R'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`php-fpm not ready in 15 s:\n${out}`)), 15_000);
      const check = (): void => {
        if (!out.includes('ready to handle connections')) return;
        clearTimeout(timer);
        resolve();
      };
      child.stderr!.on('data', check);
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`php-fpm exited with ${code}:\n${out}`));
      });
    });
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    dir, docRoot, port, socket,
    output: () => out,
    reload: async () => {
      const before = out.split('ready to handle connections').length;
      child.kill('SIGUSR2');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`php-fpm not back in 15 s:\n${out}`)), 15_000);
        const check = (): void => {
          if (out.split('ready to handle connections').length <= before) return;
          clearTimeout(timer);
          child.stderr!.off('data', check);
          resolve();
        };
        child.stderr!.on('data', check);
      });
    },
    restart: async () => {
      await stop();
      out = '';
      await start();
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The CGI params of nginx's stock `fastcgi_params` as the issue lists them (no REMOTE_USER,
 * no Debian HTTP_HOST override), plus SCRIPT_FILENAME and PATH_INFO as Debian's
 * snippets/fastcgi-php.conf sets them. */
const NGINX_PARAMS = `
fastcgi_param  QUERY_STRING       $query_string;
fastcgi_param  REQUEST_METHOD     $request_method;
fastcgi_param  CONTENT_TYPE       $content_type;
fastcgi_param  CONTENT_LENGTH     $content_length;
fastcgi_param  SCRIPT_NAME        $fastcgi_script_name;
fastcgi_param  REQUEST_URI        $request_uri;
fastcgi_param  DOCUMENT_URI       $document_uri;
fastcgi_param  DOCUMENT_ROOT      $document_root;
fastcgi_param  SERVER_PROTOCOL    $server_protocol;
fastcgi_param  REQUEST_SCHEME     $scheme;
fastcgi_param  HTTPS              $https if_not_empty;
fastcgi_param  GATEWAY_INTERFACE  CGI/1.1;
fastcgi_param  SERVER_SOFTWARE    nginx/$nginx_version;
fastcgi_param  REMOTE_ADDR        $remote_addr;
fastcgi_param  REMOTE_PORT        $remote_port;
fastcgi_param  SERVER_ADDR        $server_addr;
fastcgi_param  SERVER_PORT        $server_port;
fastcgi_param  SERVER_NAME        $server_name;
fastcgi_param  REDIRECT_STATUS    200;
`;

export interface Nginx {
  readonly port: number;
  stop(): Promise<void>;
}

/** nginx in front of `fpm` (one worker, keepalive to php-fpm), as a PHP site is usually set up. */
export async function startNginx(nginxBin: string, fpm: PhpFpm, options: { cpu?: number; port?: number } = {}): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'pier-nginx-'));
  const port = options.port ?? (await freePort());
  const root = process.getuid?.() === 0;
  const pass = fpm.socket !== null ? `unix:${fpm.socket}` : `127.0.0.1:${fpm.port}`;
  writeFileSync(join(dir, 'fastcgi_params'), NGINX_PARAMS);
  writeFileSync(join(dir, 'nginx.conf'), `
${root ? 'user root;' : ''}
worker_processes 1;
${options.cpu === undefined ? '' : `worker_cpu_affinity ${(1 << options.cpu).toString(2)};`}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; fastcgi_temp_path ${dir}/fastcgi; proxy_temp_path ${dir}/proxy;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  client_max_body_size 64m;
  upstream php { server ${pass}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    server_name localhost;
    root ${fpm.docRoot};
    location ~ [^/]\\.php(/|$) {
      fastcgi_split_path_info ^(.+?\\.php)(/.*)$;
      set $path_info $fastcgi_path_info;
      fastcgi_param PATH_INFO $path_info;
      fastcgi_index index.php;
      include ${dir}/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_keep_conn on;
      fastcgi_pass php;
    }
  }
}
`);
  const child = spawn(nginxBin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Ready once it accepts a connection (bounded: 100 tries, 50 ms apart).
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${out}`);
    const ok = await fetch(`http://127.0.0.1:${port}/none`).then(() => true, () => false);
    if (ok) break;
    if (i >= 100) throw new Error(`nginx not ready: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
