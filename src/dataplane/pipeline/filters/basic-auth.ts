import { createHash } from 'node:crypto';
import type { BasicAuthPolicy } from '../../../routing/policies.ts';
import type { Admission, RequestFilter } from '../admission.ts';
import { answer } from '../answer.ts';
import { removeHeader } from './header-lists.ts';
import { verifyPassword } from './password-hash.ts';

/** Credentials that passed, remembered per filter (so per table: a changed Secret starts afresh). */
const MAX_REMEMBERED = 1024;
/** Checked for unknown users, so they take about as long as a known apr1 user. */
const DUMMY_HASH = '$apr1$pier0000$3lwNHtwHGZ6gb6rUVzYdB.';

/**
 * `auth-type: basic` (nginx auth_basic + auth_basic_user_file): a request whose Authorization
 * header carries a user of the Secret and its password goes on, without its Authorization
 * header (ingress-nginx clears it: the backend never sees the password); any other gets 401
 * with `WWW-Authenticate: Basic realm="<auth-realm>"`. Requests and upgrades alike.
 *
 * Hashes are checked in the worker (password-hash.ts). bcrypt costs milliseconds by design, and
 * apr1 a thousand MD5 rounds, on every request in nginx; here a header value that passed is
 * remembered (its SHA-256, never the text) for the life of the table, up to 1024 of them, so a
 * keepalive client pays one hash of its header per request. A failure is never remembered.
 */
export function basicAuthFilter(policy: BasicAuthPolicy): RequestFilter {
  const passes = basicCredentials(policy);
  const challenge = basicChallenge(policy);
  return (a) => {
    if (!passes(a)) return answer(a, 401, ['www-authenticate', challenge]);
    a.editRequest(dropAuthorization);
    return true;
  };
}

/** Whether the request's Authorization header holds a user of the policy and its password. */
export function basicCredentials(policy: BasicAuthPolicy): (a: Admission) => boolean {
  const hashes = new Map<string, string>();
  for (let i = 0; i < policy.users.length; i += 2) hashes.set(policy.users[i]!, policy.users[i + 1]!);
  const passed = new Set<string>();
  return (a) => {
    const header = a.req.headers.authorization;
    if (typeof header !== 'string' || header.length <= 6) return false;
    const digest = createHash('sha256').update(header).digest('base64');
    if (passed.has(digest)) return true;
    if (!check(hashes, header)) return false;
    if (passed.size >= MAX_REMEMBERED) passed.clear();
    passed.add(digest);
    return true;
  };
}

/** The 401's `WWW-Authenticate` value. */
export function basicChallenge(policy: BasicAuthPolicy): string {
  return `Basic realm="${policy.realm}"`;
}

function check(hashes: ReadonlyMap<string, string>, header: string): boolean {
  if (!/^basic +/i.test(header)) return false;
  const decoded = Buffer.from(header.slice(header.indexOf(' ') + 1).trim(), 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return false;
  const user = decoded.subarray(0, colon).toString('utf8');
  const password = decoded.subarray(colon + 1);
  const hash = hashes.get(user);
  if (hash === undefined) {
    verifyPassword(password, DUMMY_HASH);
    return false;
  }
  return verifyPassword(password, hash);
}

/** ingress-nginx clears Authorization on a basic-auth location (`proxy_set_header Authorization
 * ""`), whichever access control let the request in: the backend never sees the password. */
export function dropAuthorization(headers: string[]): void {
  removeHeader(headers, 'authorization');
}
