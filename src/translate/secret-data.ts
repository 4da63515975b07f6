import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Secret } from '../source/objects.ts';

/** The text under `key` of a Secret's data (base64 in the object), undefined when absent. */
export function secretText(secret: Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  if (typeof value !== 'string') return undefined;
  return Buffer.from(value, 'base64').toString('utf8');
}

/** Whether `pem` starts with a certificate node:crypto reads (the dataplane will build a CA store from it). */
export function isCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** Whether `keyPem` is a private key that belongs to the certificate `certPem`. */
export function isKeyOf(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
