import { createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { Certificate } from '../routing/route-table.ts';

/** Subject of the fallback certificate, named as ingress-nginx names its own. */
export const DEFAULT_CERTIFICATE_SUBJECT = 'Pier Ingress Controller Fake Certificate';
/** The one DNS name the fallback certificate lists (ingress-nginx uses the same). */
export const DEFAULT_CERTIFICATE_SAN = 'ingress.local';

const DAY_MS = 86_400_000;

/**
 * A self-signed ECDSA P-256 certificate for HTTPS clients whose server name matches no Ingress
 * (or who send none): ingress-nginx serves a "fake certificate" in that case rather than
 * failing the handshake, and users expect the same. node:crypto can sign but has no X.509
 * builder, so the few DER structures of RFC 5280 needed here are written by hand instead of
 * shelling out to an `openssl` binary the container image may not have. Valid from a day ago
 * (clock skew) for ten years.
 */
export function generateDefaultCertificate(now = Date.now(), random: (size: number) => Buffer = randomBytes): Certificate {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const name = seq(rdn('2.5.4.10', 'Pier'), rdn('2.5.4.3', DEFAULT_CERTIFICATE_SUBJECT));
  const serial = random(16);
  // A positive INTEGER in minimal DER: top bit clear, and the first byte never 0 (a leading
  // zero before a byte < 0x80 is a non-minimal encoding that OpenSSL rejects, 1 time in 512).
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const sigAlg = seq(oid('1.2.840.10045.4.3.2')); // ecdsa-with-SHA256
  const san = seq(oid('2.5.29.17'), tlv(0x04, seq(tlv(0x82, Buffer.from(DEFAULT_CERTIFICATE_SAN, 'ascii')))));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version v3
    tlv(0x02, serial),
    sigAlg,
    name,
    seq(time(new Date(now - DAY_MS)), time(new Date(now + 3650 * DAY_MS))),
    name,
    spki,
    tlv(0xa3, seq(san)),
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, sigAlg, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** DER type-length-value. */
function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

function seq(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** One RelativeDistinguishedName: SET { SEQUENCE { type, UTF8String } }. */
function rdn(type: string, value: string): Buffer {
  return tlv(0x31, seq(oid(type), tlv(0x0c, Buffer.from(value, 'utf8'))));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'));
}
