import type { MirrorPolicy } from '../../routing/policies.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import { variablesKnown } from './external-auth.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** `scheme://authority` then the rest; the authority ends at the first `/`, `?`, `#` or `$`. */
const TARGET = /^(https?):\/\/([^/?#$]*)(.*)$/;
/** What may follow the authority directly: a path, a query, or a variable that starts a path. */
const REST = /^(|[/?].*|\$\{?(request_uri|uri)\}?([^A-Za-z0-9_].*)?)$/;
/** A URL as one token: visible ASCII, no fragment. */
const TOKEN = /^[\x21-\x22\x24-\x7e]+$/;
/** A Host header value: a name or an address (IPv6 in brackets), with an optional port. */
const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:[0-9]{1,5})?$/;

/**
 * Mirror family, as ingress-nginx's mirror parser and its `location = /_mirror-<uid>`
 * (nginx.tmpl: `proxy_set_header Host <mirror-host>; proxy_pass <mirror-target>;` and, in every
 * location of the Ingress, `mirror` + `mirror_request_body`):
 * - `mirror-target`: an http or https URL whose scheme and host are written out; its path and
 *   query may use nginx variables (`https://test.env.com$request_uri`). Empty: no mirror.
 * - `mirror-host`: the Host header of the mirrored request; default the target's host name
 *   without its port (ingress-nginx's `url.Hostname()` of the target up to its first `$`).
 * - `mirror-request-body`: `on` (default) or `off`.
 * ingress-nginx logs a warning and falls back on a bad value; Pier, as for every annotation,
 * refuses the Ingress with a problem naming it. The timeouts are the Ingress's
 * `proxy-connect-timeout` and `proxy-read-timeout` (else 5 s and 60 s; ingress-nginx's mirror
 * location sets none, so nginx's own 60 s apply there).
 */
export function parseMirror(r: AnnotationReader, s: IngressSettings): void {
  const errors = r.errors.length;
  const body = r.choice('mirror-request-body', ['on', 'off'] as const);
  const hostValue = r.string('mirror-host');
  if (hostValue !== undefined && hostValue !== '' && !HOST.test(hostValue)) r.fail('mirror-host', 'is not a host name (letters, digits, - . _ or a bracketed IPv6 address, with an optional :port)');
  const targetValue = r.string('mirror-target');
  if (targetValue === undefined || targetValue === '') {
    if (hostValue !== undefined) r.notice('mirror-host', 'has no effect without mirror-target');
    if (body !== undefined) r.notice('mirror-request-body', 'has no effect without mirror-target');
    return;
  }
  const target = parseTarget(r, targetValue);
  if (target === undefined || r.errors.length > errors) return;
  const policy: MirrorPolicy = {
    kind: 'mirror', origin: target.origin, path: target.path,
    host: hostValue !== undefined && hostValue !== '' ? hostValue : target.hostname,
    requestBody: body !== 'off',
    connectTimeoutMs: s.backend.connectMs ?? 5_000,
    timeoutMs: s.backend.readMs ?? 60_000,
  };
  s.policies.push(policy);
}

function parseTarget(r: AnnotationReader, value: string): { origin: string; path: string; hostname: string } | undefined {
  const name = 'mirror-target';
  if (!TOKEN.test(value)) return r.fail(name, 'is not a URL (one value of visible characters, without spaces or a #fragment)');
  const m = TARGET.exec(value);
  if (m === null) return r.fail(name, 'is not an http:// or https:// URL');
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  if (authority === '') return r.fail(name, 'must name its host (written out: an nginx variable may not stand for it)');
  if (!REST.test(rest)) return r.fail(name, 'must have a fixed host: after it comes a path (/...), a query (?...), $request_uri or $uri');
  let url: URL;
  try {
    url = new URL(`${scheme}://${authority}`);
  } catch {
    return r.fail(name, `has "${authority}", which is not a host with an optional port`);
  }
  if (url.username !== '' || url.password !== '' || url.hostname === '' || url.hostname.includes('..')) {
    return r.fail(name, `has "${authority}", which is not a host with an optional port`);
  }
  if (!variablesKnown(r, name, rest)) return undefined;
  return { origin: url.origin, path: rest, hostname: url.hostname };
}
