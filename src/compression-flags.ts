import { invalid } from './config-values.ts';
import type { CompressionPolicy } from './routing/policies.ts';
import { compressionCodings, compressionTypes, DEFAULT_COMPRESSION_MIN_LENGTH, DEFAULT_COMPRESSION_TYPES } from './translate/annotations/compression.ts';

/** The flags' text, as given (or their defaults). */
export interface CompressionFlags {
  readonly codings: string;
  readonly types: string;
  readonly minLength: string;
}

/** `--compression`'s default: off, as ingress-nginx's use-gzip and enable-brotli. */
export const DEFAULT_COMPRESSION = 'off';
/** `--compression-types`' default: ingress-nginx's gzip-types default, plus text/html. */
export const DEFAULT_COMPRESSION_TYPES_FLAG = DEFAULT_COMPRESSION_TYPES.join(' ');
/** `--compression-min-length`'s default: ingress-nginx's gzip-min-length. */
export const DEFAULT_COMPRESSION_MIN_LENGTH_FLAG = String(DEFAULT_COMPRESSION_MIN_LENGTH);

/**
 * `--compression CODINGS|off`, `--compression-types`, `--compression-min-length`: the
 * compression of every Ingress without `pier.dev/compression` (ingress-nginx's ConfigMap
 * `use-gzip` → `gzip`, `enable-brotli` → `br` (with both, `br,gzip`: ngx_brotli answers first
 * when the client takes br), `gzip-types`, `gzip-min-length`); the same forms as the
 * annotations (compression.ts). Undefined: off. `label` names each flag as the user gave it.
 */
export function compressionConfig(label: (flag: 'compression' | 'compression-types' | 'compression-min-length') => string, flags: CompressionFlags): CompressionPolicy | undefined {
  if (flags.codings.trim().toLowerCase() === 'off') return undefined;
  const codings = compressionCodings(flags.codings);
  if (typeof codings === 'string' || codings.length === 0) throw invalid(label('compression'), flags.codings, 'gzip, br, zstd (comma separated, in order of preference) or off');
  const types = compressionTypes(flags.types);
  if (typeof types === 'string') throw invalid(label('compression-types'), flags.types, 'media types like text/css, or *');
  // nginx compresses text/html whatever gzip_types says (ingress-nginx's docs say so too).
  if (!types.includes('text/html') && !types.includes('*')) types.push('text/html');
  if (!/^\d+$/.test(flags.minLength) || Number(flags.minLength) > 1_073_741_824) throw invalid(label('compression-min-length'), flags.minLength, 'a number of bytes');
  return Object.freeze({ kind: 'compression', codings: Object.freeze(codings), minLength: Number(flags.minLength), types: Object.freeze(types) });
}
