import type { CompressionPolicy } from '../../routing/policies.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** ingress-nginx's gzip-types default, plus text/html (nginx always compresses it). */
export const DEFAULT_COMPRESSION_TYPES: readonly string[] = [
  'application/atom+xml', 'application/javascript', 'application/json', 'application/rss+xml', 'application/vnd.ms-fontobject',
  'application/x-font-ttf', 'application/x-javascript', 'application/x-web-app-manifest+json', 'application/xhtml+xml', 'application/xml',
  'font/opentype', 'image/svg+xml', 'image/x-icon', 'text/css', 'text/html', 'text/javascript', 'text/plain', 'text/x-component',
];
/** ingress-nginx's gzip-min-length default. */
export const DEFAULT_COMPRESSION_MIN_LENGTH = 256;

const CODINGS = ['gzip', 'br', 'zstd'] as const;
const MEDIA_TYPE = /^([a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+|\*)$/;

/**
 * Compression family (Pier's own, under `pier.dev/` only; ingress-nginx's equivalents are the
 * ConfigMap's use-gzip / enable-brotli, gzip-types, gzip-min-length, which are Pier's
 * `--compression`, `--compression-types`, `--compression-min-length`: an Ingress without
 * `pier.dev/compression` gets those, and its own min-length or types still apply):
 * - `pier.dev/compression`: the codings to offer, in the server's order of preference, from
 *   `gzip`, `br`, `zstd` (comma or space separated), or `off`.
 * - `pier.dev/compression-min-length`: bytes; a response whose Content-Length is below it is
 *   sent as it is (default 256, gzip-min-length's).
 * - `pier.dev/compression-types`: media types compressed (space or comma separated; `*` = any;
 *   default gzip-types' default plus text/html).
 */
export function parseCompression(r: AnnotationReader, s: IngressSettings): void {
  const codings = pierOnly(r, 'compression') ? parseCodings(r) : undefined;
  const minLength = pierOnly(r, 'compression-min-length') ? r.int('compression-min-length', 0, 1_073_741_824) : undefined;
  const types = pierOnly(r, 'compression-types') ? parseTypes(r) : undefined;
  // The controller's --compression* (parse-annotations.ts seeds it): what an Ingress that says
  // nothing gets, and the length and types an Ingress naming only its codings gets.
  const seeded = s.policies.findIndex((p) => p.kind === 'compression');
  const controller = seeded < 0 ? undefined : (s.policies[seeded] as CompressionPolicy);
  const chosen = codings ?? controller?.codings;
  if (chosen === undefined || chosen.length === 0) {
    if (seeded >= 0) s.policies.splice(seeded, 1);
    return;
  }
  const policy: CompressionPolicy = {
    kind: 'compression', codings: chosen,
    minLength: minLength ?? controller?.minLength ?? DEFAULT_COMPRESSION_MIN_LENGTH,
    types: types ?? controller?.types ?? DEFAULT_COMPRESSION_TYPES,
  };
  if (seeded >= 0) s.policies[seeded] = policy;
  else s.policies.push(policy);
}

function pierOnly(r: AnnotationReader, name: string): boolean {
  return r.keyOf(name)?.startsWith('pier.dev/') === true;
}

function parseCodings(r: AnnotationReader): CompressionPolicy['codings'] | undefined {
  const codings = compressionCodings(r.string('compression') ?? '');
  return typeof codings === 'string' ? r.fail('compression', codings) : codings;
}

function parseTypes(r: AnnotationReader): string[] | undefined {
  const types = compressionTypes(r.string('compression-types') ?? '');
  return typeof types === 'string' ? r.fail('compression-types', types) : types;
}

/** A codings list (`gzip, br`, in order of preference; `off`: none), or what is wrong with it.
 * Shared with `--compression` (compression-flags.ts). */
export function compressionCodings(text: string): CompressionPolicy['codings'] | string {
  const words = text.split(/[\s,]+/).filter((w) => w !== '');
  if (words.length === 1 && words[0] === 'off') return [];
  if (words.length === 0) return 'lists no coding (use gzip, br, zstd, or off)';
  const out: (typeof CODINGS)[number][] = [];
  for (const word of words) {
    const coding = CODINGS.find((c) => c === word.toLowerCase());
    if (coding === undefined) return `has "${word}", which is not one of gzip, br, zstd`;
    if (!out.includes(coding)) out.push(coding);
  }
  return out;
}

/** A media type list (lower-cased, `*` = any), or what is wrong with it. Shared with
 * `--compression-types` (compression-flags.ts). */
export function compressionTypes(text: string): string[] | string {
  const words = text.split(/[\s,]+/).filter((w) => w !== '');
  if (words.length === 0) return 'lists no media type';
  const out: string[] = [];
  for (const word of words) {
    const type = word.toLowerCase();
    if (!MEDIA_TYPE.test(type)) return `has "${word}", which is not a media type (like text/css) or *`;
    if (!out.includes(type)) out.push(type);
  }
  return out;
}
