import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** ingress-nginx's BasicCharsRegex (auth-secret) and CharsWithSpace (auth-realm). */
const SECRET_REF = /^[-._~a-zA-Z0-9/:]+$/;
const REALM = /^[-._~a-zA-Z0-9/: ]*$/;

/** What `auth-type: basic` asks for, before its Secret is read (auth-secrets.ts does that). */
export interface BasicAuthSettings {
  /** `auth-secret` as written: `name` or `namespace/name`. */
  readonly secret: string;
  readonly secretType: 'auth-file' | 'auth-map';
  readonly realm: string;
}

/**
 * Basic auth family, as ingress-nginx's auth parser:
 * - Nothing happens without `auth-type` (an `auth-secret` alone protects nothing, as in
 *   ingress-nginx). `auth-type: basic` needs `auth-secret`; `digest` is refused (Pier has no
 *   digest auth: the Ingress is not served rather than served unprotected).
 * - `auth-secret-type`: `auth-file` (default: the Secret's `auth` key holds an htpasswd file) or
 *   `auth-map` (each key is a user, each value its htpasswd hash).
 * - `auth-realm`: letters, digits, spaces and `- . _ ~ / :` (ingress-nginx's check, which also
 *   keeps it safe inside `WWW-Authenticate: Basic realm="..."`); default empty.
 */
export function parseBasicAuth(r: AnnotationReader, s: IngressSettings): void {
  const secretType = r.choice('auth-secret-type', ['auth-file', 'auth-map']) ?? 'auth-file';
  const realm = r.string('auth-realm') ?? '';
  if (!REALM.test(realm)) r.fail('auth-realm', 'may only hold letters, digits, spaces and - . _ ~ / :');
  const secret = r.string('auth-secret');
  if (secret !== undefined && !SECRET_REF.test(secret)) r.fail('auth-secret', 'is not a Secret name (name or namespace/name)');
  const type = r.string('auth-type');
  if (type === undefined) return;
  if (type === 'digest') {
    r.fail('auth-type', 'is not supported by Pier (digest authentication): use basic');
    return;
  }
  if (type !== 'basic') {
    r.fail('auth-type', 'is not one of basic, digest');
    return;
  }
  if (secret === undefined || secret === '') {
    r.fail('auth-type', `needs ${r.keyOf('auth-type')!.replace(/auth-type$/, 'auth-secret')} (the Secret with the users)`);
    return;
  }
  s.basicAuth = { secret, secretType, realm };
}
