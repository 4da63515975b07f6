import { isIP } from 'node:net';
import { ConfigError } from './errors.ts';
import { parseNginxTime } from './translate/annotations/nginx-values.ts';

/**
 * Value parsers for Pier's options. Each takes the option's `label` — `--http-port`, or
 * `PIER_HTTP_PORT (--http-port)` when the value came from the environment — so that an error
 * names what the user actually wrote.
 */

export function invalid(label: string, value: string, expected: string): ConfigError {
  return new ConfigError(`invalid value for ${label}: ${JSON.stringify(value)} (expected ${expected})`);
}

export function parsePort(label: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw invalid(label, value, 'a port number 0-65535');
  return Number(value);
}

export function parseCount(label: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1_000_000) throw invalid(label, value, 'a whole number from 1 to 1,000,000');
  return Number(value);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `5m`, `1h`, or a bare number of seconds (as nginx). */
export function parseDuration(label: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw invalid(label, value, value.trim().startsWith('-') ? 'a duration of 0 or more, such as 500ms, 30s or 5m' : 'a duration such as 500ms, 30s or 5m');
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's']!;
  if (ms > 24 * 3_600_000) throw invalid(label, value, 'at most 24h');
  return Math.round(ms);
}

/**
 * A duration as nginx writes one too: what ingress-nginx copies from its ConfigMap into nginx
 * verbatim (`upstream-keepalive-time: 1h30m`, `1d`) besides parseDuration's forms; at most 24h,
 * as every duration flag.
 */
export function parseNginxDuration(label: string, value: string): number {
  const ms = parseNginxTime(value.trim());
  if (ms === undefined) return parseDuration(label, value);
  if (ms > 24 * 3_600_000) throw invalid(label, value, 'at most 24h');
  return ms;
}

/** Idle upstream connections kept (nginx `keepalive N`): 0 turns upstream keepalive off. */
export function parseIdleConnections(label: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 1_000_000) throw invalid(label, value, 'a whole number from 0 to 1,000,000 (0 turns upstream keepalive off)');
  return Number(value);
}

/** A timeout with no "off": 0 would time out at once (a 408 for every client, a 504 for every backend). */
export function aboveZero(label: string, value: string, ms: number): number {
  if (ms <= 0) throw invalid(label, value, 'more than 0');
  return ms;
}

export function parseBoolean(label: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw invalid(label, value, 'true or false');
}

export function nonEmpty(label: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw invalid(label, value, 'a non-empty value');
  return value;
}

/** An IP address to bind to; a host name would be resolved at listen time, and fail there. */
export function parseBindAddress(label: string, value: string): string {
  if (isIP(value) === 0) throw invalid(label, value, 'an IPv4 or IPv6 address of this machine, such as 0.0.0.0, 127.0.0.1 or ::');
  return value;
}

/** A Kubernetes object reference as ingress-nginx's flags take it. */
export interface NamespacedName {
  readonly namespace: string;
  readonly name: string;
}

export function parseNamespacedName(label: string, value: string): NamespacedName {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(value);
  if (!m) throw invalid(label, value, 'NAMESPACE/NAME');
  return { namespace: m[1]!, name: m[3]! };
}

export function parseList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

const UNIT_BYTES: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** `1048576`, `16k`, `1m`, `2g` (binary multiples, as nginx sizes; `KiB`, `MB` also read so). */
export function parseSize(label: string, value: string): number {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m?.[2]?.toLowerCase();
  if (!m || unit === undefined || UNIT_BYTES[unit] === undefined) throw invalid(label, value, 'a size such as 1048576, 16k or 1m');
  const bytes = Number(m[1]) * UNIT_BYTES[unit]!;
  if (!Number.isSafeInteger(bytes)) throw invalid(label, value, 'a size such as 1048576, 16k or 1m');
  return bytes;
}

/** Kubernetes' byte suffixes (case as Kubernetes writes them), plus nginx's where Kubernetes
 * has none for bytes: `K`, `m` (Kubernetes' milli) and `g`, binary as in nginx's sizes. */
const QUANTITY_UNITS: Record<string, number> = {
  '': 1, k: 1000, M: 1000 ** 2, G: 1000 ** 3, T: 1000 ** 4, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
  K: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

/**
 * Bytes as a Kubernetes quantity: `1048576`, `512Ki`, `256Mi`, `1Gi`, `100M` (decimal), at
 * least 1, so the value can match the emptyDir's `sizeLimit` next to it in the chart; nginx's
 * `max_size` spellings `10m`, `1g`, `512K` are read as nginx reads them (binary). Where the two
 * disagree (`k`, `M`, `G`) Kubernetes wins: a cache bound to its emptyDir must not outgrow it.
 */
export function parseQuantity(label: string, value: string): number {
  const m = /^(\d+)([kKmMgGT]i?)?$/.exec(value.trim());
  const unit = QUANTITY_UNITS[m?.[2] ?? ''];
  if (!m || unit === undefined) throw invalid(label, value, 'a size such as 256Mi, 1Gi, 100M or 1048576 (nginx\'s 10m and 1g are read as MiB and GiB)');
  const bytes = Number(m[1]) * unit;
  if (bytes < 1 || !Number.isSafeInteger(bytes)) throw invalid(label, value, 'at least 1 byte');
  return bytes;
}

const HSTS_EXPECTED = 'off, or max-age=SECONDS optionally followed by ; includeSubDomains and ; preload (RFC 6797)';

/**
 * `--hsts`: a Strict-Transport-Security value (RFC 6797 §6.1: `max-age` once, with at most 10
 * digits, then `includeSubDomains` and `preload`, each at most once, names in any case, empty
 * directives allowed), written back in the usual spelling; `off` (or `false`) gives '' (no header).
 */
export function parseHsts(label: string, value: string): string {
  if (/^\s*(off|false)\s*$/i.test(value)) return '';
  let maxAge: string | undefined;
  let subdomains = false;
  let preload = false;
  for (const part of value.split(';')) {
    const directive = part.trim();
    if (directive === '') continue; // RFC 6797 §6.1 allows empty directives (`max-age=1;`)
    const age = /^max-age\s*=\s*"?(\d{1,10})"?$/i.exec(directive);
    if (age !== null && maxAge === undefined) maxAge = String(Number(age[1]));
    else if (/^includesubdomains$/i.test(directive) && !subdomains) subdomains = true;
    else if (/^preload$/i.test(directive) && !preload) preload = true;
    else throw invalid(label, value, HSTS_EXPECTED);
  }
  if (maxAge === undefined) throw invalid(label, value, HSTS_EXPECTED);
  return `max-age=${maxAge}${subdomains ? '; includeSubDomains' : ''}${preload ? '; preload' : ''}`;
}
