import type { OPTIONS } from '../config.ts';

/** A flag of `pier serve` (src/config.ts OPTIONS). */
export type PierFlag = keyof typeof OPTIONS;

/** The data of an ingress-nginx controller ConfigMap: key → value, as written. */
export type ConfigMapData = Readonly<Record<string, string>>;

/**
 * What Pier does with an ingress-nginx ConfigMap key:
 * - flag: a Pier flag carries it (`convert` gives the flag with the converted value);
 * - always: Pier always behaves one way; `honours` says which values that matches;
 * - per-ingress: only the annotation form exists (set it on each Ingress);
 * - not-needed: an nginx internal with no meaning for Pier (the note says why);
 * - unsupported: behaviour Pier lacks (the note says what the user loses);
 * - inert: ingress-nginx itself does nothing with it any more (a removed module, a directive
 *   nginx ignores, a field it decodes and never reads).
 */
export type ConfigMapStatus = 'flag' | 'always' | 'per-ingress' | 'not-needed' | 'unsupported' | 'inert';

/** A key's value turned into Pier's arguments, or why it cannot be. */
export type Conversion =
  | {
    /** `--flag=value` arguments for `pier serve`; none when Pier needs none for this value. */
    readonly args: readonly string[];
    /** What the user should know about this value's conversion. */
    readonly note?: string;
    /** The value is not carried over (another key of the group decides the flag). */
    readonly lost?: boolean;
  }
  | { readonly error: string };

/** One row of the table: an ingress-nginx ConfigMap key and what Pier does with it. */
export interface ConfigMapKey {
  readonly key: string;
  readonly status: ConfigMapStatus;
  /** One sentence: the flag and how the value converts (flag), what Pier does (always), the
   * annotation (per-ingress), why it is not needed, what is lost (unsupported), or why
   * ingress-nginx ignores it (inert). MIGRATING.md and migrate-check print it. */
  readonly note: string;
  /** flag: the flags `convert` may produce (the conversion test holds it to them). */
  readonly flags?: readonly PierFlag[];
  /** flag: the arguments for this key's value; `data` is the whole ConfigMap, for the keys that
   * combine (hsts*, use-gzip + enable-brotli, use-forwarded-headers + proxy-real-ip-cidr, ...). */
  readonly convert?: (value: string, data: ConfigMapData) => Conversion;
  /** always, per-ingress, unsupported: whether Pier already does what this value asks (always:
   * the value Pier's behaviour matches; the others: a value, usually ingress-nginx's default,
   * that asks for nothing Pier lacks). Absent: no value does. */
  readonly honours?: (value: string, data: ConfigMapData) => boolean;
  /** always, unsupported: a value Pier does not honour weakens security or changes routing, so
   * `pier migrate-check` fails (exit 1) on it; a cosmetic loss does not. */
  readonly fails?: boolean;
  /** flag: a realistic value, converted and parsed by Pier's flag parser in the tests. */
  readonly example?: string;
}

/**
 * A boolean as ingress-nginx decodes one (Go's strconv.ParseBool through mapstructure's weak
 * typing: `1 t T TRUE true True`, `0 f F FALSE false False`, and '' as false); undefined for
 * anything else, which ingress-nginx refuses to decode.
 */
export function goBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** `honours` for a boolean key: the values that decode to `want`. */
export function isBool(want: boolean): (value: string) => boolean {
  return (value) => goBool(value) === want;
}

/** `honours` for a text key: one of `texts` (compared without case and surrounding spaces). */
export function isText(...texts: string[]): (value: string) => boolean {
  return (value) => texts.some((t) => t.toLowerCase() === value.trim().toLowerCase());
}

/** `honours` for a key whose empty value asks for nothing. */
export const isEmpty = (value: string): boolean => value.trim() === '';

/** `honours` for a key that matters only while `switchKey` is on (tracing, syslog, global auth):
 * any value of it is honoured while the switch is off or empty. */
export function whileOff(switchKey: string, kind: 'bool' | 'text' = 'bool'): (value: string, data: ConfigMapData) => boolean {
  return (_value, data) => (kind === 'bool' ? goBool(data[switchKey]) !== true : (data[switchKey] ?? '').trim() === '');
}

/** A Go boolean that is none: ingress-nginx would not decode it. */
export function notBool(value: string): Conversion {
  return { error: `${JSON.stringify(value)} is not a boolean ingress-nginx reads (true or false)` };
}
