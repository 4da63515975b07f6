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
}

/**
 * Client certificate family, as ingress-nginx's authtls parser (nginx ssl_verify_client):
 * - `auth-tls-secret`: the Secret whose `ca.crt` holds the CA bundle (Opaque, or a TLS Secret
 *   with a `ca.crt`); nothing is checked without it.
 * - `auth-tls-verify-client`: `on` (default), `off`, `optional`, `optional_no_ca`;
 *   `auth-tls-verify-depth` (default 1); `auth-tls-pass-certificate-to-upstream` (default
 *   false); `auth-tls-error-page`: where a refused client is sent (302) instead of a 400.
 * - `auth-tls-match-cn` is refused: Pier does not match the subject yet, and an Ingress that
 *   asks for it is not served rather than served to any certificate of the CA.
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
  if (r.has('auth-tls-match-cn')) r.fail('auth-tls-match-cn', 'is not supported by Pier yet: the Ingress is not served rather than served to any certificate of the CA');
  const secret = r.string('auth-tls-secret');
  if (secret === undefined) return;
  if (!SECRET_REF.test(secret)) r.fail('auth-tls-secret', 'is not a Secret name (namespace/name)');
  if (r.errors.length > errors) return;
  s.clientCert = { secret, verify, depth, passCertificate, ...(errorPage === undefined || errorPage === '' ? {} : { errorPage }) };
}
