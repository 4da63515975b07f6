import type { CompressionPolicy } from '../../routing/policies.ts';
import type { Ingress } from '../../source/objects.ts';
import { problemAbout, type Problem } from '../problem.ts';
import { AnnotationReader, NGINX_PREFIX, PIER_PREFIX } from './annotation-reader.ts';
import { ANNOTATION_FAMILIES, familyOf } from './annotation-table.ts';
import { emptySettings, type IngressSettings } from './ingress-settings.ts';
import type { ExternalAuthPolicy } from '../../routing/policies.ts';

/** What an Ingress gets for what it does not annotate, where the controller decides:
 * `--ssl-redirect`, `--force-ssl-redirect` and `--compression*` (ingress-nginx's ConfigMap keys). */
export interface AnnotationDefaults {
  readonly sslRedirect: boolean;
  readonly forceSslRedirect: boolean;
  /** `--compression*` (ConfigMap use-gzip, enable-brotli, gzip-types, gzip-min-length): the
   * compression of Ingresses without `pier.dev/compression`; absent: none. */
  readonly compression?: CompressionPolicy;
  /** `--public-https-port`, else `--https-port`: the port `use-port-in-redirects` puts in https
   * redirects (ingress-nginx puts its HTTPS listen port there); absent: 443. */
  readonly httpsPort?: number;
  /** `--http-redirect-code`, `--no-tls-redirect-locations`; absent: ingress-nginx's defaults. */
  readonly redirectCode?: number;
  readonly noTlsRedirectLocations?: readonly string[];
  /** `--global-auth-*` (global-auth-flags.ts): external auth for Ingresses without their own. */
  readonly globalAuth?: ExternalAuthPolicy;
  /** `--no-auth-locations`; absent: ingress-nginx's default, /.well-known/acme-challenge. */
  readonly noAuthLocations?: readonly string[];
  /** `--proxy-cookie-domain`, `--whitelist-source-range`, `--custom-http-errors`, ...
   * (annotation-flags.ts): the controller's value of an annotation name, read by an Ingress
   * that does not set it (AnnotationReader's fallbacks), validated at start. */
  readonly annotations?: Readonly<Record<string, string>>;
}

export const STANDARD_DEFAULTS: AnnotationDefaults = Object.freeze({ sslRedirect: true, forceSslRedirect: false });

/** The settings of an Ingress without annotations (most of them): shared, never changed; one
 * frozen object per set of defaults (a process has one: its flags'). */
const UNANNOTATED = new WeakMap<AnnotationDefaults, IngressSettings>();
function unannotated(defaults: AnnotationDefaults): IngressSettings {
  let settings = UNANNOTATED.get(defaults);
  if (settings === undefined) {
    // The controller's annotation values are parsed once here, as an Ingress's would be.
    const parsed = seeded(defaults);
    if (defaults.annotations !== undefined) for (const family of ANNOTATION_FAMILIES) family.parse?.(new AnnotationReader({}, '', undefined, defaults.annotations), parsed);
    addGlobalAuth(parsed, defaults);
    settings = Object.freeze({
      ...parsed, policies: Object.freeze(parsed.policies) as unknown as IngressSettings['policies'], backend: Object.freeze(parsed.backend),
    });
    UNANNOTATED.set(defaults, settings);
  }
  return settings;
}

/** New settings holding what the flags decide before any annotation is read. */
function seeded(defaults: AnnotationDefaults): IngressSettings {
  const settings = emptySettings();
  settings.sslRedirect = defaults.sslRedirect;
  settings.forceSslRedirect = defaults.forceSslRedirect;
  if (defaults.httpsPort !== undefined) settings.httpsPort = defaults.httpsPort;
  Object.assign(settings, redirectDefaults(defaults));
  if (defaults.noAuthLocations !== undefined) settings.noAuthLocations = defaults.noAuthLocations;
  if (defaults.compression !== undefined) settings.policies.push(defaults.compression);
  return settings;
}

/** `--global-auth-url`: the controller's external auth, for an Ingress with no auth-url of its
 * own that does not say `enable-global-auth: "false"` (ingress-nginx's shouldApplyGlobalAuth). */
function addGlobalAuth(settings: IngressSettings, defaults: AnnotationDefaults): void {
  const global = defaults.globalAuth;
  if (global === undefined || !settings.enableGlobalAuth || settings.policies.some((p) => p.kind === 'external-auth')) return;
  settings.policies.push(global);
}

/** The controller's redirect settings that differ from ingress-nginx's defaults. */
function redirectDefaults(defaults: AnnotationDefaults): Partial<IngressSettings> {
  return {
    ...(defaults.redirectCode === undefined ? {} : { redirectCode: defaults.redirectCode }),
    ...(defaults.noTlsRedirectLocations === undefined ? {} : { noTlsRedirectLocations: defaults.noTlsRedirectLocations }),
  };
}

/** One Ingress's annotations, parsed: the settings, and what was wrong. */
export interface ParsedAnnotations {
  readonly settings: IngressSettings;
  readonly problems: Problem[];
  /** An annotation was invalid, refused or guarded: the Ingress is not served. */
  readonly rejected: boolean;
}

/**
 * Parses every `nginx.ingress.kubernetes.io/` and `pier.dev/` annotation of `ingress` through
 * the annotation table. Other prefixes are not Pier's business and are ignored.
 * - An invalid value (`InvalidAnnotation`), a refused snippet (`RefusedAnnotation`) or a
 *   security control Pier does not enforce yet (`UnenforcedAnnotation`) rejects the Ingress:
 *   each is a Warning naming the annotation.
 * - An unsupported annotation (`UnsupportedAnnotation`), a name nobody defines
 *   (`UnknownAnnotation`) or a part of a value Pier leaves out while the rest applies
 *   (`UnsupportedAnnotationValue`) is a Normal problem; the Ingress is served.
 * - An invalid value of a setting the controller has a safe value for (`IgnoredAnnotation`:
 *   ssl-ciphers) is a Warning; the Ingress is served with the controller's value.
 */
export function parseAnnotations(ingress: Ingress, configMap?: (namespace: string, name: string) => Readonly<Record<string, string>> | undefined, defaults: AnnotationDefaults = STANDARD_DEFAULTS): ParsedAnnotations {
  const annotations = ingress.metadata.annotations ?? {};
  const problems: Problem[] = [];
  let rejected = false;
  for (const key of Object.keys(annotations)) {
    const prefix = key.startsWith(PIER_PREFIX) ? PIER_PREFIX : key.startsWith(NGINX_PREFIX) ? NGINX_PREFIX : undefined;
    if (prefix === undefined) continue;
    const family = familyOf(key.slice(prefix.length));
    if (family === undefined || (family.pierOnly === true && prefix !== PIER_PREFIX)) {
      problems.push(problemAbout(ingress, 'UnknownAnnotation', `annotation ${key} is not known to Pier and is ignored`, 'Normal'));
    } else if (family.status === 'unsupported') {
      problems.push(problemAbout(ingress, 'UnsupportedAnnotation', `annotation ${key} is not supported and is ignored: ${family.note}`, 'Normal'));
    } else if (family.status === 'refused') {
      rejected = true;
      problems.push(problemAbout(ingress, 'RefusedAnnotation', `Ingress skipped: annotation ${key} is refused: ${family.note}`));
    } else if (family.status === 'guarded') {
      rejected = true;
      problems.push(problemAbout(ingress, 'UnenforcedAnnotation', `Ingress skipped: annotation ${key} is ${family.note.replace(/^not enforced yet: /, 'not enforced by Pier yet: ')}`));
    }
  }
  const reader = new AnnotationReader(annotations, ingress.metadata.namespace ?? '', configMap, defaults.annotations);
  if (reader.empty) return { settings: unannotated(defaults), problems, rejected };
  const settings = seeded(defaults);
  for (const family of ANNOTATION_FAMILIES) family.parse?.(reader, settings);
  addGlobalAuth(settings, defaults);
  for (const notice of reader.notices) problems.push(problemAbout(ingress, 'UnsupportedAnnotationValue', notice, 'Normal'));
  for (const ignored of reader.ignored) problems.push(problemAbout(ingress, 'IgnoredAnnotation', ignored));
  for (const error of reader.errors) problems.push(problemAbout(ingress, 'InvalidAnnotation', `Ingress skipped: ${error}`));
  return { settings, problems, rejected: rejected || reader.errors.length > 0 };
}
