import type { Ingress, Secret } from '../source/objects.ts';
import type { Policy } from '../routing/policies.ts';
import type { IngressSettings } from './annotations/ingress-settings.ts';
import { problemAbout, type Problem } from './problem.ts';
import { isCertificate, secretText as decode } from './secret-data.ts';
import type { SnapshotIndex } from './snapshot.ts';

/**
 * Hashes Pier verifies (dataplane/pipeline/filters/password-hash.ts), as htpasswd and nginx's
 * auth_basic_user_file write them: bcrypt (`htpasswd -B`), apr1 (`-m`, the default), MD5-crypt
 * `$1$`, SHA1 (`-s`), salted SHA1, and `{PLAIN}`.
 */
const KNOWN_HASH = /^(\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}|\$(apr1|1)\$[^$]{0,8}\$[./A-Za-z0-9]{22}|\{SHA\}[A-Za-z0-9+/]{27}=|\{SSHA\}[A-Za-z0-9+/=]{28,}|\{PLAIN\}.*)$/;

/**
 * The policies of one route that come from Secrets its Ingress names: basic auth's users.
 * Secrets are read from the snapshot (so a changed Secret is a new table, no restart), always in
 * the Ingress's namespace (ingress-nginx refuses cross-namespace auth Secrets by default).
 * A Secret that is missing or unusable makes the route answer 503 (ingress-nginx's denied
 * location), never serve unprotected; each problem is reported once per Ingress (`seen`).
 */
export function secretPolicies(ingress: Ingress, settings: IngressSettings, index: SnapshotIndex, problems: Problem[], seen: Set<string>): Policy[] {
  const namespace = ingress.metadata.namespace ?? '';
  const report = (reason: string, message: string) => {
    const key = `${namespace}/${ingress.metadata.name}\n${reason}\n${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(problemAbout(ingress, reason, message));
  };
  return [...clientCertPolicies(settings, index, namespace, report), ...basicAuthPolicies(settings, index, namespace, report)];
}

type Report = (reason: string, message: string) => void;

/**
 * `auth-tls-secret`: the CA bundle (`ca.crt`, PEM) travels in the policy; a Secret that is
 * missing, elsewhere or without a certificate makes the route answer 403 (ingress-nginx's
 * AuthTLSError: `return 403` for the server).
 */
function clientCertPolicies(settings: IngressSettings, index: SnapshotIndex, namespace: string, report: Report): Policy[] {
  const cert = settings.clientCert;
  if (cert === undefined) return [];
  const slash = cert.secret.indexOf('/');
  const secretNs = slash < 0 ? namespace : cert.secret.slice(0, slash);
  const name = slash < 0 ? cert.secret : cert.secret.slice(slash + 1);
  const deny: Policy[] = [{ kind: 'deny', status: 403 }];
  if (secretNs !== namespace) {
    report('AuthSecretRefused', `auth-tls-secret ${cert.secret} is in another namespace (not allowed, as in ingress-nginx): requests get 403`);
    return deny;
  }
  const secret = index.secret(namespace, name);
  if (secret === undefined) {
    report('AuthSecretNotFound', `auth-tls-secret ${namespace}/${name} does not exist (Pier reads Secrets of type Opaque or kubernetes.io/tls): requests get 403`);
    return deny;
  }
  const caPem = decode(secret, 'ca.crt');
  if (caPem === undefined || !isCertificate(caPem)) {
    report('InvalidAuthSecret', `auth-tls-secret ${namespace}/${name} has no PEM certificate under ca.crt: requests get 403`);
    return deny;
  }
  return [{ kind: 'client-cert', caPem, verify: cert.verify, depth: cert.depth, passCertificate: cert.passCertificate, ...(cert.errorPage === undefined ? {} : { errorPage: cert.errorPage }), ...(cert.matchCn === undefined ? {} : { matchCn: cert.matchCn }) }];
}

function basicAuthPolicies(settings: IngressSettings, index: SnapshotIndex, namespace: string, report: Report): Policy[] {
  const basic = settings.basicAuth;
  if (basic === undefined) return [];
  const slash = basic.secret.indexOf('/');
  const secretNs = slash < 0 ? namespace : basic.secret.slice(0, slash);
  const name = slash < 0 ? basic.secret : basic.secret.slice(slash + 1);
  if (secretNs !== namespace) {
    report('AuthSecretRefused', `auth-secret ${basic.secret} is in another namespace (not allowed, as in ingress-nginx): requests get 503`);
    return [{ kind: 'deny', status: 503 }];
  }
  const secret = index.secret(namespace, name);
  if (secret === undefined) {
    report('AuthSecretNotFound', `auth-secret ${namespace}/${name} does not exist (Pier reads Secrets of type Opaque or kubernetes.io/tls): requests get 503`);
    return [{ kind: 'deny', status: 503 }];
  }
  const read = basic.secretType === 'auth-file' ? usersOfFile(secret) : usersOfMap(secret);
  if (typeof read === 'string') {
    report('InvalidAuthSecret', `auth-secret ${namespace}/${name} ${read}: requests get 503`);
    return [{ kind: 'deny', status: 503 }];
  }
  if (read.unknown.length > 0) {
    report('UnsupportedPasswordHash', `auth-secret ${namespace}/${name}: users ${read.unknown.join(', ')} have a hash Pier cannot check (use htpasswd -B, -m or -s) and cannot sign in`);
  }
  return [{ kind: 'basic-auth', realm: basic.realm, users: read.users }];
}

interface Users {
  /** Flat `[user, hash, ...]`, first entry of a user wins (as nginx reads the file). */
  readonly users: string[];
  readonly unknown: string[];
}

function usersOfFile(secret: Secret): Users | string {
  const text = decode(secret, 'auth');
  if (text === undefined) return 'has no key "auth" (an htpasswd file)';
  return collect(text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#')).map((line) => {
    const colon = line.indexOf(':');
    return colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1).trim()];
  }));
}

function usersOfMap(secret: Secret): Users | string {
  const keys = Object.keys(secret.data ?? {}).sort();
  if (keys.length === 0) return 'has no users';
  return collect(keys.map((user) => [user, (decode(secret, user) ?? '').trim()]));
}

function collect(entries: readonly string[][]): Users {
  const users: string[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const [user, hash] of entries) {
    if (seen.has(user!)) continue;
    seen.add(user!);
    if (KNOWN_HASH.test(hash!)) users.push(user!, hash!);
    else unknown.push(user!);
  }
  return { users, unknown };
}
