/** ingress-nginx's annotation prefix; its names are honoured with its meaning. */
export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';
/** Pier's prefix: ingress-nginx's names too (this one wins when both are set), plus Pier's own. */
export const PIER_PREFIX = 'pier.dev/';

const NO_FALLBACKS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Reads one Ingress's annotations by name (without prefix): `pier.dev/<name>` first, then
 * `nginx.ingress.kubernetes.io/<name>`, then the controller's value of that name (`fallbacks`:
 * the flags named after ingress-nginx's ConfigMap keys, such as `--proxy-cookie-domain`), which
 * an Ingress reads where it does not set the name or sets it empty (ingress-nginx's parsers
 * take the ConfigMap's value where GetStringAnnotation fails, and an empty value fails there).
 * Typed getters turn text into values or record an error naming the annotation key as written;
 * parsers collect the errors, and any error rejects the Ingress (ingress-nginx rejects an
 * Ingress with an invalid annotation value too).
 */
export class AnnotationReader {
  readonly #annotations: Readonly<Record<string, string>>;
  readonly #fallbacks: Readonly<Record<string, string>>;
  /** Name (prefix removed) → the key holding it: built once, so a lookup is one Map read. */
  readonly #keys = new Map<string, string>();
  readonly errors: string[] = [];
  /** Parts of a value that are left out while the rest applies (Normal problems, the Ingress is served). */
  readonly notices: string[] = [];
  /** Invalid values that are left out while the Ingress is served with the controller's
   * setting in their place (Warning problems): for settings with a safe controller-wide value. */
  readonly ignored: string[] = [];

  /** The Ingress's namespace (annotations that name objects are read there). */
  readonly namespace: string;
  /** A ConfigMap's data in the snapshot being translated (custom-headers,
   * auth-proxy-set-headers, fastcgi-params-configmap), undefined when absent. */
  readonly configMap: (namespace: string, name: string) => Readonly<Record<string, string>> | undefined;

  constructor(
    annotations: Readonly<Record<string, string>> | undefined,
    namespace = '',
    configMap: (namespace: string, name: string) => Readonly<Record<string, string>> | undefined = () => undefined,
    fallbacks: Readonly<Record<string, string>> = NO_FALLBACKS,
  ) {
    this.namespace = namespace;
    this.configMap = configMap;
    this.#annotations = annotations ?? {};
    this.#fallbacks = fallbacks;
    for (const key in this.#annotations) {
      if (key.startsWith(PIER_PREFIX)) this.#keys.set(key.slice(PIER_PREFIX.length), key);
      else if (key.startsWith(NGINX_PREFIX)) {
        const name = key.slice(NGINX_PREFIX.length);
        if (!this.#keys.has(name)) this.#keys.set(name, key);
      }
    }
  }

  /** Whether any annotation of either prefix is set (most Ingresses have none). */
  get empty(): boolean {
    return this.#keys.size === 0;
  }

  /** The key that holds `name` (the pier.dev one when both do), or undefined. */
  keyOf(name: string): string | undefined {
    return this.#keys.get(name);
  }

  /** Whether `name` is set under either prefix. */
  has(name: string): boolean {
    return this.keyOf(name) !== undefined;
  }

  /** The raw text of `name`, trimmed (the controller's value where the Ingress sets none or an
   * empty one); undefined when absent. */
  string(name: string): string | undefined {
    const own = this.#own(name);
    return own === undefined || own === '' ? this.#fallback(name) ?? own : own;
  }

  /** Whether string(name) is the controller's value, not the Ingress's. */
  fromController(name: string): boolean {
    const own = this.#own(name);
    return (own === undefined || own === '') && this.#fallback(name) !== undefined;
  }

  #fallback(name: string): string | undefined {
    return Object.hasOwn(this.#fallbacks, name) ? this.#fallbacks[name] : undefined;
  }

  #own(name: string): string | undefined {
    const key = this.keyOf(name);
    if (key === undefined) return undefined;
    const value = this.#annotations[key];
    return typeof value === 'string' ? value.trim() : String(value);
  }

  /** How an error about `name` begins (FlagReader names the flag instead). */
  protected subject(name: string): string {
    return `annotation ${this.keyOf(name) ?? NGINX_PREFIX + name}`;
  }

  /** Records an error that already names its annotation. */
  failWith(message: string): undefined {
    this.errors.push(message);
    return undefined;
  }

  /** Records an error about `name`'s value. */
  fail(name: string, problem: string): undefined {
    this.errors.push(`${this.subject(name)}: "${this.string(name) ?? ''}" ${problem}`);
    return undefined;
  }

  /** Records that part of `name`'s value is left out; the Ingress is still served. */
  notice(name: string, problem: string): void {
    this.notices.push(`annotation ${this.keyOf(name) ?? NGINX_PREFIX + name}: ${problem}`);
  }

  /** Records that `name`'s value is invalid and not applied; the Ingress is still served. */
  ignore(name: string, problem: string): undefined {
    this.ignored.push(`annotation ${this.keyOf(name) ?? NGINX_PREFIX + name}: "${this.string(name) ?? ''}" ${problem}`);
    return undefined;
  }

  /** Go's strconv.ParseBool, as ingress-nginx reads booleans. */
  bool(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    return parseGoBool(v) ?? this.fail(name, 'is not a boolean (use "true" or "false")');
  }

  /** A whole number within [min, max]. */
  int(name: string, min: number, max: number): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^-?[0-9]+$/.test(v)) return this.fail(name, 'is not a whole number');
    const n = Number(v);
    if (n < min || n > max) return this.fail(name, `must be between ${min} and ${max}`);
    return n;
  }

  /** One of `choices` (compared as written, or case-insensitively with `ci`). */
  choice<T extends string>(name: string, choices: readonly T[], ci = false): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const found = choices.find((c) => (ci ? c.toLowerCase() === v.toLowerCase() : c === v));
    return found ?? this.fail(name, `is not one of ${choices.join(', ')}`);
  }
}

/** Go's strconv.ParseBool (how ingress-nginx reads booleans); undefined when `value` is none. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}
