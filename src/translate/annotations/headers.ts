import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** RFC 9110 token: a header name. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value: visible characters, spaces and tabs (no CR, LF or other controls). */
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const VALUE = HEADER_VALUE;
/** Headers a user must not edit: framing and hop-by-hop ones Pier owns. */
export const OWNED_HEADERS: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection']);

/**
 * Header family (Pier's own, under `pier.dev/` only):
 * - `pier.dev/request-headers-set`, `-add`: one `Name: value` per line; set replaces every
 *   header of that name, add appends one. `pier.dev/request-headers-remove`: names separated by
 *   commas or spaces. Applied to the request sent upstream, after Pier's X-Forwarded-* headers
 *   (so a route can also drop or override those).
 * - `pier.dev/response-headers-set|add|remove`: the same for responses to the client.
 * Framing and hop-by-hop headers (Content-Length, Transfer-Encoding, Connection, ...) are Pier's
 * and refused. (`custom-headers`, ingress-nginx's ConfigMap form, is listed in the annotation
 * table.)
 */
export function parseHeaders(r: AnnotationReader, s: IngressSettings): void {
  for (const side of ['request', 'response'] as const) {
    const set = pairs(r, `${side}-headers-set`);
    const add = pairs(r, `${side}-headers-add`);
    const remove = names(r, `${side}-headers-remove`);
    if (set.length + add.length + remove.length > 0) s.policies.push({ kind: `${side}-headers`, set, add, remove });
  }
}

function pairs(r: AnnotationReader, name: string): string[] {
  if (r.keyOf(name)?.startsWith('pier.dev/') !== true) return [];
  const out: string[] = [];
  for (const line of (r.string(name) ?? '').split('\n')) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    const header = colon < 0 ? '' : line.slice(0, colon).trim().toLowerCase();
    const value = colon < 0 ? '' : line.slice(colon + 1).trim();
    if (!TOKEN.test(header)) return r.fail(name, `has a line that is not "Name: value": ${JSON.stringify(line.trim())}`) ?? [];
    if (!VALUE.test(value)) return r.fail(name, `has a control character in the value of ${header}`) ?? [];
    if (OWNED_HEADERS.has(header)) return r.fail(name, `may not change ${header} (Pier owns framing and hop-by-hop headers)`) ?? [];
    out.push(header, value);
  }
  return out;
}

function names(r: AnnotationReader, name: string): string[] {
  if (r.keyOf(name)?.startsWith('pier.dev/') !== true) return [];
  const out: string[] = [];
  for (const n of (r.string(name) ?? '').split(/[\s,]+/)) {
    if (n === '') continue;
    const header = n.toLowerCase();
    if (!TOKEN.test(header)) return r.fail(name, `has "${n}", which is not a header name`) ?? [];
    if (OWNED_HEADERS.has(header)) return r.fail(name, `may not remove ${header} (Pier owns framing and hop-by-hop headers)`) ?? [];
    out.push(header);
  }
  return out;
}

/**
 * The ConfigMap an annotation names (`name` or `namespace/name`), which must be in the Ingress's
 * namespace (ingress-nginx's default: no allow-cross-namespace-resources): undefined when the
 * annotation is unset or empty, or when it is wrong (a problem naming `annotation` recorded).
 */
export function referencedConfigMap(r: AnnotationReader, annotation: string): { namespace: string; name: string; data: Readonly<Record<string, string>> } | undefined {
  const ref = r.string(annotation);
  if (ref === undefined || ref === '') return undefined;
  const m = CONFIGMAP_REF.exec(ref);
  if (m === null) return r.fail(annotation, 'is not a ConfigMap name or namespace/name');
  const namespace = m[1] ?? r.namespace;
  const name = m[3]!;
  if (namespace !== r.namespace) return r.fail(annotation, `names a ConfigMap in another namespace than the Ingress (${r.namespace}); only the Ingress's own namespace is allowed`);
  const data = r.configMap(namespace, name);
  if (data === undefined) return r.fail(annotation, `names ConfigMap ${namespace}/${name}, which does not exist`);
  return { namespace, name, data };
}

/** A ConfigMap reference: `name` or `namespace/name`. */
const CONFIGMAP_REF = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/**
 * `custom-headers: <namespace>/<configmap>` (ingress-nginx's more_set_headers): every key of
 * the ConfigMap is a response header set (replacing the upstream's) on the Ingress's responses.
 * The ConfigMap must be in the Ingress's namespace: ingress-nginx gates other namespaces with its
 * global allowed-response-headers list, which Pier does not have, so the ConfigMap's owner is
 * the Ingress's owner. A missing ConfigMap, a bad header name or value, or a framing header
 * rejects the Ingress (ingress-nginx denies the location).
 */
export function parseCustomHeaders(r: AnnotationReader, s: IngressSettings): void {
  const configMap = referencedConfigMap(r, 'custom-headers');
  if (configMap === undefined) return;
  const { namespace, name, data } = configMap;
  const set: string[] = [];
  for (const key of Object.keys(data).sort()) {
    const header = key.toLowerCase();
    const value = data[key]!;
    if (!TOKEN.test(header)) return void r.fail('custom-headers', `ConfigMap ${namespace}/${name} key ${JSON.stringify(key)} is not a header name`);
    if (!VALUE.test(value)) return void r.fail('custom-headers', `ConfigMap ${namespace}/${name} key ${key} has a control character in its value`);
    if (OWNED_HEADERS.has(header)) return void r.fail('custom-headers', `ConfigMap ${namespace}/${name} may not set ${header} (Pier owns framing and hop-by-hop headers)`);
    set.push(header, value);
  }
  if (set.length > 0) s.policies.push({ kind: 'response-headers', set, add: [], remove: [] });
}
