import { RE2JS } from 're2js';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** ingress-nginx's BasicCharsRegex (auth-tls-secret) and its error page check. */
const SECRET_REF = /^[-._~a-zA-Z0-9/:]+$/;
const ERROR_PAGE = /^(((https?:\/\/)?[A-Za-z0-9\-.]+(:\d+)?)?(\/[A-Za-z0-9\-_.]+)*\/?)$/;
const VERIFY = ['on', 'off', 'optional', 'optional_no_ca'] as const;

/** What `auth-tls-secret` asks for, before its Secret is read (auth-secrets.ts). */
export interface ClientCertSettings {
  /** `namespace/name` as written (a bare name: the Ingress's namespace). */
  readonly secret: string;
  readonly verify: (typeof VERIFY)[number];
  readonly depth: number;
  readonly passCertificate: boolean;
  readonly errorPage?: string;
  readonly matchCn?: string;
}

/**
 * Client certificate family, as ingress-nginx's authtls parser (nginx ssl_verify_client):
 * - `auth-tls-secret`: the Secret whose `ca.crt` holds the CA bundle (Opaque, or a TLS Secret
 *   with a `ca.crt`); nothing is checked without it.
 * - `auth-tls-verify-client`: `on` (default), `off`, `optional`, `optional_no_ca`;
 *   `auth-tls-verify-depth` (default 1); `auth-tls-pass-certificate-to-upstream` (default
 *   false); `auth-tls-error-page`: where a refused client is sent (302) instead of a 400.
 * - `auth-tls-match-cn`: `CN=` and a regex, matched (unanchored, RE2) against the subject DN
 *   (`CN=alice,O=Org`) as nginx's `if ($ssl_client_s_dn !~ ...) { return 403; }`.
 * Invalid values reject the Ingress (ingress-nginx falls back to defaults for verify-client and
 * depth; Pier does not guess at an access control).
 */
export function parseClientCert(r: AnnotationReader, s: IngressSettings): void {
  const errors = r.errors.length;
  const verify = r.choice('auth-tls-verify-client', VERIFY) ?? 'on';
  const depth = r.int('auth-tls-verify-depth', 0, 100) ?? 1;
  const passCertificate = r.bool('auth-tls-pass-certificate-to-upstream') ?? false;
  const errorPage = r.string('auth-tls-error-page');
  if (errorPage !== undefined && !ERROR_PAGE.test(errorPage)) r.fail('auth-tls-error-page', 'is not a URL or path');
  const matchCn = r.string('auth-tls-match-cn');
  if (matchCn !== undefined && !matchCn.startsWith('CN=')) r.fail('auth-tls-match-cn', "is not a valid Common Name annotation: missing prefix 'CN='");
  else if (matchCn !== undefined && !compiles(matchCn)) r.fail('auth-tls-match-cn', 'is not a valid regular expression (RE2 syntax)');
  const secret = r.string('auth-tls-secret');
  if (secret === undefined) return;
  if (!SECRET_REF.test(secret)) r.fail('auth-tls-secret', 'is not a Secret name (namespace/name)');
  if (r.errors.length > errors) return;
  s.clientCert = {
    secret, verify, depth, passCertificate,
    ...(errorPage === undefined || errorPage === '' ? {} : { errorPage }),
    ...(matchCn === undefined || matchCn === '' ? {} : { matchCn }),
  };
}

function compiles(pattern: string): boolean {
  try {
    RE2JS.compile(pattern);
    return true;
  } catch {
    return false;
  }
}
