import { parseNginxSize, parseNginxTime } from '../translate/annotations/nginx-values.ts';
import { goBool, notBool, type ConfigMapData, type Conversion, type PierFlag } from './configmap-key.ts';

/**
 * How ingress-nginx ConfigMap values become `pier serve` flags. Each function returns the
 * conversion of one key's value; the flag parser (src/config.ts) then judges the result, so a
 * value Pier would refuse is reported with Pier's own message.
 */

/** The value as it is: `proxy-body-size: 8m` → `--max-body-size=8m`. */
export function same(flag: PierFlag): (value: string) => Conversion {
  return (value) => ({ args: [`--${flag}=${value.trim()}`] });
}

/** Seconds, as ingress-nginx's integer keys take them (a bare number is seconds for Pier too),
 * or an nginx time (`1m30s`, which ingress-nginx passes to nginx) in Pier's units. */
export function seconds(flag: PierFlag): (value: string) => Conversion {
  return (value) => {
    const v = value.trim();
    const ms = /^\d+$/.test(v) ? undefined : parseNginxTime(v);
    if (ms === undefined) return { args: [`--${flag}=${v}`] };
    return { args: [`--${flag}=${ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`}`] };
  };
}

/** A ConfigMap boolean for a `true|false` flag (`ssl-redirect: "False"` → `--ssl-redirect=false`). */
export function trueFalse(flag: PierFlag): (value: string) => Conversion {
  return (value) => {
    const b = goBool(value);
    return b === undefined ? notBool(value) : { args: [`--${flag}=${b}`] };
  };
}

/** A ConfigMap boolean for a flag given alone (`use-proxy-protocol: "true"` → `--proxy-protocol`). */
export function alone(flag: PierFlag): (value: string) => Conversion {
  return (value) => {
    const b = goBool(value);
    if (b === undefined) return notBool(value);
    return b ? { args: [`--${flag}`] } : { args: [], note: `off, as Pier without --${flag}` };
  };
}

/** `hsts`, `hsts-max-age`, `hsts-include-subdomains`, `hsts-preload` → one `--hsts` value. */
export function hsts(_value: string, data: ConfigMapData): Conversion {
  const on = goBool(data.hsts ?? 'true');
  const subdomains = goBool(data['hsts-include-subdomains'] ?? 'true');
  const preload = goBool(data['hsts-preload'] ?? 'false');
  for (const key of ['hsts', 'hsts-include-subdomains', 'hsts-preload']) if (data[key] !== undefined && goBool(data[key]) === undefined) return notBool(data[key]!);
  if (on === false) return { args: ['--hsts=off'] };
  const maxAge = (data['hsts-max-age'] ?? '31536000').trim();
  return { args: [`--hsts=max-age=${maxAge}${subdomains === true ? '; includeSubDomains' : ''}${preload === true ? '; preload' : ''}`] };
}

/** The codings `use-gzip` and `enable-brotli` turn on (ngx_brotli answers first when a client
 * takes br, so br leads), or an error naming a value that is no boolean. */
function codings(data: ConfigMapData): { gzip: boolean; br: boolean } | Conversion {
  const gzip = goBool(data['use-gzip'] ?? 'false');
  const br = goBool(data['enable-brotli'] ?? 'false');
  if (gzip === undefined) return notBool(data['use-gzip']!);
  if (br === undefined) return notBool(data['enable-brotli']!);
  return { gzip, br };
}

/** `use-gzip` / `enable-brotli` → `--compression=br,gzip`, `gzip` or `br`. */
export function compression(_value: string, data: ConfigMapData): Conversion {
  const c = codings(data);
  if ('args' in c || 'error' in c) return c;
  const list = [...(c.br ? ['br'] : []), ...(c.gzip ? ['gzip'] : [])];
  return list.length === 0 ? { args: [], note: 'off, as Pier without --compression' } : { args: [`--compression=${list.join(',')}`] };
}

/**
 * `gzip-types` / `brotli-types` → `--compression-types`, `gzip-min-length` / `brotli-min-length`
 * → `--compression-min-length`: Pier has one list and one minimum for every coding, taken from
 * the gzip key when gzip is on, from the brotli key when brotli alone is.
 */
export function compressionSetting(flag: 'compression-types' | 'compression-min-length', coding: 'gzip' | 'br'): (value: string, data: ConfigMapData) => Conversion {
  return (value, data) => {
    const c = codings(data);
    if ('args' in c || 'error' in c) return c;
    const mine = coding === 'gzip' ? c.gzip : c.br;
    if (!mine) return { args: [], note: `no effect: ${coding === 'gzip' ? 'use-gzip' : 'enable-brotli'} is off` };
    if (coding === 'br' && c.gzip) return { args: [], lost: true, note: `not carried over: Pier has one --${flag} for every coding, and it comes from the gzip key` };
    return { args: [`--${flag}=${value.trim()}`] };
  };
}

/** `use-forwarded-headers`, `enable-real-ip`, `proxy-real-ip-cidr` → `--trusted-proxies`. */
export function trustedProxies(key: 'use-forwarded-headers' | 'enable-real-ip' | 'proxy-real-ip-cidr'): (value: string, data: ConfigMapData) => Conversion {
  return (_value, data) => {
    const forwarded = goBool(data['use-forwarded-headers'] ?? 'false');
    const realIp = goBool(data['enable-real-ip'] ?? 'false');
    if (forwarded === undefined) return notBool(data['use-forwarded-headers']!);
    if (realIp === undefined) return notBool(data['enable-real-ip']!);
    const given = data['proxy-real-ip-cidr']?.split(',').map((c) => c.trim()).filter((c) => c !== '') ?? [];
    const cidrs = given.length > 0 ? given : ['0.0.0.0/0'];
    const mine = key === 'use-forwarded-headers' ? forwarded : key === 'enable-real-ip' ? realIp : forwarded || realIp;
    if (!mine) {
      if (key !== 'proxy-real-ip-cidr') return { args: [], note: 'off, as Pier without --trusted-proxies' };
      if (goBool(data['use-proxy-protocol']) === true) return { args: [], note: 'with use-proxy-protocol alone, Pier takes the client address from the PROXY header of every connection' };
      return { args: [], note: 'no effect without use-forwarded-headers or enable-real-ip (as in ingress-nginx)' };
    }
    const notes = [
      ...(given.length === 0 ? ['ingress-nginx\'s default proxy-real-ip-cidr, 0.0.0.0/0, believes every IPv4 client\'s X-Forwarded-*: list your load balancers\' addresses instead'] : []),
      ...(key === 'enable-real-ip' && !forwarded ? ['Pier also takes X-Forwarded-Proto, -Host and -Port from these addresses, as use-forwarded-headers does'] : []),
    ];
    return { args: [`--trusted-proxies=${cidrs.join(',')}`], ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
  };
}

/** Where ingress-nginx's access log went, as `--access-log` takes it (its default file is a
 * symlink to the container's stdout). */
function logTarget(path: string): Conversion {
  const p = path.trim();
  if (p === '/var/log/nginx/access.log' || p === '/dev/stdout') return { args: ['--access-log=stdout'] };
  if (p.startsWith('syslog:')) return { error: 'Pier writes its access log to stdout or a file, not to syslog' };
  return { args: [`--access-log=${p}`] };
}

/**
 * `disable-access-log`, `disable-http-access-log`, `access-log-path`, `http-access-log-path` →
 * `--access-log`. ingress-nginx logs every request unless told not to; Pier only with
 * `--access-log`, so a ConfigMap that keeps the log on turns it on.
 */
export function accessLog(key: 'disable-access-log' | 'disable-http-access-log' | 'access-log-path' | 'http-access-log-path'): (value: string, data: ConfigMapData) => Conversion {
  return (value, data) => {
    for (const k of ['disable-access-log', 'disable-http-access-log', 'enable-syslog']) if (data[k] !== undefined && goBool(data[k]) === undefined) return notBool(data[k]!);
    const disabled = goBool(data['disable-access-log']) === true || goBool(data['disable-http-access-log']) === true;
    if (key.startsWith('disable-') && goBool(value) === true) return { args: ['--access-log=off'], note: 'Pier\'s default' };
    if (disabled) return { args: [], note: 'no effect: the access log is off (disable-access-log)' };
    if (goBool(data['enable-syslog']) === true) return { args: [], lost: true, note: 'not carried over: the log went to syslog (enable-syslog), which Pier does not write to' };
    const httpPath = (data['http-access-log-path'] ?? '').trim();
    if (key === 'access-log-path' && httpPath !== '') return { args: [], note: 'no effect: http-access-log-path decides' };
    const path = key.endsWith('-path') ? value : httpPath !== '' ? httpPath : (data['access-log-path'] ?? '').trim() || '/var/log/nginx/access.log';
    return logTarget(path);
  };
}

/** nginx's error_log levels → Pier's `--log-level`. */
const LOG_LEVELS: Readonly<Record<string, string>> = { debug: 'debug', info: 'info', notice: 'info', warn: 'warn', error: 'error', crit: 'fatal', alert: 'fatal', emerg: 'fatal' };

/** `error-log-level: notice` → `--log-level=info`. */
export function logLevel(value: string): Conversion {
  const level = LOG_LEVELS[value.trim()];
  return level === undefined ? { error: `${JSON.stringify(value)} is not an nginx error_log level (debug, info, notice, warn, error, crit, alert, emerg)` } : { args: [`--log-level=${level}`] };
}

/** `worker-processes: auto` → Pier's default (one worker per CPU); a number → `--workers`. */
export function workers(value: string): Conversion {
  if (value.trim() === 'auto') return { args: [], note: 'one worker per CPU, Pier\'s default without --workers (the chart passes controller.workers, 2 by default: set it to "")' };
  return { args: [`--workers=${value.trim()}`] };
}

/** `large-client-header-buffers: "4 8k"` → `--max-header-size=32k`: the whole head may fill
 * every buffer (nginx also refuses one line longer than a buffer; Pier has no per-line limit). */
export function headerBuffers(value: string): Conversion {
  const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(value);
  const size = m === null ? undefined : parseNginxSize(m[2]!);
  if (m === null || size === undefined) return { error: `${JSON.stringify(value)} is not "NUMBER SIZE" as nginx's large_client_header_buffers (like "4 8k")` };
  const bytes = Number(m[1]) * size;
  return { args: [`--max-header-size=${bytes % 1024 === 0 ? `${bytes / 1024}k` : bytes}`] };
}

/** `bind-address`: Pier binds one address (ingress-nginx took a list of IPv4 and IPv6 ones). */
export function bindAddress(value: string): Conversion {
  const addresses = value.split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (addresses.length === 0) return { args: [], note: 'every address, as Pier\'s default --bind-address 0.0.0.0 (IPv4; :: for IPv6 too)' };
  if (addresses.length > 1) return { error: `Pier binds one address, not ${addresses.length}: --bind-address=0.0.0.0 for every IPv4 address, :: for IPv4 and IPv6` };
  return { args: [`--bind-address=${addresses[0]}`] };
}
