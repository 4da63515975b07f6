import { ConfigError } from './errors.ts';
import { AnnotationReader, NGINX_PREFIX } from './translate/annotations/annotation-reader.ts';
import { ANNOTATION_FAMILIES } from './translate/annotations/annotation-table.ts';
import { emptySettings } from './translate/annotations/ingress-settings.ts';

/**
 * Flags that are ingress-nginx ConfigMap keys whose value is the default of the same-named
 * annotation: an Ingress that does not set the annotation (or sets it empty) reads the flag's
 * value instead, and one that does replaces it, as ingress-nginx's parsers fall back to the
 * ConfigMap (AnnotationReader's fallbacks).
 */
export const ANNOTATION_FLAGS = [
  'proxy-cookie-domain', 'proxy-cookie-path', 'proxy-redirect-from', 'proxy-redirect-to',
  'whitelist-source-range', 'denylist-source-range', 'custom-http-errors',
] as const;

/** One of those flags (its name is the annotation's and the ConfigMap key's). */
export type AnnotationFlag = (typeof ANNOTATION_FLAGS)[number];

/**
 * The flags given (empty ones are not), validated by the annotations' own parsers: a value an
 * Ingress could not carry stops the start, with the parser's message naming the flag as the
 * user wrote it (`label`). Undefined when none is given, so Ingresses without annotations keep
 * sharing settings without any policy. `--custom-http-errors` needs `--default-backend-service`
 * (`hasDefaultBackend`): the listed answers go to it.
 */
export function annotationFlagValues(label: (flag: AnnotationFlag) => string, value: (flag: AnnotationFlag) => string | undefined, hasDefaultBackend: boolean): Readonly<Record<string, string>> | undefined {
  const given = ANNOTATION_FLAGS.flatMap((flag) => {
    const text = value(flag)?.trim();
    return text === undefined || text === '' ? [] : [[flag, text] as const];
  });
  if (given.length === 0) return undefined;
  const reader = new FlagReader(Object.fromEntries(given.map(([flag, text]) => [NGINX_PREFIX + flag, text])), (name) => label(name as AnnotationFlag));
  const settings = emptySettings();
  for (const family of ANNOTATION_FAMILIES) family.parse?.(reader, settings);
  if (reader.errors.length > 0) throw new ConfigError(reader.errors[0]!);
  if (settings.customHttpErrors !== undefined && !hasDefaultBackend) {
    throw new ConfigError(`${label('custom-http-errors')} needs --default-backend-service: the Service that answers the listed statuses`);
  }
  return Object.freeze(Object.fromEntries(given));
}

/** Reads flag values as annotations; its errors name the flag (`label` of the annotation name). */
export class FlagReader extends AnnotationReader {
  readonly #label: (name: string) => string;

  constructor(annotations: Readonly<Record<string, string>>, label: (name: string) => string) {
    super(annotations);
    this.#label = label;
  }

  protected override subject(name: string): string {
    return `invalid value for ${this.#label(name)}`;
  }
}
