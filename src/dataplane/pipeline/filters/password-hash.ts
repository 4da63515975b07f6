import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

/**
 * Checks a password against one htpasswd hash, as Apache's htpasswd writes them and nginx's
 * auth_basic_user_file reads them: bcrypt (`$2y$`, `$2a$`, `$2b$`; bcryptjs), apr1 (`$apr1$`,
 * htpasswd's default) and MD5-crypt (`$1$`), `{SHA}` (unsalted SHA-1, `htpasswd -s`),
 * `{SSHA}` (salted SHA-1), `{PLAIN}`. Digests are compared in constant time (bcryptjs compares
 * its own strings in constant time). Anything else never matches.
 */
export function verifyPassword(password: Buffer, hash: string): boolean {
  if (hash.startsWith('$2')) return bcrypt.compareSync(password.toString('utf8'), hash);
  if (hash.startsWith('$apr1$')) return sameText(md5Crypt(password, hash, '$apr1$'), hash);
  if (hash.startsWith('$1$')) return sameText(md5Crypt(password, hash, '$1$'), hash);
  if (hash.startsWith('{SHA}')) return sameBytes(createHash('sha1').update(password).digest(), Buffer.from(hash.slice(5), 'base64'));
  if (hash.startsWith('{SSHA}')) {
    const decoded = Buffer.from(hash.slice(6), 'base64');
    if (decoded.length <= 20) return false;
    const salt = decoded.subarray(20);
    return sameBytes(createHash('sha1').update(password).update(salt).digest(), decoded.subarray(0, 20));
  }
  if (hash.startsWith('{PLAIN}')) return sameBytes(password, Buffer.from(hash.slice(7), 'utf8'));
  return false;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  // timingSafeEqual needs equal lengths; comparing a against itself keeps the time independent
  // of where they differ (the length of a hash is not a secret).
  return a.length === b.length ? timingSafeEqual(a, b) : (timingSafeEqual(a, a), false);
}

function sameText(a: string, b: string): boolean {
  return sameBytes(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * MD5-crypt (Poul-Henning Kamp's FreeBSD algorithm) with Apache's `$apr1$` magic or the
 * original `$1$`: apr_md5_encode in APR's crypto/apr_md5.c. Written here rather than taken from
 * the `apache-md5` package, which hashes the password as a JavaScript string with the 'ascii'
 * encoding, so a password with non-ASCII bytes would not match what htpasswd wrote.
 */
export function md5Crypt(password: Buffer, setting: string, magic: string): string {
  const end = setting.indexOf('$', magic.length);
  const salt = Buffer.from(setting.slice(magic.length, end < 0 ? undefined : end).slice(0, 8), 'latin1');
  const alt = createHash('md5').update(password).update(salt).update(password).digest();
  const ctx = createHash('md5').update(password).update(magic, 'latin1').update(salt);
  for (let left = password.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(16, left)));
  for (let i = password.length; i > 0; i >>= 1) ctx.update((i & 1) !== 0 ? ZERO : password.subarray(0, 1));
  let final = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const round = createHash('md5');
    round.update((i & 1) !== 0 ? password : final);
    if (i % 3 !== 0) round.update(salt);
    if (i % 7 !== 0) round.update(password);
    round.update((i & 1) !== 0 ? final : password);
    final = round.digest();
  }
  let out = `${magic}${salt.toString('latin1')}$`;
  const groups = [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]] as const;
  for (const [a, b, c] of groups) out += to64((final[a]! << 16) | (final[b]! << 8) | final[c]!, 4);
  return out + to64(final[11]!, 2);
}

const ZERO = Buffer.of(0);

function to64(value: number, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++, value >>= 6) s += ITOA64[value & 63];
  return s;
}
