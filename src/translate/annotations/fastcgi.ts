import { FASTCGI_DEFAULTS } from '../../routing/fastcgi-defaults.ts';
import type { FastcgiPolicy } from '../../routing/route-table.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** What the FastCGI annotations read besides their own values. */
export interface FastcgiAnnotationSource {
  /** An annotation's value by its prefix-less name (`fastcgi-index`), `pier.dev/` winning over
   * `nginx.ingress.kubernetes.io/`; undefined when unset. */
  get(name: string): string | undefined;
  /** The Ingress's namespace. */
  readonly namespace: string;
  /** A ConfigMap's `data` in the snapshot, or undefined when it is not there. */
  configMap(namespace: string, name: string): Readonly<Record<string, string>> | undefined;
}

export interface FastcgiAnnotations {
  /** Set when either annotation is: the CGI settings for a `backend-protocol: FCGI` backend. */
  readonly fastcgi?: FastcgiPolicy;
  /** One message per bad annotation, naming it. */
  readonly problems: string[];
}

const INDEX = 'fastcgi-index';
const PARAMS = 'fastcgi-params-configmap';
// eslint-disable-next-line no-control-regex
const INDEX_PATTERN = /^[^/\x00-\x1f\x7f]{1,255}$/;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
// eslint-disable-next-line no-control-regex
const PARAM_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]{0,4096}$/;
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const MAX_PARAMS = 64;

/**
 * ingress-nginx's FastCGI annotations (used with `backend-protocol: "FCGI"`, which the
 * backend-protocol parser maps to protocol FastCGI):
 * - `fastcgi-index`: nginx `fastcgi_index` (the file appended to a path ending in `/`);
 * - `fastcgi-params-configmap`: `name` or `namespace/name` of a ConfigMap whose data are extra
 *   FastCGI params (nginx `fastcgi_param KEY "VALUE"`). As ingress-nginx since the fix for
 *   cross-namespace reads, only the Ingress's own namespace is allowed.
 * Values are plain text: nginx would expand `$document_root` and friends; Pier evaluates nothing
 * from an object, so a value with `$` is refused with a problem naming the key rather than
 * passed on literally. Other defaults: FASTCGI_DEFAULTS (document root /var/www/html, PATH_INFO
 * split at `.php`).
 */
export function parseFastcgiAnnotations(source: FastcgiAnnotationSource): FastcgiAnnotations {
  const problems: string[] = [];
  const index = source.get(INDEX);
  const cm = source.get(PARAMS);
  if (index === undefined && cm === undefined) return { problems };
  let policy: FastcgiPolicy = FASTCGI_DEFAULTS;
  if (index !== undefined) {
    if (INDEX_PATTERN.test(index)) policy = { ...policy, index };
    else problems.push(`annotation ${INDEX}: ${JSON.stringify(index)} is not a file name (no "/", no control characters, at most 255 characters)`);
  }
  if (cm !== undefined) {
    const params = configMapParams(source, cm, problems);
    if (params !== null) policy = { ...policy, params };
  }
  return problems.length > 0 ? { problems } : { fastcgi: policy, problems };
}

function configMapParams(source: FastcgiAnnotationSource, ref: string, problems: string[]): FastcgiPolicy['params'] | null {
  const slash = ref.indexOf('/');
  const namespace = slash < 0 ? source.namespace : ref.slice(0, slash);
  const name = slash < 0 ? ref : ref.slice(slash + 1);
  if (!K8S_NAME.test(name) || !K8S_NAME.test(namespace)) {
    problems.push(`annotation ${PARAMS}: ${JSON.stringify(ref)} is not a ConfigMap name or namespace/name`);
    return null;
  }
  if (namespace !== source.namespace) {
    problems.push(`annotation ${PARAMS}: ConfigMap ${namespace}/${name} is in another namespace than the Ingress (${source.namespace}); only the Ingress's own namespace is allowed`);
    return null;
  }
  const data = source.configMap(namespace, name);
  if (data === undefined) {
    problems.push(`annotation ${PARAMS}: ConfigMap ${namespace}/${name} not found`);
    return null;
  }
  const keys = Object.keys(data).sort();
  if (keys.length > MAX_PARAMS) {
    problems.push(`annotation ${PARAMS}: ConfigMap ${namespace}/${name} has ${keys.length} keys, at most ${MAX_PARAMS} are allowed`);
    return null;
  }
  const params: { name: string; value: string }[] = [];
  let ok = true;
  for (const key of keys) {
    const value = data[key]!;
    const bad = paramProblem(key, value);
    if (bad !== null) {
      problems.push(`annotation ${PARAMS}: ConfigMap ${namespace}/${name} key ${JSON.stringify(key)}: ${bad}`);
      ok = false;
    } else {
      params.push({ name: key, value });
    }
  }
  return ok ? params : null;
}

function paramProblem(key: string, value: string): string | null {
  if (!PARAM_NAME.test(key)) return 'not a parameter name (letters, digits and _, not starting with a digit)';
  if (key === 'HTTP_PROXY') return 'HTTP_PROXY is never passed (httpoxy)';
  if (!PARAM_VALUE.test(value)) return 'the value has a control character or is longer than 4096 characters';
  if (value.includes('$')) return 'nginx variables ($...) are not expanded by Pier: write the value itself';
  return null;
}

/**
 * The annotation-table family: with `backend-protocol: FCGI`, the FastCGI settings from
 * `fastcgi-index` and `fastcgi-params-configmap` (FASTCGI_DEFAULTS when neither is set); without
 * it these annotations have no effect, as in ingress-nginx.
 */
export function parseFastcgi(r: AnnotationReader, s: IngressSettings): void {
  if (s.backend.protocol !== 'FastCGI') return;
  const parsed = parseFastcgiAnnotations({ get: (name) => r.string(name), namespace: r.namespace, configMap: r.configMap });
  for (const problem of parsed.problems) r.failWith(problem.replace(/^annotation ([a-z-]+):/, (_m, name: string) => `annotation ${r.keyOf(name) ?? name}:`));
  s.backend.fastcgi = parsed.fastcgi ?? FASTCGI_DEFAULTS;
}
